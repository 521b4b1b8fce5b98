"""In-scope (influenceable) spend: the shipped rules on names and categories they were not written from,
the network's and members' ways of changing them, and the real Oxford exports."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import transforms.spend_scope as spend_scope
from tests.conftest import REAL_EXPORTS
from transforms.spend import spend_by_supplier, spend_facts
from transforms.spend_scope import (
    RULE_COLUMNS,
    ScopeRulesError,
    classify_scope,
    fold_text,
    load_scope_rules,
    scope_summary,
)

OXFORD = REAL_EXPORTS / "oxford"


def lines(*rows: tuple[str | None, str | None, float], member: str = "council") -> pd.DataFrame:
    """Spend lines as (supplier name, expenditure category, amount)."""
    return pd.DataFrame(
        {
            "member_id": member,
            "supplier_name": pd.array([r[0] for r in rows], dtype="string"),
            "supplier_id": pd.array([None] * len(rows), dtype="string"),
            "category": pd.array([r[1] for r in rows], dtype="string"),
            "department": pd.array([None] * len(rows), dtype="string"),
            "amount_gbp": [r[2] for r in rows],
        }
    )


def values(series: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v for v in series]


def category_of(name: str | None, expenditure: str | None = None, rules=None) -> str | None:  # type: ignore[no-untyped-def]
    result = classify_scope(lines((name, expenditure, 100.0)), rules or load_scope_rules())
    value = result["out_of_scope"].iloc[0]
    return None if pd.isna(value) else str(value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # HM Revenue & Customs however it is written; a firm with HMRC in its name is a supplier.
        ("H M Revenue & Customs", "taxes_hmrc"),
        ("HM Revenue and Customs", "taxes_hmrc"),
        ("H.M.R.C.", "taxes_hmrc"),
        ("Her Majesty's Revenue & Customs (CIS)", "taxes_hmrc"),
        ("HM REVENUES & CUSTOMS ONLY", "taxes_hmrc"),
        ("Hmrc Consulting Ltd", None),
        # Other public bodies; businesses whose names borrow their words stay in scope.
        ("Reading Borough Council", "public_body"),
        ("LONDON BOROUGH OF CAMDEN", "public_body"),
        ("Oxford University Hospitals NHS Foundation Trust", "public_body"),
        ("NHS Oxfordshire CCG", "public_body"),
        ("Thames Valley Police", "public_body"),
        ("Office of the Police and Crime Commissioner for Thames Valley", "public_body"),
        ("Royal Berkshire Fire and Rescue Service", "public_body"),
        ("Department for Levelling Up, Housing & Communities", "public_body"),
        ("Ministry of Justice", "public_body"),
        ("Driver & Vehicle Licensing Agency", "public_body"),
        ("Cheney School Academy Trust", "public_body"),
        ("St Ebbe's Primary School", "public_body"),
        ("Police Federation Insurance Ltd", None),
        ("Thames Fire Services Ltd", None),
        ("The Knowledge Academy Ltd.", None),
        ("Arts at the Old Fire Station", None),
        ("Oxford & District Building Services Limited", None),
        ("The Media Agency Group", None),
        # Pension funds, even when the fund carries a council's name.
        ("Oxfordshire County Council Pension Fund", "pension_fund"),
        ("Teachers' Pensions", "pension_fund"),
        # Individuals: redacted names and titled personal names, not sole traders or firms.
        ("Redacted personal data", "individual_or_redacted"),
        ("Redacted, personal information", "individual_or_redacted"),
        ("REDACTED", "individual_or_redacted"),
        ("Name withheld", "individual_or_redacted"),
        ("MR Y ALI", "individual_or_redacted"),
        ("Mrs A. B. Jones", "individual_or_redacted"),
        ("Dr Jane Doe", "individual_or_redacted"),
        ("MR P & MRS DW DOWLEY", "individual_or_redacted"),
        ("MR JOHN BARNEY t/a KIDLINGTON DRIVEWAYS", None),
        ("Mr Kipling Bakeries Ltd", None),
        ("Redactive Media Sales Limited", None),
        ("Misses Kitchen Supplies", None),
        # Placeholder payees for refunds.
        ("PLANNING APPLICATION REFUNDS", "refund"),
        ("Willmott Dixon Construction Ltd", None),
    ],
)
def test_payee_names_are_classified_by_their_class_not_a_list(name: str, expected: str | None) -> None:
    assert category_of(name) == expected


@pytest.mark.parametrize(
    ("expenditure", "expected"),
    [
        ("VAT Pro Forma Invoices", "internal_or_vat_only"),
        ("Difference A/c", "internal_or_vat_only"),
        ("Internal Recharges - Fleet", "internal_or_vat_only"),
        ("AR Refunds (Sundries & Periodics)", "refund"),
        ("Early Retirement Capitalised Cost", "pension_fund"),
        ("Vehicle Excise Licences", "taxes_hmrc"),
        ("Rent Allowance Cheques (Home Choice)", "transfer_payment"),
        ("Grants", None),  # grants are out of scope only where the network says so
        ("Town Hall Catering Recharge", None),  # a recharge category paid to an outside caterer is spend
        ("Main Contractor", None),
    ],
)
def test_expenditure_categories_are_classified(expenditure: str, expected: str | None) -> None:
    assert category_of("Acme Services Ltd", expenditure) == expected


def test_every_shipped_rule_has_a_reason_and_a_source() -> None:
    rules = load_scope_rules().rules
    assert list(rules.columns) == list(RULE_COLUMNS)
    assert (rules["reason"].str.len() > 20).all()
    assert (rules["source"].str.len() > 5).all()
    assert set(rules["category"]) >= {
        "taxes_hmrc",
        "public_body",
        "pension_fund",
        "individual_or_redacted",
        "internal_or_vat_only",
        "refund",
        "grant",
    }


def test_folded_text_reads_punctuation_the_same_way() -> None:
    folded = fold_text(pd.Series(["H.M. Revenue & Customs", "Her Majesty's  Revenue-and-Customs", None]))
    assert folded.tolist()[:2] == ["hm revenue and customs", "her majestys revenue and customs"]
    assert pd.isna(folded.iloc[2])


NETWORK_RULES = "\n".join(
    [
        ",".join(RULE_COLUMNS),
        # switch grants on, for every member
        'grant,grant,,,\\b(grants?|donations?)\\b,,,,,yes,"Our network leaves grants out.",Network board minute 12/2025',
        # an exception tried before the defaults: Kent's trading arm sells us energy
        "kent_energy,in_scope,^kent county council$,,\\benergy\\b,,,,,yes,Energy bought through Kent's framework is a purchase.,Network board minute 12/2025",
        # the member's own code for VAT lines, for that member only
        "vat_code_trust,internal_or_vat_only,,,^z110205$,,,,trust,yes,The trust's ledger code for VAT-only lines.,Trust finance team",
        # credit notes from a refunds account count, payments to it do not
        "refund_by_name,refund,\\brefunds?\\b,,,,positive,yes,,yes,Payments to a refunds account.,Procurement Act 2023 s.2",
        # the named-person rule switched off
        "individual_named_person,individual_or_redacted,^(mr|mrs) ,,,,,yes,,no,Off for this network.,Network board",
    ]
)


def test_the_network_can_add_replace_switch_off_and_make_exceptions() -> None:
    rules = load_scope_rules(NETWORK_RULES)
    spend = pd.concat(
        [
            lines(
                ("Citizens Advice", "Grants", 1000.0),
                ("Kent County Council", "Energy", 500.0),
                ("Kent County Council", "Contributions", 70.0),
                ("Acme Ltd", "Z110205", 20.0),
                ("RENT REFUNDS", "Refunds", 30.0),
                ("MR Y ALI", "Consultants", 40.0),
            ),
            lines(("Acme Ltd", "Z110205", 20.0), ("RENT REFUNDS", "Misc", -5.0), member="trust"),
        ],
        ignore_index=True,
    )
    result = classify_scope(spend, rules)
    assert values(result["out_of_scope"])[:6] == [
        "grant",
        None,  # the exception wins over the public-body rule
        "public_body",
        None,  # Z110205 is the trust's code, not the council's
        "refund",  # the category rule still catches it
        None,  # the named-person rule is off
    ]
    assert result["out_of_scope_rule"].iloc[1] == "kent_energy"
    assert result["out_of_scope_reason"].iloc[1] is pd.NA  # an exception gives no out-of-scope reason
    assert result["out_of_scope"].iloc[6] == "internal_or_vat_only"
    assert pd.isna(result["out_of_scope"].iloc[7])  # a credit note from the refunds account: positive only
    # The network's new rules are tried first, replaced ones keep their place.
    order = rules.rules["rule_id"].tolist()
    assert order[:2] == ["kent_energy", "vat_code_trust"]
    assert order.index("refund_by_name") > order.index("tax_hmrc")
    assert rules.rules.set_index("rule_id").loc["grant", "reason"] == "Our network leaves grants out."


def test_member_overrides_put_a_category_in_or_out_of_scope_for_one_member() -> None:
    overrides = "member_id,category,in_scope,reason\ntrust,grant,no,The trust's grants are pass-through\ncouncil,public_body,yes,Shared services bought from the county\n"
    rules = load_scope_rules(member_overrides=overrides)
    spend = pd.concat(
        [
            lines(("Citizens Advice", "Grants", 10.0), ("Kent County Council", "Energy", 10.0)),
            lines(
                ("Citizens Advice", "Grants", 10.0), ("Kent County Council", "Energy", 10.0), member="trust"
            ),
        ],
        ignore_index=True,
    )
    assert values(classify_scope(spend, rules)["out_of_scope"]) == [None, None, "grant", "public_body"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("r1,public_body,(?=council),,,,,,,yes,x,y", "RE2"),
        ("r1,public_body,council,,,,,,,maybe,x,y", "write yes or no"),
        ("r1,Public Body,council,,,,,,,yes,x,y", "category 'Public Body'"),
        ("r1,public_body,,,,,,,,yes,x,y", "matches nothing"),
        ("r1,public_body,council,,,,sideways,,,yes,x,y", "amount_sign"),
    ],
)
def test_a_broken_rule_fails_when_read_and_names_the_rule(bad: str, message: str) -> None:
    with pytest.raises(ScopeRulesError, match=message) as error:
        load_scope_rules(",".join(RULE_COLUMNS) + "\n" + bad)
    assert "r1" in str(error.value)


def test_patterns_run_once_per_distinct_value_not_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(18)
    names = np.array(
        [
            *("Acme Ltd", "HMRC", "Redacted personal data", "Kent County Council", "Mr A Smith", "Zed Co"),
            # spellings that fold alike: each is folded once, and they share what the patterns found
            *("H.M. Revenue & Customs", "HM REVENUE AND CUSTOMS", "acme ltd."),
        ]
    )
    categories = np.array(["Materials", "VAT Pro Forma Invoices", "Grants", "Refunds"])
    n = 250_000
    spend = pd.DataFrame(
        {
            "member_id": "council",
            "supplier_name": pd.array(names[rng.integers(0, len(names), n)], dtype="string"),
            "supplier_id": pd.array([None] * n, dtype="string"),
            "category": pd.array(categories[rng.integers(0, len(categories), n)], dtype="string"),
            "department": pd.array([None] * n, dtype="string"),
            "amount_gbp": rng.uniform(-50, 5000, n).round(2),
        }
    )
    seen: list[int] = []
    real = spend_scope.pc.match_substring_regex

    def counting(values, pattern):  # type: ignore[no-untyped-def]
        seen.append(len(values))
        return real(values, pattern)

    monkeypatch.setattr(spend_scope.pc, "match_substring_regex", counting)
    result = classify_scope(spend, load_scope_rules())
    assert max(seen) <= len(names)  # each pattern saw the distinct values, never the 250,000 lines
    # and the vectorised answer equals classifying each distinct combination on its own
    monkeypatch.setattr(spend_scope.pc, "match_substring_regex", real)
    pairs = spend[["supplier_name", "category"]].drop_duplicates()
    for name, cat in pairs.itertuples(index=False):
        mask = (spend["supplier_name"] == name) & (spend["category"] == cat)
        assert set(result.loc[mask, "out_of_scope"].fillna("-")) == {category_of(name, cat) or "-"}


def test_facts_carry_the_scope_and_the_supplier_summary_splits_by_it(warehouse_url: str) -> None:
    from warehouse.db import make_engine, migrate
    from warehouse.load import record_submission
    from warehouse.schema import fact_spend
    from warehouse.schema import spend_by_supplier as summary_table

    accepted = lines(
        ("HMRC", "C.I.T.Awaiting Payment", 500.0),
        ("Acme Ltd", "Materials", 200.0),
        ("Acme Ltd", "VAT Pro Forma Invoices", 40.0),
    ).drop(columns="member_id")
    accepted.index = pd.RangeIndex(2, 5)
    for column in ("supplier_postcode", "transaction_id", "supplier_size", "spend_tier"):
        accepted[column] = pd.array(["direct" if column == "spend_tier" else None] * 3, dtype="string")
    accepted["payment_date"] = pd.Timestamp("2025-08-01")
    accepted["is_vcse"] = pd.array([None] * 3, dtype="boolean")
    accepted["is_diverse_owned"] = accepted["is_vcse"]
    facts = spend_facts(accepted, "s" * 16, "council", "2025-26-Q2", scope_rules=load_scope_rules())
    assert facts.column("out_of_scope").to_pylist() == [
        "taxes_hmrc",
        None,
        "internal_or_vat_only",
    ]  # arrow: None
    assert facts.column("out_of_scope_rule").to_pylist() == ["tax_hmrc", None, "internal_vat_only"]
    unclassified = spend_facts(accepted, "t" * 16, "council", "2025-26-Q2")
    assert unclassified.column("out_of_scope").null_count == 3

    groups = spend_by_supplier(facts).to_pylist()
    by_scope = {(g["supplier_name_key"], g["out_of_scope"]): g["amount_gbp"] for g in groups}
    assert by_scope == {
        ("hmrc", "taxes_hmrc"): Decimal("500.00"),
        ("acme", None): Decimal("200.00"),
        ("acme", "internal_or_vat_only"): Decimal("40.00"),
    }

    engine = make_engine(warehouse_url)
    migrate(engine)
    now = datetime(2025, 9, 1, tzinfo=UTC)
    record_submission(
        engine,
        {
            "submission_id": "s" * 16,
            "content_hash": "s" * 64,
            "member_id": "council",
            "return_type": "spend",
            "period": "2025-26-Q2",
            "file_name": "spend_2025-26-Q2.csv",
            "received_at": now,
            "processed_at": now,
            "status": "accepted",
            "rows_read": 3,
            "rows_loaded": 3,
            "rows_rejected": 0,
        },
        facts,
    )
    with engine.connect() as conn:
        stored = conn.execute(
            select(fact_spend.c.row_number, fact_spend.c.out_of_scope_rule).order_by(fact_spend.c.row_number)
        ).all()
        summary = conn.execute(select(summary_table.c.out_of_scope, summary_table.c.amount_gbp)).all()
    assert [tuple(r) for r in stored] == [(2, "tax_hmrc"), (3, None), (4, "internal_vat_only")]
    assert sorted((s or "", Decimal(str(a)).quantize(Decimal("0.01"))) for s, a in summary) == [
        ("", Decimal("200.00")),
        ("internal_or_vat_only", Decimal("40.00")),
        ("taxes_hmrc", Decimal("500.00")),
    ]


# --- the real Oxford City Council exports -------------------------------------------------------------

# Oxford's headers that the shared aliases do not know, as a member would map them in the network config.
OXFORD_COLUMNS = {
    "Expenditure Category": "category",
    "Expenditure Catergory": "category",
    "Expenditure Unit": "category",
    "Organisational Unit": "department",
    "Organisatonal Unit": "department",
}


def oxford_lines(path: Path) -> pd.DataFrame:
    from transforms.coercion import coerce_return
    from transforms.reading import read_return
    from transforms.return_types import SPEND

    raw = read_return(path.read_bytes(), path.name, SPEND, OXFORD_COLUMNS)
    typed, _ = coerce_return(raw.frame, SPEND)
    return typed.assign(member_id="oxford-city-council")


@pytest.fixture(scope="module")
def oxford() -> pd.DataFrame:
    if not OXFORD.is_dir():
        pytest.skip(f"the real exports are not here ({OXFORD})")
    frames = [oxford_lines(p).assign(file=p.name) for p in sorted(OXFORD.glob("*.csv"))]
    spend = pd.concat(frames, ignore_index=True)
    return spend.join(classify_scope(spend, load_scope_rules()))


def test_oxford_every_pound_is_in_scope_or_in_a_named_category(oxford: pd.DataFrame) -> None:
    for _file, spend in oxford.groupby("file"):
        summary = scope_summary(spend, spend[["out_of_scope", "out_of_scope_rule"]])
        assert summary["amount_gbp"].sum() == pytest.approx(spend["amount_gbp"].sum())
        assert summary["lines"].sum() == len(spend)
        assert summary["share_pct"].sum() == pytest.approx(100, abs=0.1)


def test_oxford_redacted_payees_hmrc_and_vat_lines_are_out_of_scope(oxford: pd.DataFrame) -> None:
    name = oxford["supplier_name"].str.strip().str.lower()
    redacted = name.str.startswith("redacted", na=False)
    assert redacted.sum() > 500  # the files carry hundreds of them, spelt several ways
    assert (oxford.loc[redacted, "out_of_scope"] == "individual_or_redacted").all()
    hmrc = name.eq("hmrc")
    assert hmrc.sum() > 10 and (oxford.loc[hmrc, "out_of_scope"] == "taxes_hmrc").all()
    vat = oxford["category"].str.contains("VAT Pro Forma", na=False)
    assert vat.sum() > 20 and oxford.loc[vat, "out_of_scope"].notna().all()
    # a VAT line paid to a redacted individual is counted once, under the first rule that matched
    assert (oxford.loc[vat & ~redacted, "out_of_scope"] == "internal_or_vat_only").all()


def test_oxford_businesses_are_never_taken_for_individuals_or_public_bodies(oxford: pd.DataFrame) -> None:
    business = fold_text(oxford["supplier_name"]).str.contains(r"\b(?:ltd|limited|plc|llp)\b", na=False)
    rules = load_scope_rules().rules
    by_name = rules.loc[
        rules["supplier_name"] != "", "rule_id"
    ]  # a tax category (vehicle tax at the Post Office) may still apply
    taken = oxford.loc[business, "out_of_scope_rule"].isin(by_name) & oxford.loc[
        business, "out_of_scope"
    ].isin(["individual_or_redacted", "public_body", "taxes_hmrc"])
    # NHS-owned companies are the one kind of business a public-body rule takes, by design
    nhs = oxford.loc[business, "supplier_name"].str.contains("NHS", case=False, na=False)
    assert not (taken & ~nhs).any(), oxford.loc[business][taken & ~nhs]["supplier_name"].unique()


def test_oxford_share_out_of_scope_is_reported_per_file(oxford: pd.DataFrame) -> None:
    shares = (
        oxford.assign(out=oxford["out_of_scope"].notna() * oxford["amount_gbp"])
        .groupby("file")[["out", "amount_gbp"]]
        .sum()
    )
    share = shares["out"] / shares["amount_gbp"]
    # every quarter has some spend the council cannot influence, and most of its spend is influenceable
    assert ((share > 0) & (share < 0.5)).all(), share


def test_changed_rules_classify_the_stored_spend_again(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    from pipeline.steps.spend_scope import NETWORK_RULES_FILE, refresh_spend_scope
    from warehouse.load import record_submission
    from warehouse.schema import fact_spend
    from warehouse.schema import spend_by_supplier as summary_table

    network = make_network(warehouse_url)
    accepted = lines(
        ("HMRC", "Tax", 500.0), ("Citizens Advice", "Grants", 300.0), ("Acme Ltd", "Materials", 200.0)
    ).drop(columns="member_id")
    accepted.index = pd.RangeIndex(2, 5)
    for column in ("supplier_postcode", "transaction_id", "supplier_size"):
        accepted[column] = pd.array([None] * 3, dtype="string")
    accepted["spend_tier"] = "direct"
    accepted["payment_date"] = pd.Timestamp("2025-08-01")
    accepted["is_vcse"] = pd.array([None] * 3, dtype="boolean")
    accepted["is_diverse_owned"] = accepted["is_vcse"]
    now = datetime(2025, 9, 1, tzinfo=UTC)
    record_submission(  # loaded before the rules existed: every line in scope
        network.engine,
        {
            "submission_id": "u" * 16,
            "content_hash": "u" * 64,
            "member_id": "council",
            "return_type": "spend",
            "period": "2025-26-Q2",
            "file_name": "spend_2025-26-Q2.csv",
            "received_at": now,
            "processed_at": now,
            "status": "accepted",
            "rows_read": 3,
            "rows_loaded": 3,
            "rows_rejected": 0,
        },
        spend_facts(accepted, "u" * 16, "council", "2025-26-Q2"),
    )

    def stored() -> tuple[list[str | None], dict[str, Decimal]]:
        with network.engine.connect() as conn:
            facts = (
                conn.execute(select(fact_spend.c.out_of_scope).order_by(fact_spend.c.row_number))
                .scalars()
                .all()
            )
            sums = conn.execute(
                select(summary_table.c.out_of_scope, func.sum(summary_table.c.amount_gbp)).group_by(
                    summary_table.c.out_of_scope
                )
            ).all()
        return list(facts), {s or "": Decimal(str(a)).quantize(Decimal("0.01")) for s, a in sums}

    assert stored() == ([None, None, None], {"": Decimal("1000.00")})
    assert refresh_spend_scope(network)["lines_changed"] == 1
    assert stored() == (["taxes_hmrc", None, None], {"": Decimal("500.00"), "taxes_hmrc": Decimal("500.00")})
    assert refresh_spend_scope(network) == {"status": "unchanged"}

    # the network switches grants out of scope: the stored grant line follows, facts and summary together
    network.bucket.write(
        NETWORK_RULES_FILE,
        (
            ",".join(RULE_COLUMNS) + "\ngrant,grant,,,\\bgrants?\\b,,,,,yes,Grants are out.,Board minute\n"
        ).encode(),
    )
    assert refresh_spend_scope(network)["lines_changed"] == 1
    assert stored() == (
        ["taxes_hmrc", "grant", None],
        {"": Decimal("200.00"), "grant": Decimal("300.00"), "taxes_hmrc": Decimal("500.00")},
    )

"""Spend KPIs against figures worked out by hand from a small network.

Local area: postcode area SE plus district DA1 (so DA1 is local but DA2 is not).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from transforms.kpi_registry import SPEND_CODES, SPEND_SCOPE_CODES
from transforms.spend_kpis import KPI_COLUMNS, classify_spend, spend_kpis, spend_kpis_to_date

COLUMNS = ["member_id", "sector", "period", "size", "is_vcse", "is_diverse", "area", "district", "amount"]
LG, NHS, HE = "local_government", "nhs", "higher_education"
Q1, Q2, YEAR = "2025-26-Q1", "2025-26-Q2", "2025-26"

ROWS = [
    # member        sector period size      vcse   diverse area  district amount
    ("council", LG, Q1, "small", False, False, "SE", "SE1", 1000.0),  # local SME
    ("council", LG, Q1, "large", False, True, "SE", "SE1", 500.0),  # local, diverse, not SME
    ("council", LG, Q1, "micro", True, True, "DA", "DA1", 200.0),  # local SME *and* diverse, VCSE
    ("council", LG, Q1, None, False, None, "DA", "DA2", 300.0),  # unknown size, DA2 not local
    ("trust", NHS, Q1, "medium", None, False, "M", "M1", 800.0),  # SME, not local
    ("trust", NHS, Q1, None, None, None, None, None, 100.0),  # nothing known
    ("council", LG, Q2, "small", False, False, "SE", "SE17", 400.0),  # local SME
    ("council", LG, Q2, "large", False, False, "SE", "SE1", -100.0),  # credit note, local
    ("borough", LG, Q2, "micro", False, False, "SE", "SE5", 250.0),  # local SME
    ("trust", NHS, Q2, "large", False, False, "DH", "DH1", 600.0),
    ("university", HE, Q2, "medium", False, True, None, None, 50.0),  # diverse SME, not local
]

# Worked by hand from ROWS: (total, sme, unknown_size, local, local_sme, vcse, diverse, local SME or diverse).
EXPECTED = {
    ("network", "london", Q1): (2900, 2000, 400, 1700, 1200, 200, 700, 1700),
    ("network", "london", Q2): (1200, 700, 0, 550, 650, 0, 50, 700),
    ("network", "london", YEAR): (4100, 2700, 400, 2250, 1850, 200, 750, 2400),
    ("member", "council", Q1): (2000, 1200, 300, 1700, 1200, 200, 700, 1700),
    ("member", "council", Q2): (300, 400, 0, 300, 400, 0, 0, 400),
    ("member", "council", YEAR): (2300, 1600, 300, 2000, 1600, 200, 700, 2100),
    ("member", "trust", Q1): (900, 800, 100, 0, 0, 0, 0, 0),
    ("member", "trust", Q2): (600, 0, 0, 0, 0, 0, 0, 0),
    ("member", "trust", YEAR): (1500, 800, 100, 0, 0, 0, 0, 0),
    ("member", "borough", Q2): (250, 250, 0, 250, 250, 0, 0, 250),
    ("member", "borough", YEAR): (250, 250, 0, 250, 250, 0, 0, 250),
    ("member", "university", Q2): (50, 50, 0, 0, 0, 0, 50, 50),
    ("sector", LG, Q1): (2000, 1200, 300, 1700, 1200, 200, 700, 1700),
    ("sector", LG, Q2): (550, 650, 0, 550, 650, 0, 0, 650),
    ("sector", LG, YEAR): (2550, 1850, 300, 2250, 1850, 200, 700, 2350),
    ("sector", NHS, YEAR): (1500, 800, 100, 0, 0, 0, 0, 0),
    ("sector", HE, YEAR): (50, 50, 0, 0, 0, 0, 50, 50),
}


def frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    result = pd.DataFrame(rows, columns=COLUMNS)
    for flag in ("is_vcse", "is_diverse"):
        result[flag] = result[flag].astype("boolean")  # as pipeline.steps.kpis builds it
    return result


def kpis(rows: list[tuple[object, ...]] = ROWS) -> pd.DataFrame:
    return spend_kpis(classify_spend(frame(rows), ["SE"], ["DA1"]), "london")


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    return kpis()


def value(result: pd.DataFrame, scope: str, scope_id: str, period: str, code: str) -> float:
    match = result[
        (result["scope"] == scope)
        & (result["scope_id"] == scope_id)
        & (result["period"] == period)
        & (result["kpi"] == code)
    ]
    assert len(match) == 1, (scope, scope_id, period, code, match)
    return float(match["value"].iloc[0])


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: "-".join(k))
def test_kpis_match_hand_worked_figures(result: pd.DataFrame, key: tuple[str, str, str]) -> None:
    total, sme, unknown, local, local_sme, vcse, diverse, small_or_diverse = EXPECTED[key]
    amounts = {
        "spend_total": total,
        "spend_sme": sme,
        "spend_unknown_size": unknown,
        "spend_local": local,
        "spend_local_sme": local_sme,
        "spend_vcse": vcse,
        "spend_diverse": diverse,
    }
    for code, expected in amounts.items():
        assert value(result, *key, code) == pytest.approx(expected), code
    shares = {
        "spend_sme_pct": sme,
        "spend_unknown_size_pct": unknown,
        "spend_local_pct": local,
        "spend_small_or_diverse_pct": small_or_diverse,
    }
    for code, numerator in shares.items():
        assert value(result, *key, code) == pytest.approx(100 * numerator / total, abs=1e-4), code


def test_each_pound_counted_once_for_local_sme_or_diverse(result: pd.DataFrame) -> None:
    # Q1 network: local SMEs 1000 + 200, diverse 500 + 200; the 200 is both and counts once.
    assert value(result, "network", "london", Q1, "spend_small_or_diverse_pct") == pytest.approx(
        100 * 1700 / 2900, abs=1e-4
    )
    local_sme = value(result, "network", "london", Q1, "spend_local_sme")
    diverse = value(result, "network", "london", Q1, "spend_diverse")
    assert local_sme + diverse == 1900  # the naive sum that would double count


def test_unknown_size_is_never_sme(result: pd.DataFrame) -> None:
    # The trust's Q1 £100 has no size: it is unknown, neither SME nor counted in the SME share.
    assert value(result, "member", "trust", Q1, "spend_sme") == 800
    assert value(result, "member", "trust", Q1, "spend_unknown_size") == 100
    assert value(result, "member", "trust", Q1, "spend_sme_pct") == pytest.approx(100 * 800 / 900)
    only_unknown = kpis([("x", LG, Q1, None, None, None, "SE", "SE1", 70.0)])
    assert value(only_unknown, "network", "london", Q1, "spend_sme") == 0
    assert value(only_unknown, "network", "london", Q1, "spend_local_sme") == 0
    assert value(only_unknown, "network", "london", Q1, "spend_small_or_diverse_pct") == 0
    assert value(only_unknown, "network", "london", Q1, "spend_unknown_size_pct") == 100


def test_every_scope_and_period_has_every_kpi(result: pd.DataFrame) -> None:
    assert list(result.columns) == KPI_COLUMNS
    groups = result.groupby(["scope", "scope_id", "period"])["kpi"].apply(sorted)
    in_scope = [c for c in SPEND_SCOPE_CODES if c != "spend_size_known_pct"]
    assert all(kpi_list == sorted([*SPEND_CODES, *in_scope]) for kpi_list in groups)
    assert set(result.loc[result["scope"] == "network", "scope_id"]) == {"london"}
    # Q1 and Q2 for the network plus the year to date; no member invented for a period it did not send.
    assert set(result.loc[result["scope"] == "network", "period"]) == {Q1, Q2, YEAR}
    assert set(result.loc[result["scope_id"] == "university", "period"]) == {Q2, YEAR}
    units = result.drop_duplicates("kpi").set_index("kpi")["unit"]
    assert units["spend_total"] == "GBP" and units["spend_sme_pct"] == "%"


def test_year_to_date_sums_the_quarters(result: pd.DataFrame) -> None:
    for scope, scope_id in [("network", "london"), ("member", "council"), ("sector", LG)]:
        for code in ("spend_total", "spend_sme", "spend_local", "spend_diverse"):
            quarters = sum(value(result, scope, scope_id, q, code) for q in (Q1, Q2))
            assert value(result, scope, scope_id, YEAR, code) == pytest.approx(quarters)


def test_yearly_returns_count_once_in_the_year() -> None:
    rows = [
        ("college", "further_education", YEAR, "small", False, False, "SE", "SE1", 1000.0),
        ("council", LG, Q1, "large", False, False, "N", "N1", 300.0),
    ]
    result = kpis(rows)
    assert value(result, "network", "london", YEAR, "spend_total") == 1300
    assert value(result, "member", "college", YEAR, "spend_total") == 1000
    assert set(result.loc[result["scope_id"] == "college", "period"]) == {YEAR}


def test_zero_total_gives_missing_percentages_not_a_crash() -> None:
    rows = [
        ("council", LG, Q1, "small", False, False, "SE", "SE1", 250.0),
        ("council", LG, Q1, "small", False, False, "SE", "SE1", -250.0),  # fully credited
        ("trust", NHS, Q1, "large", False, False, "N", "N1", 100.0),
    ]
    result = kpis(rows)
    assert value(result, "member", "council", Q1, "spend_total") == 0
    for code in ("spend_sme_pct", "spend_local_pct", "spend_unknown_size_pct", "spend_small_or_diverse_pct"):
        assert math.isnan(value(result, "member", "council", Q1, code))
    assert value(result, "network", "london", Q1, "spend_sme_pct") == 0  # 0 of 100
    assert not result["value"].isin([float("inf"), float("-inf")]).any()


def test_no_spend_gives_an_empty_table() -> None:
    empty = spend_kpis(classify_spend(frame([]), ["SE"], ["DA1"]), "london")
    assert empty.empty
    assert list(empty.columns) == KPI_COLUMNS


def test_classify_spend_splits_each_row_into_amount_columns() -> None:
    classified = classify_spend(frame(ROWS[:4]), ["SE"], ["DA1"])
    assert list(classified.columns[:3]) == ["member_id", "sector", "period"]
    assert classified["sme"].tolist() == [1000, 0, 200, 0]
    assert classified["unknown_size"].tolist() == [0, 0, 0, 300]
    assert classified["local"].tolist() == [1000, 500, 200, 0]  # DA1 by district, DA2 not
    assert classified["vcse"].tolist() == [0, 0, 200, 0]
    assert classified["small_or_diverse"].tolist() == [1000, 500, 200, 0]
    assert classified["total"].tolist() == [1000, 500, 200, 300]


def test_spend_by_supplier_sums_each_supplier_profile_once() -> None:
    from decimal import Decimal

    import pyarrow as pa

    from transforms.spend import SPEND_FACT_SCHEMA, spend_by_supplier

    rows = [
        # (name key, size, vcse, amount)
        ("acme", "small", None, "10.00"),
        ("acme", "small", None, "5.50"),
        ("acme", "small", True, "1.00"),  # the line says VCSE: another profile
        (None, None, None, "2.25"),  # a line without a name key still counts, in its own group
        (None, None, None, "0.75"),
    ]
    n = len(rows)
    columns = {field.name: [None] * n for field in SPEND_FACT_SCHEMA}
    columns.update(
        submission_id=["s1"] * n,
        row_number=list(range(2, n + 2)),
        member_id=["m1"] * n,
        period=["2025-26-Q2"] * n,
        supplier_name=["x"] * n,
        supplier_name_key=[r[0] for r in rows],
        supplier_size=[r[1] for r in rows],
        is_vcse=[r[2] for r in rows],
        amount_gbp=[Decimal(r[3]) for r in rows],
        spend_tier=["direct"] * n,
    )
    summed = spend_by_supplier(pa.table(columns, schema=SPEND_FACT_SCHEMA)).to_pylist()
    assert [
        (r["line_group"], r["supplier_name_key"], r["is_vcse"], r["amount_gbp"], r["lines"]) for r in summed
    ] == [
        (1, "acme", None, Decimal("15.50"), 2),
        (2, "acme", True, Decimal("1.00"), 1),
        (3, None, None, Decimal("3.00"), 2),
    ]
    assert {r["submission_id"] for r in summed} == {"s1"}
    assert sum(r["lines"] for r in summed) == n


# (member, sector, period, size, vcse, diverse, area, district, amount, out of scope)
SCOPED = [
    ("council", LG, Q1, "small", False, False, "SE", "SE1", 1000.0, None),  # local SME
    ("council", LG, Q1, None, None, None, None, None, 300.0, "taxes_hmrc"),  # HMRC: size unknown
    ("council", LG, Q1, "large", False, False, "SE", "SE1", 200.0, "public_body"),  # a local public body
    ("council", LG, Q1, None, None, None, None, None, 500.0, None),  # a supplier of unknown size
    ("trust", NHS, Q1, None, None, None, "SE", "SE2", 100.0, "public_body"),
]


def scoped_kpis(share_basis: str = "in_scope") -> pd.DataFrame:
    aggregated = frame([r[:-1] for r in SCOPED]).assign(out_of_scope=[r[-1] for r in SCOPED])
    return spend_kpis(classify_spend(aggregated, ["SE"], ["DA1"], share_basis=share_basis), "london")


def test_shares_divide_by_in_scope_spend_and_out_of_scope_is_reported_beside_them() -> None:
    result = scoped_kpis()
    net = {code: value(result, "network", "london", Q1, code) for code in result["kpi"].unique()}
    # worked by hand: total 2100, of which 300 HMRC and 200 + 100 public bodies are out of scope
    assert net["spend_total"] == 2100
    assert net["spend_in_scope"] == 1500
    assert net["spend_out_of_scope"] == 600
    assert net["spend_out_of_scope:taxes_hmrc"] == 300
    assert net["spend_out_of_scope:public_body"] == 300
    assert net["spend_in_scope_pct"] == pytest.approx(100 * 1500 / 2100, abs=1e-4)
    # numerators are in-scope amounts: the local public body is neither local spend nor "size known"
    assert net["spend_sme"] == 1000 and net["spend_local"] == 1000
    assert net["spend_unknown_size"] == 500
    assert net["spend_sme_pct"] == pytest.approx(100 * 1000 / 1500, abs=1e-4)
    assert net["spend_unknown_size_pct"] == pytest.approx(100 * 500 / 1500, abs=1e-4)
    assert net["spend_local_pct"] == pytest.approx(100 * 1000 / 1500, abs=1e-4)
    # nothing disappears: in scope + each category = total, for every scope
    for (scope, scope_id), rows in result[result["period"] == Q1].groupby(["scope", "scope_id"]):
        v = rows.set_index("kpi")["value"]
        parts = v[[k for k in v.index if k.startswith("spend_out_of_scope:")]].sum()
        assert v["spend_in_scope"] + parts == pytest.approx(v["spend_total"]), (scope, scope_id)
    # a member with no public-body spend still has the category, at zero
    assert value(result, "member", "trust", Q1, "spend_out_of_scope:taxes_hmrc") == 0
    assert value(result, "member", "trust", Q1, "spend_in_scope") == 0
    assert math.isnan(value(result, "member", "trust", Q1, "spend_sme_pct"))  # nothing in scope to divide


def test_a_network_may_keep_all_spend_as_the_share_basis() -> None:
    result = scoped_kpis("total")
    assert value(result, "network", "london", Q1, "spend_sme_pct") == pytest.approx(
        100 * 1000 / 2100, abs=1e-4
    )
    assert value(result, "network", "london", Q1, "spend_local") == 1300  # 1000 + 200 + 100 (SE2)
    assert value(result, "network", "london", Q1, "spend_unknown_size") == 900
    assert value(result, "network", "london", Q1, "spend_in_scope") == 1500  # still reported
    with pytest.raises(ValueError, match="share_basis"):
        classify_spend(frame([]), ["SE"], [], share_basis="everything")


def test_year_to_date_carries_the_scope_figures() -> None:
    aggregated = frame([r[:-1] for r in SCOPED]).assign(out_of_scope=[r[-1] for r in SCOPED])
    ytd = spend_kpis_to_date(classify_spend(aggregated, ["SE"], ["DA1"]), "london").set_index("kpi")["value"]
    assert ytd["spend_in_scope_ytd"] == 1500
    assert ytd["spend_out_of_scope:public_body_ytd"] == 300

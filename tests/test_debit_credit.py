"""Ledger exports with Debit and Credit columns instead of one Amount: the amount is the debit less the
credit, every row is still accounted for, and a file that has an Amount keeps reading it."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pipeline.steps.checking import check_return
from pipeline.steps.ingest import ingest
from tests.test_checking import assert_accounting
from transforms.coercion import whole_of_parts
from transforms.headers import recogniser
from transforms.periods import Period
from transforms.return_types import SPEND
from warehouse.schema import fact_spend

PERIOD = Period.parse("2025-26-Q2")


def ledger(rows: list[tuple[str, str]], header: str = "Debit,Credit") -> bytes:
    lines = [f"Payment Date,Supplier Name,{header},Transaction No"]
    lines += [
        f'{10 + i % 18}/08/2025,Supplier {i} Ltd,"{debit}","{credit}",T{i}'
        for i, (debit, credit) in enumerate(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_debits_less_credits_whatever_sign_the_credit_is_written_with() -> None:
    rows = [
        ("250.00", ""),
        ("", "50.00"),
        ("100.00", "0.00"),
        ("", "-20.00"),
        ("£1,000.00", "(10.00)"),
        ("0", "0"),
    ]
    result = check_return(ledger(rows), "spend.csv", SPEND, PERIOD)
    assert_accounting(result)
    assert result.status == "accepted"
    assert result.accepted["amount_gbp"].tolist() == [250.0, -50.0, 100.0, -20.0, 990.0, 0.0]
    assert result.raw is not None and result.raw.mapped["Debit"] == "amount_debit"


def test_a_row_without_either_is_missing_its_amount_and_an_unreadable_part_is_said_once() -> None:
    rows = [("250.00", "")] * 40 + [("", ""), ("TBC", "")]
    result = check_return(ledger(rows), "spend.csv", SPEND, PERIOD)
    assert_accounting(result)
    assert result.rows_rejected == 2
    problems = result.problems.set_index("row")
    assert problems.loc[42, "column"] == "amount_gbp"  # both blank: the amount is missing
    # 'TBC' in Debit: one reason, on the member's own column, not also "the amount is missing"
    assert problems.loc[[43], "column"].tolist() == ["amount_debit"]
    assert "'TBC' is not an amount" in problems.loc[43, "reason"]


@pytest.mark.parametrize(
    ("header", "mapped", "missing"),
    [
        (["Date", "Supplier", "Debit", "Credit"], {"Debit": "amount_debit", "Credit": "amount_credit"}, ()),
        (["Date", "Supplier", "Dr Amount (£)", "Cr Amount (£)"], {"Dr Amount (£)": "amount_debit"}, ()),
        (["Date", "Supplier", "Debit"], {"Debit": "amount_debit"}, ()),  # a ledger of payments alone
        # an Amount of its own wins; the parts are then not read at all
        (["Date", "Supplier", "Amount", "Debit", "Credit"], {"Amount": "amount_gbp"}, ()),
        (["Date", "Supplier", "Credit"], {"Credit": "amount_credit"}, ("amount_gbp",)),  # refunds only
        (["Date", "Creditor Name", "Creditor Number", "Amount"], {"Creditor Name": "supplier_name"}, ()),
        (["Date", "Supplier", "Credit Card Number", "Amount"], {"Amount": "amount_gbp"}, ()),
    ],
)
def test_which_headers_are_read_as_the_parts(
    header: list[str], mapped: dict[str, str], missing: tuple
) -> None:
    mapping = recogniser(SPEND).map(header)
    read = {m.header: m.column for m in mapping.matches}
    assert mapped.items() <= read.items()
    if "Amount" in read:
        assert not {"amount_debit", "amount_credit"} & set(read.values())
    assert mapping.missing == missing


def test_a_credit_column_alone_is_refused_with_the_closest_header() -> None:
    data = b"Payment Date,Supplier Name,Credit\n14/08/2025,Acme Ltd,50.00\n"
    result = check_return(data, "spend.csv", SPEND, PERIOD)
    assert result.status == "quarantined"
    assert "'Amount'" in (result.file_reason or "")


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.decimals(-(10**6), 10**6, places=2).map(float)),
            st.one_of(st.none(), st.decimals(-(10**6), 10**6, places=2).map(float)),
        ),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=200, deadline=None)
def test_the_amount_is_the_debit_less_the_credit_row_by_row(
    pairs: list[tuple[float | None, float | None]],
) -> None:
    debit = pd.Series([d for d, _ in pairs], dtype="float64")
    credit = pd.Series([c for _, c in pairs], dtype="float64")
    whole = whole_of_parts(debit, credit).tolist()
    for (d, c), amount in zip(pairs, whole, strict=True):
        if d is None and c is None:
            assert pd.isna(amount)
        else:
            expected = Decimal(str(d or 0)) - abs(Decimal(str(c or 0)))
            assert Decimal(str(amount)).quantize(Decimal("0.01")) == expected


def test_a_ledger_export_loads_its_net_amounts(make_network, tmp_path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    rows = [("250.00", ""), ("", "50.00"), ("1,200.50", "0.50")]
    network.bucket.write(
        "incoming/kingsbridge-council/spend_2025-26-Q2.csv", ledger(rows, "Debit (£),Credit (£)")
    )
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted", outcome
    with network.engine.connect() as conn:
        loaded = conn.execute(select(fact_spend.c.row_number, fact_spend.c.amount_gbp)).all()
    assert sorted((int(r), Decimal(str(a)).quantize(Decimal("0.01"))) for r, a in loaded) == [
        (2, Decimal("250.00")),
        (3, Decimal("-50.00")),
        (4, Decimal("1200.00")),
    ]

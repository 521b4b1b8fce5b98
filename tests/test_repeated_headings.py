"""Rows that repeat the column headings (exports joined into one file, headings on every page): set
aside like totals rows, never read as data, never counted against the member's tolerance."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import transforms.fast_reading as fast_reading
from pipeline.presentation.feedback_pages import SET_ASIDE_LABELS, problems_csv
from pipeline.steps.checking import check_return
from tests.test_checking import PERIOD, assert_accounting
from transforms.raw_table import SET_ASIDE_RULES
from transforms.repeated_headings import plain, repeated_heading_rows
from transforms.return_types import SPEND

HEADING = "Payment Date,Supplier Name,Amount,Transaction ID,Supplier Postcode"
MARK = "\ufeff"


def month(number: int, lines: int, first_id: int) -> list[str]:
    return [
        f"{1 + i % 28:02d}/{number:02d}/2025,Supplier {i % 40} Ltd,{10 + i % 7}.50,T{first_id + i},SE1 7PB"
        for i in range(lines)
    ]


@pytest.mark.parametrize("lines", [5, 3_000], ids=["small", "fast-path-size"])
def test_three_monthly_exports_joined_into_a_quarter(lines: int) -> None:
    """Each export brings its byte-order mark and headings; the second and third headings are set aside,
    every payment loads, nothing counts against the tolerance."""
    parts = [[MARK + HEADING, *month(7 + m, lines, m * lines)] for m in range(3)]
    data = "\r\n".join(line for part in parts for line in part).encode() + b"\r\n"
    assert len(data) > fast_reading.MIN_CHARS or lines == 5
    result = check_return(data, "spend_2025-26-Q2.csv", SPEND, PERIOD)
    assert_accounting(result)
    assert result.status == "accepted"
    assert (result.rows_read, result.rows_accepted, result.rows_rejected, result.rows_set_aside) == (
        3 * lines + 2,
        3 * lines,
        0,
        2,
    )
    set_aside = result.problems.loc[result.problems["rule"] == "row:heading", "row"].tolist()
    assert set_aside == [lines + 2, 2 * lines + 3]  # file lines: the first heading is line 1
    assert result.accepted_total_gbp == round(sum(10 + i % 7 + 0.5 for i in range(lines)) * 3, 2)


def test_a_report_that_prints_its_headings_on_every_page() -> None:
    """The headings again every 20 lines, in capitals or with other spacing, some cells left blank."""
    variants = [
        "PAYMENT DATE,SUPPLIER NAME,AMOUNT,TRANSACTION ID,SUPPLIER POSTCODE",
        " payment  date , Supplier Name,Amount ,Transaction\u00a0ID,",
        "Payment Date,Supplier\u200b Name,Amount,,",
    ]
    lines = [HEADING]
    payments = month(8, 60, 0)
    for page in range(3):
        if page:
            lines.append(variants[page])
        lines.extend(payments[page * 20 : (page + 1) * 20])
    lines.append(variants[0])  # and once more after the last payment
    result = check_return("\n".join(lines).encode(), "spend.csv", SPEND, PERIOD)
    assert_accounting(result)
    assert (result.rows_accepted, result.rows_rejected, result.rows_set_aside) == (60, 0, 3)
    assert result.problems["row"].tolist() == [22, 43, 64]


def test_rows_that_only_share_a_value_with_the_headings_are_data() -> None:
    """A supplier called "Supplier Name" with an amount is a payment; a row with the heading of one
    column alone, or without the heading of a required column, is not a heading row (the first, a line
    of one text with no supplier and no amount, is a note; the second a row with problems)."""
    lines = [
        HEADING,
        *month(8, 60, 0),
        "01/08/2025,Supplier Name,25.00,T900,SE1 7PB",
        ",,Amount,,",
        "Payment Date,Acme Ltd,Amount,T901,",
    ]
    result = check_return("\n".join(lines).encode(), "spend.csv", SPEND, PERIOD)
    assert_accounting(result)
    assert result.status == "accepted"
    assert 62 in result.accepted.index  # the supplier called "Supplier Name"
    rules = result.problems.groupby("row")["rule"].apply(set).to_dict()
    assert set(rules) == {63, 64} and rules[63] == {"row:note"} and "row:heading" not in rules[64]
    assert (result.rows_set_aside, result.rows_rejected) == (1, 1)


def test_the_member_is_told_which_lines_were_headings() -> None:
    data = "\n".join([HEADING, *month(8, 4, 0), HEADING, *month(9, 4, 10)]).encode()
    result = check_return(data, "spend.csv", SPEND, PERIOD)
    listed = problems_csv(result.problems).decode("utf-8-sig").splitlines()[1:]
    assert len(listed) == 1 and listed[0].startswith("6,")
    assert '"Payment Date, Supplier Name, Amount, Transaction ID, Supplier Postcode"' in listed[0]
    assert "Not loaded: column headings (not a problem)" in listed[0]
    assert "repeats the column headings" in listed[0]
    assert set(SET_ASIDE_LABELS) == SET_ASIDE_RULES  # every kind of row set aside has its label


_HEADINGS = {"payment_date": "Payment Date", "supplier_name": "Supplier Name", "amount_gbp": "Amount"}
_CELLS = st.sampled_from(
    [
        None,
        "",
        " ",
        "Payment Date",
        "payment  date",
        MARK + "Payment Date",
        "Supplier Name",
        "SUPPLIER\u200bNAME",
        "Supplier\u200b Name",
        "Amount",
        " amount ",
        "Amounts",
        "12.50",
        "01/08/2025",
        "Name",
        "Supplier Name Ltd",
        "Straße",
        "PAYMENT DATE",
        "Paymént Date",
        "\u212amount",
    ]
)


# Rows that are, or nearly are, the headings again (any cell drawn alone rarely makes one).
_HEADING_LIKE = st.tuples(
    st.sampled_from(
        [None, "", "Payment Date", "payment  date", MARK + "Payment Date", "PAYMENT DATE", "Paymént Date"]
    ),
    st.sampled_from(
        ["Supplier Name", "Supplier\u200b Name", "SUPPLIER\u200bNAME", "supplier name", "Supplier Name Ltd"]
    ),
    st.sampled_from(["Amount", " amount ", "\u212amount", "Amounts", "AMOUNT", None]),
)


def _brute_force(frame: pd.DataFrame) -> list[int]:
    """The rule, row by row and cell by cell, without the one-column pass that picks the candidates."""
    found = []
    for row, cells in frame.iterrows():
        sent = {c: plain(v) for c, v in cells.items() if isinstance(v, str) and plain(v)}
        if set(SPEND.required) <= set(sent) and all(plain(_HEADINGS[c]) == v for c, v in sent.items()):
            found.append(row)
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_HEADING_LIKE, st.tuples(_CELLS, _CELLS, _CELLS)), min_size=1, max_size=30))
def test_the_candidates_pass_never_misses_a_heading_row(rows: list[tuple[str | None, ...]]) -> None:
    frame = pd.DataFrame(rows, columns=list(_HEADINGS), dtype="str", index=range(2, len(rows) + 2))
    assert repeated_heading_rows(frame, _HEADINGS, SPEND.required) == _brute_force(frame)

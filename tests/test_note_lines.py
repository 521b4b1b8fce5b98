"""Lines of report furniture (page numbers, print dates, section titles) are set aside, not rejected:
listed for the member, not loaded, not counted against the tolerance, and every row still accounted for."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.presentation.feedback_pages import problems_csv
from pipeline.steps.checking import check_return
from tests.test_checking import assert_accounting
from transforms.note_lines import note_rows
from transforms.periods import Period
from transforms.return_types import SPEND

PERIOD = Period.parse("2025-26-Q2")


def report_export(payments: int, footer_every: int) -> tuple[bytes, int]:
    """A report printed to CSV: a section title per department, a page footer every ``footer_every``
    payments, a print stamp and an end line. Returns the bytes and the number of note lines."""
    lines = ["Payment Date,Supplier Name,Amount,Department"]
    notes = 0
    for i in range(payments):
        if i % 50 == 0:
            lines.append(f"Housing Services {i // 50},,,")  # a section title
            notes += 1
        lines.append(f"{1 + i % 28:02d}/08/2025,Supplier {i} Ltd,{10 + i}.00,Housing")
        if (i + 1) % footer_every == 0:
            lines.append(f",,Page {(i + 1) // footer_every} of {payments // footer_every},")
            notes += 1
    lines += ["Printed on 01/10/2025 09:14 by JSMITH,,,", ",,,", "*** End of report ***,,,"]
    return ("\n".join(lines) + "\n").encode(), notes + 2


def test_page_footers_and_titles_are_set_aside_not_counted_against_the_tolerance() -> None:
    data, notes = report_export(400, footer_every=15)  # 36 notes: 8% of the lines, over the 5% tolerance
    result = check_return(data, "spend.csv", SPEND, PERIOD)
    assert_accounting(result)
    assert result.status == "accepted", result.file_reason
    assert (result.rows_accepted, result.rows_rejected, result.rows_set_aside) == (400, 0, notes)
    set_aside = result.problems[result.problems["rule"] == "row:note"]
    assert "Page 1 of 26" in set_aside["value"].tolist()
    assert "*** End of report ***" in set_aside["value"].tolist()
    assert "Not loaded: a note, no payment" in problems_csv(result.problems).decode("utf-8-sig")


def test_a_row_with_a_supplier_or_an_amount_is_never_a_note() -> None:
    rows = [f"14/08/2025,Supplier {i} Ltd,{10 + i}.00" for i in range(60)]
    rows += ["15/08/2025,Acme Ltd,", ",,123.45", "16/08/2025,,"]  # no amount; an amount alone; a date alone
    data = ("Payment Date,Supplier Name,Amount\n" + "\n".join(rows) + "\n").encode()
    result = check_return(data, "spend.csv", SPEND, PERIOD)
    assert_accounting(result)
    rules = result.problems.groupby("row")["rule"].apply(set)
    assert "row:note" not in rules[62] and "row:note" not in rules[63]  # rejected, with reasons
    assert rules[64] == {"row:note"}  # a date and nothing else carries no payment


def test_a_merged_title_across_a_workbook_row_is_one_note() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Payment Date", "Supplier Name", "Amount"])
    sheet.append(["Children's Services", None, None])
    sheet.merge_cells("A2:C2")  # read as the title in every cell it covers
    for i in range(30):
        sheet.append([f"{1 + i:02d}/08/2025", f"Supplier {i} Ltd", 100 + i])
    buffer = io.BytesIO()
    book.save(buffer)
    result = check_return(buffer.getvalue(), "spend.xlsx", SPEND, PERIOD)
    assert_accounting(result)
    assert result.rows_set_aside == 1 and result.rows_rejected == 0
    assert result.problems.loc[result.problems["rule"] == "row:note", "value"].tolist() == [
        "Children's Services"
    ]


_CELLS = st.one_of(st.none(), st.sampled_from(["", " ", "Page 1", "x", " x ", "Acme Ltd", "10.00", "\t"]))


@given(st.lists(st.tuples(_CELLS, _CELLS, _CELLS, _CELLS), min_size=1, max_size=25))
@settings(max_examples=150, deadline=None)
def test_note_rows_are_the_rule_applied_row_by_row(rows: list[tuple]) -> None:
    frame = pd.DataFrame(
        rows, columns=["supplier_name", "amount_gbp", "category", "department"], index=range(2, 2 + len(rows))
    )

    def is_note(cells: tuple) -> bool:
        texts = {c.strip() for c in cells if isinstance(c, str) and c.strip()}
        supplier, amount = (c.strip() if isinstance(c, str) else "" for c in cells[:2])
        if len(texts) != 1 or amount not in ("", "Page 1", "x", "Acme Ltd"):  # "10.00" is an amount
            return False
        return not supplier or supplier == amount  # a supplier alone is a payment without its amount

    expected = [line for line, cells in zip(frame.index, rows, strict=True) if is_note(cells)]
    assert note_rows(frame.astype("string"), SPEND) == expected
    assert note_rows(frame, SPEND) == expected

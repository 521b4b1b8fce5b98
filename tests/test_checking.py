"""The rejection contract (docs/design.md#the-rejection-contract): what a member is told about each file they send.

Files are written out as literal CSV text, so every expected row number can be checked by counting
lines. The period is 2025-26 Q2 (1 July - 30 September 2025) throughout.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook

from pipeline.steps.checking import ReturnCheck, check_return
from transforms.periods import Period
from transforms.raw_table import SET_ASIDE_RULES
from transforms.return_types import SPEND

PERIOD = Period.parse("2025-26-Q2")
HEADER = "Payment Date,Supplier Name,Amount,Supplier Postcode,Transaction ID,Supplier Size"


def check(text: str | bytes, file_name: str = "spend_2025-26-Q2.csv", **kwargs: object) -> ReturnCheck:
    data = text.encode("utf-8") if isinstance(text, str) else text
    result = check_return(data, file_name, SPEND, PERIOD, **kwargs)  # type: ignore[arg-type]
    assert_accounting(result)
    return result


def assert_accounting(result: ReturnCheck) -> None:
    """rows read = rows accepted + rows rejected + rows set aside (totals, repeated headings, notes), and every
    row not loaded is explained (or the file is); a row set aside is never also a problem."""
    assert result.rows_read == result.rows_accepted + result.rows_rejected + result.rows_set_aside
    assert result.rows_accepted >= 0 and result.rows_rejected >= 0 and result.rows_set_aside >= 0
    set_aside = (
        result.problems.loc[result.problems["rule"].isin(SET_ASIDE_RULES), "row"]
        if len(result.problems)
        else []
    )
    assert result.rows_set_aside == len(set(set_aside))
    if result.status == "accepted":
        assert result.rows_accepted == len(result.accepted)
        rejected = result.problems.loc[~result.problems["rule"].isin(SET_ASIDE_RULES), "row"]
        assert result.rows_rejected == rejected.nunique()
        assert not set(rejected) & set(set_aside)
        assert not set(result.accepted.index) & set(result.problems["row"])
        assert result.file_reason is None
    else:
        assert result.rows_accepted == 0
        assert result.rows_rejected == result.rows_read - result.rows_set_aside
        assert result.accepted_total_gbp == 0.0
        assert result.file_reason and result.how_to_fix


def good_line(i: int) -> str:
    return f"{1 + i % 28:02d}/08/2025,Supplier {i:03d} Ltd,10.00,SE1 7PB,T{i:04d},small"


def payment_file(n_good: int, bad: dict[int, str] | None = None, extra: str = "") -> str:
    """``n_good`` good lines with ``bad`` lines at the given positions among the data rows (0-based)."""
    bad = bad or {}
    lines = [HEADER]
    good = iter(range(n_good))
    for position in range(n_good + len(bad)):
        lines.append(bad[position] if position in bad else good_line(next(good)))
    return "\n".join(lines) + "\n" + extra


def problem_records(result: ReturnCheck) -> list[dict[str, object]]:
    return result.problems[["row", "column", "value"]].to_dict("records")


# -- accepted files --------------------------------------------------------------------------------
def test_clean_payment_lines_file_is_accepted_with_its_total() -> None:
    text = (
        "Spend over £500, Q2 2025-26\n"
        "\n"
        f"{HEADER},VCSE,Spend Tier\n"
        '01/07/2025,Acme Widgets Ltd,"£1,234.56",se17pb,INV-1,Small,No,\n'
        "14/08/2025,Brightwater Cleaning Ltd,250.00,DH1 3LE,INV-2,micro,Yes,direct\n"
        "30/09/2025,Acme Widgets Ltd,(34.56),,INV-3,,,\n"
        "2025-09-01,Lumen Energy plc,1000,,INV-4,large,no,indirect\n"
    )
    result = check(text)
    assert result.status == "accepted"
    assert result.shape == "payment_lines"
    assert result.problems.empty
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 4, 0)
    assert result.accepted_total_gbp == pytest.approx(1234.56 + 250 - 34.56 + 1000)
    accepted = result.accepted
    assert list(accepted.index) == [4, 5, 6, 7]  # file line numbers
    assert accepted.loc[4, "supplier_postcode"] == "SE1 7PB"
    assert accepted.loc[4, "supplier_size"] == "small"
    assert accepted.loc[6, "amount_gbp"] == -34.56
    assert accepted.loc[7, "payment_date"] == pd.Timestamp("2025-09-01")
    assert accepted["spend_tier"].tolist() == ["direct", "direct", "direct", "indirect"]
    assert accepted["is_vcse"].tolist() == [False, True, pd.NA, False]


def test_supplier_totals_file_with_grand_total_row() -> None:
    text = 'Supplier Name,Total\nAcme Widgets Ltd,"1,000.00"\nBrightwater Ltd,250.50\nCredit Co Ltd,-50\nGrand Total,"1,200.50"\n'
    result = check(text)
    assert result.status == "accepted"
    assert result.shape == "supplier_totals"
    assert result.accepted_total_gbp == 1200.50  # not 2401.00: the totals row is not loaded
    # The totals row is set aside, not rejected: 4 read = 3 loaded + 0 rejected + 1 set aside.
    assert (result.rows_read, result.rows_accepted, result.rows_rejected, result.rows_set_aside) == (
        4,
        3,
        0,
        1,
    )
    [problem] = result.problems.to_dict("records")
    assert problem["row"] == 5
    assert problem["rule"] == "row:totals"
    assert "totals row" in problem["reason"]


def test_member_column_map_is_used() -> None:
    text = "Account Holder,Amount\nAcme Widgets Ltd,5.00\n"
    assert check(text).status == "quarantined"
    result = check(text, member_column_map={"Account Holder": "supplier_name"})
    assert result.status == "accepted"
    assert result.accepted_total_gbp == 5.0


def test_xlsx_with_real_date_cells_is_accepted() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Payment Date", "Supplier Name", "Net Amount"])
    sheet.append([date(2025, 7, 1), "Acme Widgets Ltd", 100.25])
    sheet.append([date(2025, 9, 30), "Brightwater Ltd", 200])
    sheet.append([date(2025, 10, 1), "Late Payment Ltd", 5])
    out = io.BytesIO()
    workbook.save(out)
    result = check(out.getvalue(), "spend.xlsx", tolerance=0.5)
    assert result.status == "accepted"
    assert result.accepted_total_gbp == 300.25
    assert problem_records(result) == [{"row": 4, "column": "payment_date", "value": "01/10/2025"}]


# -- one problem per row-level failure -------------------------------------------------------------
ROW_FAILURES = {
    "bad date": (
        "31/02/2025,Acme Widgets Ltd,10.00,SE1 7PB,X1,small",
        "payment_date",
        "31/02/2025",
        ["'31/02/2025' is not a date", "day first"],
    ),
    "amount not a number": (
        "14/08/2025,Acme Widgets Ltd,TBC,SE1 7PB,X1,small",
        "amount_gbp",
        "TBC",
        ["'TBC' is not an amount in pounds"],
    ),
    "amount with decimal comma": (
        '14/08/2025,Acme Widgets Ltd,"12,50",SE1 7PB,X1,small',
        "amount_gbp",
        "12,50",
        ["'12,50' is not an amount in pounds"],
    ),
    "missing amount": (
        "14/08/2025,Acme Widgets Ltd,,SE1 7PB,X1,small",
        "amount_gbp",
        "",
        ["amount is missing"],
    ),
    "implausible amount": (
        '14/08/2025,Acme Widgets Ltd,"£150,000,000.00",SE1 7PB,X1,small',
        "amount_gbp",
        "£150,000,000.00",
        ["£150,000,000.00 is outside the plausible range", "decimal point"],
    ),
    "missing supplier": (
        "14/08/2025,,10.00,SE1 7PB,X1,small",
        "supplier_name",
        "",
        ["supplier name is missing"],
    ),
    "missing date": (
        ",Acme Widgets Ltd,10.00,SE1 7PB,X1,small",
        "payment_date",
        "",
        ["payment date is missing"],
    ),
    "date before the period's window": (  # 1 July 2025 less 92 days is 31 March: the day before is out
        "30/03/2025,Acme Widgets Ltd,10.00,SE1 7PB,X1,small",
        "payment_date",
        "30/03/2025",
        ["30/03/2025 is outside the return's period", "01/07/2025 to 30/09/2025", "92 days before"],
    ),
    "date after the period": (
        "2025-10-01,Acme Widgets Ltd,10.00,SE1 7PB,X1,small",
        "payment_date",
        "01/10/2025",
        ["01/10/2025 is outside", "01/07/2025 to 30/09/2025"],
    ),
    "malformed postcode": (
        "14/08/2025,Acme Widgets Ltd,10.00,SE1 ABC,X1,small",
        "supplier_postcode",
        "SE1 ABC",
        ["'SE1 ABC' is not a valid UK postcode", "SE1 7PB"],
    ),
    "truncated postcode shown as sent": (
        "14/08/2025,Acme Widgets Ltd,10.00,se1 7p,X1,small",
        "supplier_postcode",
        "se1 7p",
        ["'se1 7p' is not a valid UK postcode"],
    ),
    "unknown supplier size": (
        "14/08/2025,Acme Widgets Ltd,10.00,SE1 7PB,X1,Huge",
        "supplier_size",
        "Huge",
        ["'Huge' is not a supplier size", "micro, small, medium or large"],
    ),
}


@pytest.mark.parametrize("kind", list(ROW_FAILURES))
def test_each_row_level_failure_gives_one_problem(kind: str) -> None:
    line, column, value, phrases = ROW_FAILURES[kind]
    # 30 good rows and the bad one as the 11th data row: header is line 1, so it is on line 12.
    result = check(payment_file(30, {10: line}))
    assert result.status == "accepted"
    assert problem_records(result) == [{"row": 12, "column": column, "value": value}]
    reason = result.problems.loc[0, "reason"]
    for phrase in phrases:
        assert phrase in reason
    for jargon in ("expect_", "nan", "NaT", "None", "{"):
        assert jargon not in reason
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (31, 30, 1)
    assert 12 not in result.accepted.index
    assert result.accepted_total_gbp == 300.0


def test_duplicate_transaction_id_rejects_only_the_later_rows() -> None:
    bad = {
        3: "14/08/2025,Acme Widgets Ltd,99.00,SE1 7PB,T0001,small",  # line 5 repeats line 3's T0001
        7: "15/08/2025,Beta Ltd,98.00,SE1 7PB,T0001,small",  # line 9 repeats it again
    }
    result = check(payment_file(30, bad), tolerance=0.5)
    assert result.status == "accepted"
    assert problem_records(result) == [
        {"row": 5, "column": "transaction_id", "value": "T0001"},
        {"row": 9, "column": "transaction_id", "value": "T0001"},
    ]
    assert all("first on row 3" in r for r in result.problems["reason"])
    assert 3 in result.accepted.index
    assert result.rows_rejected == 2


def test_one_problem_per_cell() -> None:
    # An unreadable amount is not also "missing"; an unreadable date is not also "missing" or "outside".
    bad = {0: "31/13/2025,Acme Widgets Ltd,about £5,SE1 7PB,X1,small"}
    result = check(payment_file(30, bad))
    assert problem_records(result) == [
        {"row": 2, "column": "amount_gbp", "value": "about £5"},
        {"row": 2, "column": "payment_date", "value": "31/13/2025"},
    ]
    assert set(result.problems["rule"]) == {"amount_gbp:unreadable", "payment_date:unreadable"}
    assert result.rows_rejected == 1  # two problems, one row


def test_problems_are_sorted_by_row_with_shape_problems_included() -> None:
    bad = {
        5: "14/08/2025,Acme Widgets Ltd 10.00",  # ran together
        2: "14/08/2025,Acme Widgets Ltd,TBC,SE1 7PB,X1,small",
        1: "14/08/2025,Acme, Widgets Ltd,10.00,SE1 7PB,X1,small",  # an unquoted comma: one value too many
    }
    result = check(payment_file(40, bad), tolerance=0.5)
    assert result.status == "accepted"
    assert result.problems["row"].tolist() == [3, 4, 7]
    assert result.problems.loc[0, "column"] is None or pd.isna(result.problems.loc[0, "column"])
    assert "7 values" in result.problems.loc[0, "reason"]
    assert "run together" in result.problems.loc[2, "reason"]
    assert result.rows_rejected == 3


# -- tolerance -------------------------------------------------------------------------------------
BAD_AMOUNT = "14/08/2025,Acme Widgets Ltd,TBC,SE1 7PB,X{n},small"


def _with_bad_rows(n_bad: int, total: int = 100, extra: str = "") -> str:
    positions = range(0, total, total // n_bad) if n_bad else []
    return payment_file(total - n_bad, {p: BAD_AMOUNT.format(n=p) for p in list(positions)[:n_bad]}, extra)


@pytest.mark.parametrize(
    ("n_bad", "status"),
    [(0, "accepted"), (1, "accepted"), (5, "accepted"), (6, "quarantined"), (20, "quarantined")],
)
def test_default_tolerance_is_five_percent(n_bad: int, status: str) -> None:
    result = check(_with_bad_rows(n_bad))
    assert result.rows_read == 100
    assert result.status == status
    assert len(result.problems) == n_bad  # the problems are listed either way
    if status == "accepted":
        assert result.rows_accepted == 100 - n_bad
        assert result.accepted_total_gbp == 10.0 * (100 - n_bad)
    else:
        assert result.rows_accepted == 0 and result.rows_rejected == 100
        assert f"{n_bad} of 100 rows" in result.file_reason
        assert "5%" in result.file_reason
        assert "send the whole file again" in result.how_to_fix


def test_tolerance_comes_from_the_caller() -> None:
    assert check(_with_bad_rows(6), tolerance=0.10).status == "accepted"
    assert check(_with_bad_rows(1), tolerance=0.0).status == "quarantined"


def test_totals_rows_never_push_a_file_over_tolerance() -> None:
    # 1 bad row in 20 is exactly 5%; two totals rows must not make it 3 in 22 (13.6%).
    result = check(_with_bad_rows(1, total=20, extra=",Sub-total,190.00\n,Grand Total,190.00\n"))
    assert result.status == "accepted"
    assert result.rows_read == 22
    assert (result.rows_accepted, result.rows_rejected, result.rows_set_aside) == (19, 1, 2)
    assert result.accepted_total_gbp == 190.0


def test_totals_rows_never_make_the_tolerance_more_lenient_either() -> None:
    # 1 bad row in 19 is 5.3%, over 5%: two totals rows must not dilute it to 1 in 21 (4.8%).
    totals = ",Sub-total,180.00\n,Grand Total,180.00\n"
    result = check(_with_bad_rows(1, total=19, extra=totals))
    assert (result.status, result.rows_read, result.rows_set_aside) == ("quarantined", 21, 2)
    assert result.rows_rejected == 19  # the data rows: nothing loads, the totals are still set aside
    assert "1 of 19 rows (5.3%)" in result.file_reason
    assert check(_with_bad_rows(1, total=20, extra=totals)).status == "accepted"  # 1 in 20 is exactly 5%


def test_a_file_where_no_row_can_be_used_is_quarantined() -> None:
    result = check(f"{HEADER}\n31/02/2025,Acme Widgets Ltd,10,,,\n14/08/2025,,10,,,\n", tolerance=1.0)
    assert result.status == "quarantined"
    assert "None of the rows" in result.file_reason
    assert result.rows_read == 2
    assert len(result.problems) == 2


# -- file-level problems ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "name", "rows_read", "reason_phrase"),
    [
        (b"Payment Date,Supplier Name\n14/08/2025,Acme Ltd\n15/08/2025,Beta Ltd\n", "s.csv", 2, "'Amount'"),
        (b"", "s.csv", 0, "empty"),
        (b"Supplier Name,Amount\n\n", "s.csv", 0, "no data rows"),
        (b"%PDF-1.7\nSupplier Name,Amount\nAcme Ltd,5\n", "spend.pdf", 3, "'.pdf'"),
        (b"Acme Ltd,5\nBeta Ltd,6\n", "s.csv", 2, "header row"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "s.csv", 0, "binary data"),
    ],
    ids=["missing-column", "empty", "header-only", "pdf", "no-header", "binary"],
)
def test_file_level_problems_quarantine_the_file(
    data: bytes, name: str, rows_read: int, reason_phrase: str
) -> None:
    result = check(data, name)
    assert result.status == "quarantined"
    assert reason_phrase in result.file_reason
    assert result.how_to_fix
    assert result.problems.empty  # the file-level reason says it all
    assert result.accepted.empty
    assert result.rows_read == rows_read
    assert result.shape == "unknown"


def test_a_header_without_names_for_its_last_columns_is_said_once_for_the_file() -> None:
    """Every row has two values more than the header names: the file says why once (name the columns or
    delete them), not only 'None of the rows could be used'; each row is still listed and accounted for."""
    rows = "".join(f"14/08/2025,Acme {i} Ltd,{100 + i}.00,checked,x\n" for i in range(40))
    result = check("Payment Date,Supplier Name,Amount\n" + rows)
    assert result.status == "quarantined" and result.rows_rejected == 40
    assert "Every row has more values than the header row has columns" in (result.file_reason or "")
    assert "give each one a heading" in (result.how_to_fix or "")
    # One row of another kind among them: the problems differ, so they are listed row by row.
    mixed = check("Payment Date,Supplier Name,Amount\n" + rows + "15/08/2025,Beta Ltd,\n")
    assert mixed.file_reason == "None of the rows in the file could be used."

"""Whole-column export faults: one file-level reason with the fix, not a row reason per row.

Each file is written out in the test; every row is still accounted for (rows read = rows rejected when
the file is held back), and a column with only a few bad values keeps its row-by-row reasons.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.steps.checking import ReturnCheck, check_return
from tests.test_checking import assert_accounting
from transforms.column_faults import CHECKS, column_text, may_show, whole_column_fault
from transforms.periods import Period
from transforms.return_types import SPEND, WORKFORCE

PERIOD = Period.parse("2025-26-Q2")


def check(rows: list[tuple[str, str, str]], tolerance: float = 0.05) -> ReturnCheck:
    text = "Payment Date,Supplier Name,Amount\n" + "".join(f"{d},{s},{a}\n" for d, s, a in rows)
    result = check_return(text.encode(), "spend.csv", SPEND, PERIOD, tolerance=tolerance)
    assert_accounting(result)
    return result


def rows(n: int, date: str | None = None, amount: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (
            date if date is not None else f"{1 + i % 28:02d}/08/2025",
            f"Supplier {i} Ltd",
            amount if amount is not None else f"{10 + i}.00",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("date", "amount", "phrases", "fix"),
    [
        (
            "00:00:00",
            None,
            [
                "Payment Date column holds a time of day and no date",
                "every one of the 200 rows",
                "'00:00:00'",
            ],
            "Format the Payment Date column as a date",
        ),
        (  # Excel's day 45658 is 1 January 2025
            "45658",
            None,
            ["numbers instead of dates", "'45658'", "45658 is 01/01/2025"],
            "Format Cells > Date",
        ),
        (
            None,
            "#REF!",
            ["Amount column holds the spreadsheet error '#REF!'", "every one of the 200 rows"],
            "fix the formulas",
        ),
        (
            None,
            "",
            ["Amount column is empty on every one of the 200 rows"],
            "includes the Amount of every row",
        ),
        ("#N/A", None, ["Payment Date column holds the spreadsheet error '#N/A'"], "fix the formulas"),
        (
            None,
            '"1.234,56"',
            ["Amount column writes its amounts with a decimal comma", "'1.234,56', which would be 1,234.56"],
            "with a decimal point",
        ),
    ],
    ids=["times-only", "excel-serials", "ref-errors", "blank-amounts", "na-dates", "decimal-commas"],
)
def test_a_whole_column_fault_holds_the_file_back_with_one_reason(
    date: str | None, amount: str | None, phrases: list[str], fix: str
) -> None:
    result = check(rows(200, date, amount))
    assert result.status == "quarantined"
    assert result.problems.empty  # one sentence, not 200 identical row reasons
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (200, 0, 200)
    for phrase in phrases:
        assert phrase in result.file_reason
    assert fix in result.how_to_fix
    assert result.file_reason[0].isupper() and result.file_reason.endswith(".")


def test_nearly_every_row_is_enough_and_the_count_is_exact() -> None:
    broken = rows(95, date="00:00")
    result = check([*broken, *rows(5)])
    assert result.status == "quarantined"
    assert "95 of the 100 rows" in result.file_reason


def test_a_few_bad_values_stay_row_problems() -> None:
    result = check([*rows(3, date="00:00:00"), *rows(97)], tolerance=0.05)
    assert result.status == "accepted"
    assert result.problems["row"].tolist() == [2, 3, 4]
    assert set(result.problems["rule"]) == {"payment_date:unreadable"}


def test_a_tiny_file_keeps_its_row_reasons() -> None:
    result = check(rows(3, date="00:00:00"), tolerance=1.0)
    assert result.status == "quarantined"
    assert len(result.problems) == 3


def test_an_optional_column_left_blank_is_no_fault() -> None:
    frame = pd.DataFrame({"supplier_name": ["A Ltd"] * 20, "amount_gbp": ["1"] * 20, "category": [""] * 20})
    assert whole_column_fault(frame, SPEND) is None


def test_workforce_snapshot_dates_as_serial_numbers() -> None:
    frame = pd.DataFrame(
        {
            "employee_ref": [f"E{i}" for i in range(10)],
            "snapshot_date": ["45930"] * 10,
            "hourly_rate_gbp": ["13.50"] * 10,
        }
    )
    fault = whole_column_fault(frame, WORKFORCE)
    assert fault is not None
    assert (fault.column, fault.kind, fault.affected, fault.rows) == ("snapshot_date", "excel_serial", 10, 10)
    assert "45930 is 30/09/2025" in fault.reason


@pytest.mark.parametrize("n", [5, 9, 10, 11, 49, 50, 51, 1_001, 20_000])
@pytest.mark.parametrize("where", ["first", "last", "spread"])
def test_the_threshold_holds_wherever_the_sound_rows_are(n: int, where: str) -> None:
    """Only the column's first tenth is looked at whole when it shows no fault: a column with exactly
    enough faulty rows is still named, and one row fewer is not, whether the sound rows lead, trail or
    are spread through it."""
    need = max(5, -(-9 * n // 10))  # all but a tenth, and at least five
    for affected, named in ((need, True), (need - 1, False)):
        if affected > n or affected < 0:
            continue
        sound = n - affected
        positions = {
            "first": range(sound),
            "last": range(n - sound, n),
            "spread": [round(i * n / sound) for i in range(sound)] if sound else [],
        }[where]
        dates = ["00:00:00"] * n
        for position in positions:
            dates[position] = "14/08/2025"
        frame = pd.DataFrame({"payment_date": dates, "supplier_name": "A Ltd", "amount_gbp": "1.00"})
        fault = whole_column_fault(frame, SPEND)
        assert (fault is not None) == named, (n, where, affected)
        if named:
            assert (fault.column, fault.kind, fault.affected) == ("payment_date", "time_only", affected)


def test_dates_written_month_first_hold_the_file_back_with_one_reason() -> None:
    """An export in the American order, sorted by date: the column's first tenth shows no day above 12,
    the rest of it does."""
    days = [PERIOD.start + timedelta(days=i * 91 // 200) for i in range(200)]
    result = check([(f"{day:%m/%d/%Y}", f"Supplier {i} Ltd", "10.00") for i, day in enumerate(days)])
    assert result.status == "quarantined" and result.problems.empty
    assert (result.rows_read, result.rows_rejected) == (200, 200)
    assert "dates month first on every one of the 200 rows" in result.file_reason
    assert "'07/31/2025', which can only be 31 July" in result.file_reason
    assert "day first (dd/mm/yyyy)" in result.how_to_fix


def test_day_first_dates_never_look_month_first() -> None:
    """Days of 12 or less give no evidence either way (read day first, as always); a day above 12 written
    first settles a column as day first, and its month-first typos stay row problems."""
    early = check([(f"{d:02d}/08/2025", f"Supplier {d}", "1.00") for d in range(1, 13)] * 10)
    assert early.status == "accepted" and early.rows_accepted == 120
    typos = check([*rows(97), ("08/14/2025", "A Ltd", "1.00"), ("08/15/2025", "B Ltd", "1.00")])
    assert typos.status == "accepted"
    assert typos.problems["row"].tolist() == [99, 100]


def test_a_few_decimal_commas_stay_row_problems() -> None:
    result = check([*rows(97), ("14/08/2025", "A Ltd", '"12,50"'), ("14/08/2025", "B Ltd", '"1.250,00"')])
    assert result.status == "accepted"
    assert result.problems["row"].tolist() == [99, 100]
    assert set(result.problems["column"]) == {"amount_gbp"}


# Cells built from the characters the faults are made of, and their look-alikes: digits of other scripts,
# whitespace Python strips and ASCII does not know, separators, signs and letters of the error codes.
_FAULT_CELLS = st.text(
    alphabet=st.sampled_from(
        [*"0123456789#:,./-() £€!?AaMmPpEeRrVvNnLlUuDdIiTtFf", "\u0663", "\u00a0", "\u2028", "\x1c", "\t"]
    ),
    max_size=16,
)
_FAULT_EXAMPLES = st.sampled_from(
    [
        "#REF!",
        "#n/a",
        " 12:30 ",
        "9:05:00.5 pm",
        "45678",
        "45678.25",
        "08/14/2025",
        "8-14-25 10:00",
        "1.234,56",
        "(12,50)",
        "£1 234,5-",
        "",
        "  ",
        "\u00a012345",
        "\u0664\u0665\u0666\u0667\u0668",
    ]
)


@given(st.lists(st.one_of(_FAULT_CELLS, _FAULT_EXAMPLES, st.none()), min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_the_quick_look_passes_every_value_a_check_finds(cells: list[str | None]) -> None:
    """A column is only looked at closely when a kernel over its first tenth says the fault could be
    there: that kernel must pass every column in which the check itself finds something, or a broken
    export would slip through as row problems."""
    for dtype in ("str", object):
        head = pd.Series(cells, dtype=dtype)
        text = column_text(head)
        for check in CHECKS.values():
            if check.find(text) is not None or (check.on_the_head and check.on_the_head(text) is not None):
                assert may_show([check], head) == [check], (check.kind, cells)

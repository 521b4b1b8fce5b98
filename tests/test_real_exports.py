"""Real council exports, which nobody here wrote, accepted the first time (or refused for one good reason).

The 17 quarterly "expenditure over £500" files of Oxford City Council (../shared/real-exports/oxford,
OGL v3) change their headers from quarter to quarter (Body Name / body_name / Organisation / Client,
typos such as "Expenditure Catergory", a trailing space), carry rows without a supplier, and one
quarter lost its dates. The totals are checked against a sum computed here with the csv module and
Decimal, applying the return's rules in plain Python, not with the pipeline's code.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.steps.checking import ReturnCheck, check_return
from tests.conftest import REAL_EXPORTS
from tests.test_checking import assert_accounting
from transforms.periods import Period
from transforms.return_types import SPEND

OXFORD = REAL_EXPORTS / "oxford"
if not OXFORD.is_dir():
    pytest.skip("the real exports (../shared/real-exports) are not here", allow_module_level=True)

FILES = sorted(OXFORD.glob("expenditure-over-500-*.csv"))
UNDATED = "expenditure-over-500-apr-jun-2014.csv"  # every Paid Date is 00:00:00
QUARTERS = {"apr-jun": 1, "jul-sep": 2, "oct-dec": 3, "jan-mar": 4}
WINDOW_DAYS = 92


def period_of(path: Path) -> Period:
    """'apr-jun-2014' is 2014-15-Q1; 'jan-mar-2015' is 2014-15-Q4."""
    match = re.search(r"(apr-jun|jul-sep|oct-dec|jan-mar)-(\d{4})", path.name)
    assert match is not None
    quarter, year = QUARTERS[match[1]], int(match[2])
    return Period(year if quarter < 4 else year - 1, quarter)


def records(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Header (folded: 'Supplier Name ' and 'supplier_name' alike) and the non-blank rows after it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    folded = [re.sub(r"[^a-z]", "", h.lower()) for h in header]
    return folded, [row for row in rows if any(cell.strip() for cell in row)]


def expected_load(data: bytes, period: Period) -> tuple[int, Decimal, int]:
    """(rows that should load, their total, rows dated before the period) under the spend return's rules.

    A row loads when it names a supplier (2-200 characters), its amount is a number within ±£100m, its
    paid date is a day-first date from 92 days before the period's start to its end, and its transaction
    number was not used on an earlier row.
    """
    header, rows = records(data)
    supplier, amount, paid, trans = (
        header.index(h) for h in ("suppliername", "amount", "paiddate", "transno")
    )
    earliest = period.start - timedelta(days=WINDOW_DAYS)
    seen: set[str] = set()
    count, total, early = 0, Decimal(0), 0
    for row in rows:
        cells = row + [""] * (len(header) - len(row))
        reference = cells[trans].strip()
        duplicate = bool(reference) and reference in seen
        seen.add(reference)
        name = cells[supplier].strip()
        try:
            value = Decimal(cells[amount].strip())
            day = datetime.strptime(cells[paid].strip(), "%d/%m/%Y").date()
        except (ArithmeticError, ValueError):
            continue
        if (
            duplicate
            or not 2 <= len(name) <= 200
            or abs(value) > 100_000_000
            or not earliest <= day <= period.end
        ):
            continue
        count, total, early = count + 1, total + value, early + (day < period.start)
    return count, total, early


def check(data: bytes, name: str, period: Period) -> ReturnCheck:
    result = check_return(data, name, SPEND, period, tolerance=0.05)
    assert_accounting(result)
    return result


def test_all_seventeen_quarters_are_here() -> None:
    assert len(FILES) == 17
    assert period_of(OXFORD / "expenditure-over-500-apr-jun-2014.csv") == Period.parse("2014-15-Q1")
    assert period_of(OXFORD / "expenditure-over-500-jan-mar-2015.csv") == Period.parse("2014-15-Q4")


@pytest.mark.parametrize("path", [p for p in FILES if p.name != UNDATED], ids=lambda p: p.stem[21:])
def test_each_dated_quarter_is_accepted_with_the_independently_summed_total(path: Path) -> None:
    data = path.read_bytes()
    result = check(data, path.name, period_of(path))
    rows_expected, total_expected, _ = expected_load(data, period_of(path))
    assert result.status == "accepted", result.file_reason
    assert result.rows_read == len(records(data)[1])
    assert result.rows_accepted == rows_expected
    assert Decimal(str(result.accepted_total_gbp)) == total_expected.quantize(Decimal("0.01"))
    assert result.raw is not None
    folded = {c: re.sub(r"[^a-z]", "", h.lower()) for h, c in result.raw.mapped.items()}
    assert {c: folded.get(c) for c in ("supplier_name", "amount_gbp", "payment_date", "supplier_id")} == {
        "supplier_name": "suppliername",
        "amount_gbp": "amount",
        "payment_date": "paiddate",
        "supplier_id": "supplierid",
    }
    # The council's own name and the expenditure code are read as nothing at all.
    assert not set(folded.values()) & {"bodyname", "organisation", "client", "expenditurecode"}


def test_the_undated_quarter_is_held_back_with_one_date_reason() -> None:
    data = (OXFORD / UNDATED).read_bytes()
    result = check(data, UNDATED, Period.parse("2014-15-Q1"))
    rows = len(records(data)[1])
    assert (result.status, result.rows_read, result.rows_accepted, result.rows_rejected) == (
        "quarantined",
        rows,
        0,
        rows,
    )
    assert result.problems.empty  # one sentence, not 3,836 row reasons
    assert result.file_reason.startswith("The Payment Date column holds a time of day and no date")
    assert f"every one of the {rows:,} rows" in result.file_reason and "'00:00:00'" in result.file_reason
    assert "Format the Payment Date column as a date" in result.how_to_fix


def test_a_quarter_with_the_month_before_appended_accepts_the_late_payments_with_one_warning() -> None:
    """A monthly export at a quarter's start carries payments from the month before: real rows, real dates.

    Q3 2015-16 starts on 1 October 2015; 92 days earlier is 1 July. September's payments are inside the
    window and load with one warning; June's are older and are refused, row by row, as before.
    """
    period = Period.parse("2015-16-Q3")
    header, *rows = _lines("expenditure-over-500-oct-dec-2015.csv")
    september = [
        line for line in _lines("expenditure-over-500-jul-sep-2015.csv")[1:] if _paid(line).month == 9
    ]
    june = [line for line in _lines("expenditure-over-500-apr-jun-2015.csv")[1:] if _paid(line).month == 6]
    data = "\n".join([header, *rows, *september[:150], *june[:40]]).encode()
    result = check(data, "spend.csv", period)
    rows_expected, total_expected, early_expected = expected_load(data, period)
    assert result.status == "accepted"
    assert early_expected == 150
    assert result.rows_accepted == rows_expected
    assert Decimal(str(result.accepted_total_gbp)) == total_expected.quantize(Decimal("0.01"))
    [warning] = result.warnings.to_dict("records")
    assert (warning["rule"], warning["value"]) == ("payment_date:before_period", "150 rows")
    assert warning["reason"].startswith("150 payments are dated ")
    refused = result.problems[result.problems["rule"] == "payment_date:expect_column_values_to_be_between"]
    assert sorted(refused["row"]) == list(range(len(rows) + 152, len(rows) + 192))


def _lines(name: str) -> list[str]:
    return (OXFORD / name).read_bytes().decode("utf-8").splitlines()


def _paid(line: str) -> date:
    """The day-first date of an Oxford row (its only cell shaped like one)."""
    cell = next(c for c in next(csv.reader([line])) if re.fullmatch(r"\d\d/\d\d/\d{4}", c.strip()))
    return datetime.strptime(cell.strip(), "%d/%m/%Y").date()


def test_a_quarter_joined_from_its_three_months_loads_as_the_quarter_does() -> None:
    """A member who joins three monthly exports, each with its own header line, into the quarter's
    return: the second and third headers are set aside (not read as payments, not counted against the
    tolerance) and the quarter loads exactly as the council's own quarterly file does."""
    name = "expenditure-over-500-oct-dec-2015.csv"
    period = period_of(OXFORD / name)
    header, *rows = _lines(name)
    by_month = [[line for line in rows if _paid(line).month == month] for month in (10, 11, 12)]
    assert sum(map(len, by_month)) == len(rows)
    joined = [line for month in by_month for line in (header, *month)][1:]
    data = "\r\n".join([header, *joined]).encode()
    result = check(data, "spend.csv", period)
    quarter = check(
        "\r\n".join([header, *(line for month in by_month for line in month)]).encode(), name, period
    )
    assert result.status == quarter.status == "accepted"
    assert (result.rows_read, result.rows_set_aside) == (quarter.rows_read + 2, 2)
    assert (result.rows_accepted, result.rows_rejected) == (quarter.rows_accepted, quarter.rows_rejected)
    assert result.accepted_total_gbp == quarter.accepted_total_gbp
    headings = result.problems.loc[result.problems["rule"] == "row:heading", "row"].tolist()
    assert headings == [len(by_month[0]) + 2, len(by_month[0]) + len(by_month[1]) + 3]

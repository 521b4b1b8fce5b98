"""The UK financial-year calendar: period keys, quarter boundaries and moving between periods."""

from __future__ import annotations

from datetime import date

import pytest

from transforms.periods import Period, PeriodError, period_containing


@pytest.mark.parametrize(
    ("key", "start_year", "quarter"),
    [
        ("2025-26", 2025, None),
        ("2025-26-Q1", 2025, 1),
        ("2025-26-Q4", 2025, 4),
        (" 2024-25-Q2 ", 2024, 2),
        ("1999-00", 1999, None),
    ],
)
def test_parse_valid_keys(key: str, start_year: int, quarter: int | None) -> None:
    period = Period.parse(key)
    assert (period.start_year, period.quarter) == (start_year, quarter)
    assert period.key == key.strip()
    assert str(period) == key.strip()
    assert period.kind == ("quarter" if quarter else "year")


@pytest.mark.parametrize(
    "key", ["2025", "2025-2026", "2025-26-Q5", "2025-26-Q0", "2025-26 Q2", "Q2 2025", "", "25-26"]
)
def test_parse_rejects_malformed_keys_and_says_what_to_write(key: str) -> None:
    with pytest.raises(PeriodError) as excinfo:
        Period.parse(key)
    message = str(excinfo.value)
    assert f"'{key}'" in message
    assert "2025-26" in message and "2025-26-Q2" in message


@pytest.mark.parametrize("key", ["2025-27", "2025-25", "2025-24-Q2"])
def test_parse_rejects_years_that_do_not_follow_on(key: str) -> None:
    with pytest.raises(PeriodError, match="second year must follow the first"):
        Period.parse(key)


def test_period_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Period.parse("nonsense")


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2025-26-Q1", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025-26-Q2", date(2025, 7, 1), date(2025, 9, 30)),
        ("2025-26-Q3", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-26-Q4", date(2026, 1, 1), date(2026, 3, 31)),
        ("2023-24-Q4", date(2024, 1, 1), date(2024, 3, 31)),  # leap year: end is still 31 March
        ("2025-26", date(2025, 4, 1), date(2026, 3, 31)),
        ("2099-00", date(2099, 4, 1), date(2100, 3, 31)),
    ],
)
def test_start_and_end_dates(key: str, start: date, end: date) -> None:
    period = Period.parse(key)
    assert period.start == start
    assert period.end == end


@pytest.mark.parametrize(
    ("key", "previous", "following"),
    [
        ("2025-26-Q1", "2024-25-Q4", "2025-26-Q2"),
        ("2025-26-Q2", "2025-26-Q1", "2025-26-Q3"),
        ("2025-26-Q4", "2025-26-Q3", "2026-27-Q1"),
        ("2025-26", "2024-25", "2026-27"),
        ("1999-00", "1998-99", "2000-01"),
    ],
)
def test_previous_and_next(key: str, previous: str, following: str) -> None:
    period = Period.parse(key)
    assert period.previous().key == previous
    assert period.next().key == following
    assert period.next().previous() == period


def test_consecutive_quarters_leave_no_gap() -> None:
    period = Period.parse("2024-25-Q1")
    for _ in range(8):
        following = period.next()
        assert (following.start - period.end).days == 1
        period = following
    assert period.key == "2026-27-Q1"


@pytest.mark.parametrize(
    ("key", "year"), [("2025-26-Q1", "2025-26"), ("2025-26-Q4", "2025-26"), ("2025-26", "2025-26")]
)
def test_financial_year(key: str, year: str) -> None:
    assert Period.parse(key).financial_year == Period.parse(year)


def test_quarters_of_a_year_and_of_a_quarter() -> None:
    assert [q.key for q in Period.parse("2025-26").quarters()] == [
        "2025-26-Q1",
        "2025-26-Q2",
        "2025-26-Q3",
        "2025-26-Q4",
    ]
    assert Period.parse("2025-26-Q3").quarters() == [Period.parse("2025-26-Q3")]


@pytest.mark.parametrize(
    ("key", "day", "inside"),
    [
        ("2025-26-Q2", date(2025, 7, 1), True),
        ("2025-26-Q2", date(2025, 9, 30), True),
        ("2025-26-Q2", date(2025, 6, 30), False),
        ("2025-26-Q2", date(2025, 10, 1), False),
        ("2025-26-Q4", date(2026, 2, 14), True),
        ("2025-26-Q4", date(2025, 2, 14), False),  # February of the wrong calendar year
        ("2025-26", date(2026, 3, 31), True),
        ("2025-26", date(2025, 3, 31), False),
        ("2025-26", date(2026, 4, 1), False),
    ],
)
def test_contains(key: str, day: date, inside: bool) -> None:
    assert Period.parse(key).contains(day) is inside


@pytest.mark.parametrize(
    ("day", "quarter", "year"),
    [
        (date(2025, 4, 1), "2025-26-Q1", "2025-26"),
        (date(2025, 6, 30), "2025-26-Q1", "2025-26"),
        (date(2025, 7, 1), "2025-26-Q2", "2025-26"),
        (date(2025, 12, 31), "2025-26-Q3", "2025-26"),
        (date(2026, 1, 1), "2025-26-Q4", "2025-26"),
        (date(2026, 3, 31), "2025-26-Q4", "2025-26"),
        (date(2026, 4, 1), "2026-27-Q1", "2026-27"),
        (date(2024, 2, 29), "2023-24-Q4", "2023-24"),
    ],
)
def test_period_containing(day: date, quarter: str, year: str) -> None:
    assert period_containing(day).key == quarter
    assert period_containing(day, "quarter").key == quarter
    assert period_containing(day, "year").key == year
    assert Period.parse(quarter).contains(day)


def test_periods_are_hashable_values() -> None:
    assert Period.parse("2025-26-Q2") == Period(2025, 2)
    assert len({Period.parse("2025-26-Q2"), Period(2025, 2), Period(2025)}) == 2

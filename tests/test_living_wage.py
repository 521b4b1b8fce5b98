"""The Living Wage lookup: one function, rates as data, boundaries exact."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from transforms.living_wage import RATES_FILE, parse_rates, rate_on, rates_on


@pytest.mark.parametrize(
    ("day", "basis", "expected"),
    [
        (date(2025, 4, 30), "london", 13.15),  # the 2024/25 rate is not due until 1 May 2025
        (date(2025, 5, 1), "london", 13.85),
        (date(2026, 5, 1), "london", 14.80),
        (date(2026, 5, 1), "uk", 13.45),
        (date(2025, 3, 31), "national", 11.44),
        (date(2025, 4, 1), "national", 12.21),
        (date(2026, 4, 1), "national", 12.71),
        (date(2020, 4, 30), "uk", None),  # before the first rate in the table
    ],
)
def test_rate_applying_on_a_date(day: date, basis: str, expected: float | None) -> None:
    assert rate_on(day, basis) == expected


def test_every_design_rate_is_in_the_table_with_its_source() -> None:
    rates = parse_rates(RATES_FILE.read_text())
    assert rates["source"].notna().all()
    london = dict(
        zip(
            rates.loc[rates.basis == "london", "applies_from"].dt.year,
            rates.loc[rates.basis == "london", "rate_gbp"],
            strict=True,
        )
    )
    assert london == {
        2020: 10.75,
        2021: 10.85,
        2022: 11.05,
        2023: 11.95,
        2024: 13.15,
        2025: 13.85,
        2026: 14.80,
    }


def test_next_years_rate_is_a_one_line_change() -> None:
    text = RATES_FILE.read_text() + "london,15.50,2027-05-01,2026/27 (example),test\n"
    rates = parse_rates(text)
    dates = pd.Series(pd.to_datetime(["2027-04-30", "2027-05-01"]))
    assert rates_on(dates, "london", rates).tolist() == [14.80, 15.50]


def test_vectorised_lookup_keeps_order_index_and_missing_dates() -> None:
    dates = pd.Series(pd.to_datetime(["2026-06-30", None, "2025-06-30"]), index=[10, 4, 7])
    result = rates_on(dates, "london")
    assert result.index.tolist() == [10, 4, 7]
    assert result[10] == 14.80 and pd.isna(result[4]) and result[7] == 13.85


def test_bad_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown Living Wage basis"):
        parse_rates("basis,rate_gbp,applies_from,label,source\nscotland,1,2025-05-01,x,y\n")
    with pytest.raises(ValueError, match="same date"):
        parse_rates("basis,rate_gbp,applies_from,label,source\nuk,1,2025-05-01,x,y\nuk,2,2025-05-01,x,y\n")
    with pytest.raises(ValueError, match="unknown Living Wage basis"):
        rates_on(pd.Series([pd.Timestamp("2025-06-01")]), "mars")

"""Which Living Wage applies on a date: one lookup over a rates table kept as data (``config/living_wage_rates.csv``).

The Living Wage Foundation announces its rates in the autumn and accredited employers pay them by
1 May of the following year, so a rate "applies from" that 1 May; the statutory National Living Wage
applies from 1 April. Adding next year's rate is one line in the CSV.
"""

from __future__ import annotations

import io
from datetime import date
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

import numpy as np
import pandas as pd

# Shipped as package data of the ``config`` package, beside the example networks.
RATES_FILE: Traversable = files("config") / "living_wage_rates.csv"
BASES = ("uk", "london", "national")


def parse_rates(text: str) -> pd.DataFrame:
    rates = pd.read_csv(io.StringIO(text), comment="#", dtype={"basis": str, "label": str, "source": str})
    rates["applies_from"] = pd.to_datetime(rates["applies_from"], format="%Y-%m-%d")
    unknown = set(rates["basis"]) - set(BASES)
    if unknown:
        raise ValueError(
            f"unknown Living Wage basis {sorted(unknown)} in the rates table; use one of {BASES}"
        )
    if rates.duplicated(["basis", "applies_from"]).any():
        raise ValueError("two rates for the same basis apply from the same date")
    return rates.sort_values(["basis", "applies_from"], ignore_index=True)


@cache
def rates_table(path: Traversable = RATES_FILE) -> pd.DataFrame:
    return parse_rates(path.read_text(encoding="utf-8"))


def rates_on(dates: pd.Series, basis: str, rates: pd.DataFrame | None = None) -> pd.Series:
    """The rate applying on each date (NaN before the first rate in the table), for a whole column at once."""
    if basis not in BASES:
        raise ValueError(f"unknown Living Wage basis '{basis}'; use one of {BASES}")
    table = rates if rates is not None else rates_table()
    table = table.loc[table["basis"] == basis]
    starts = table["applies_from"].to_numpy(dtype="datetime64[ns]")
    values = table["rate_gbp"].to_numpy(dtype="float64")
    series = pd.Series(dates, copy=False)
    when = pd.to_datetime(series).to_numpy(dtype="datetime64[ns]")
    position = np.searchsorted(starts, when, side="right") - 1
    known = (position >= 0) & ~np.isnat(when)
    return pd.Series(np.where(known, values[position.clip(0)], np.nan), index=series.index, dtype="float64")


def rate_on(day: date, basis: str) -> float | None:
    value = rates_on(pd.Series([pd.Timestamp(day)]), basis).iloc[0]
    return None if pd.isna(value) else float(value)

"""Measures members report as counts and sums, and the social value they stand for.

Social value is value x proxy (GBP per unit) for measures whose catalogue entry carries a proxy, so a
network can say what its mentoring hours or tonnes of CO2e saved are worth. Proxies are the network's
own (National TOMs values are CC BY-NC-ND and are not shipped).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from transforms.kpi_registry import SOCIAL_VALUE, measure_code
from transforms.periods import Period
from transforms.spend import to_arrow
from transforms.spend_kpis import KPI_COLUMNS

# The unit of a measure that is a level (the Good Work Standard's 0 none, 1 achievement, 2 excellence):
# levels never add up, across members or over quarters.
LEVEL_UNIT = "level"


def measure_range_problems(typed: pd.DataFrame, catalogue: Iterable[Any]) -> pd.DataFrame:
    """Values outside the range the catalogue allows for their measure (e.g. a negative mentor count)."""
    bounds = {m.code: m for m in catalogue}
    problems = []
    for row, code, value in zip(typed.index, typed["measure_code"], typed["value"], strict=True):
        measure = bounds.get(code)
        if measure is None or pd.isna(value):
            continue
        low, high = measure.min, measure.max
        if (low is not None and value < low) or (high is not None and value > high):
            allowed = (
                f"{low if low is not None else 'any'} to {high if high is not None else 'any'} {measure.unit}"
            )
            problems.append(
                (
                    int(row),
                    "value",
                    f"{value:g}",
                    f"{value:g} is outside the range allowed for "
                    f"{code} ({allowed}); check the figure and its unit.",
                    "value:catalogue_range",
                )
            )
    return pd.DataFrame(problems, columns=["row", "column", "value", "reason", "rule"])


def investment_without_programme(typed: pd.DataFrame, investment_measure: str) -> pd.DataFrame:
    """Programme investment on a row that names no programme: nobody could say what the money bought."""
    rows = typed.index[
        ((typed["measure_code"] == investment_measure) & typed["programme_code"].isna()).to_numpy()
    ]
    return pd.DataFrame(
        {
            "row": rows.astype(int),
            "column": "programme_code",
            "value": "",
            "reason": f"{investment_measure} is money invested in a programme: give the programme's code in the "
            "Programme Code column.",
            "rule": "programme_code:investment_needs_programme",
        }
    )


def outside_programme_problems(
    typed: pd.DataFrame, period: Period, programme_dates: Mapping[str, tuple[date, date]]
) -> pd.DataFrame:
    """Rows naming a programme that had not begun by the end of the return's quarter, or had ended before
    it began: the figure cannot be that programme's, and counted it would add to its social value."""
    code = typed["programme_code"]
    begins = pd.to_datetime(code.map({c: start for c, (start, _) in programme_dates.items()}))
    ends = pd.to_datetime(code.map({c: end for c, (_, end) in programme_dates.items()}))
    outside = (begins > pd.Timestamp(period.end)) | (ends < pd.Timestamp(period.start))
    rows = typed.index[outside.to_numpy(dtype=bool)]
    return pd.DataFrame(
        {
            "row": rows.astype(int),
            "column": "programme_code",
            "value": [str(code[r]) for r in rows],
            "reason": [
                f"The programme {code[r]} runs from {begins[r]:%d/%m/%Y} to {ends[r]:%d/%m/%Y}, outside this "
                f"return's period ({period.start:%d/%m/%Y} to {period.end:%d/%m/%Y}): check the programme "
                "code, or send the figure in a return for a quarter the programme ran."
                for r in rows
            ],
            "rule": "programme_code:outside_programme_dates",
        }
    )


def _scope_ids(frame: pd.DataFrame, column: str | None, network_id: str) -> pd.Series | str:
    return network_id if column is None else frame[column]


def measure_kpis(measures: pd.DataFrame, catalogue: pd.DataFrame, network_id: str) -> pd.DataFrame:
    """Sums of each measure and social value (total and by theme) for network, member and sector.

    ``measures``: member_id, sector, period (quarter), measure_code, value.
    ``catalogue``: code, unit, theme, proxy_gbp_per_unit (NaN when the measure has no proxy).
    Financial-year rows add up the quarters received so far (year to date).

    A level measure is never summed: a member's quarter is the level it reported (the highest, should
    it report two), its year the level of its latest quarter, and nothing is stored for the network or a
    sector, whose figure is how many members are at each level (read from the members' values by the
    report). Summed levels, stored before, meant nothing. Levels carry no social value.
    """
    if measures.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    known = catalogue.set_index("code")
    rows = measures.assign(
        value=measures["value"].astype("float64"),
        unit=measures["measure_code"].map(known["unit"]),
        theme=measures["measure_code"].map(known["theme"]),
        social_value=measures["value"].astype("float64")
        * measures["measure_code"].map(known["proxy_gbp_per_unit"]),
    )
    is_level = rows["unit"] == LEVEL_UNIT
    frames = [_member_levels(rows[is_level])]
    rows = rows[~is_level]
    years = rows.assign(period=rows["period"].map(lambda p: Period.parse(p).financial_year.key))
    rows = pd.concat([rows[rows["period"].str.contains("-Q")], years], ignore_index=True)

    for scope, column in (("network", None), ("member", "member_id"), ("sector", "sector")):
        keys = ["period"] if column is None else [column, "period"]
        sums = rows.groupby([*keys, "measure_code", "unit"], as_index=False)["value"].sum()
        frames.append(
            pd.DataFrame(
                {
                    "kpi": sums["measure_code"].map(measure_code),
                    "scope": scope,
                    "scope_id": _scope_ids(sums, column, network_id),
                    "period": sums["period"],
                    "value": sums["value"],
                    "unit": sums["unit"],
                }
            )
        )
        valued = rows[rows["social_value"].notna()]
        total = valued.groupby(keys, as_index=False)["social_value"].sum()
        frames.append(
            pd.DataFrame(
                {
                    "kpi": SOCIAL_VALUE,
                    "scope": scope,
                    "scope_id": _scope_ids(total, column, network_id),
                    "period": total["period"],
                    "value": total["social_value"].round(2),
                    "unit": "GBP",
                }
            )
        )
        themes = valued.groupby([*keys, "theme"], as_index=False)["social_value"].sum()
        frames.append(
            pd.DataFrame(
                {
                    "kpi": SOCIAL_VALUE + ":" + themes["theme"],
                    "scope": scope,
                    "scope_id": _scope_ids(themes, column, network_id),
                    "period": themes["period"],
                    "value": themes["social_value"].round(2),
                    "unit": "GBP",
                }
            )
        )
    found = [f for f in frames if not f.empty]
    if not found:
        return pd.DataFrame(columns=KPI_COLUMNS)
    result = pd.concat(found, ignore_index=True)
    return result.reindex(columns=KPI_COLUMNS).sort_values(
        ["period", "scope", "scope_id", "kpi"], ignore_index=True
    )


def _member_levels(levels: pd.DataFrame) -> pd.DataFrame:
    """Each member's level per quarter (the highest it reported) and per year (its latest period's)."""
    if levels.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    quarters = levels.groupby(["member_id", "period", "measure_code", "unit"], as_index=False)["value"].max()
    starts = quarters["period"].map(lambda p: Period.parse(p).start)
    years = (
        quarters.assign(
            start=starts, period=quarters["period"].map(lambda p: Period.parse(p).financial_year.key)
        )
        .sort_values("start")
        .groupby(["member_id", "period", "measure_code", "unit"], as_index=False)
        .last()
        .drop(columns="start")
    )
    # A level reported for a whole year (not a quarter) is that year's level, and is kept once.
    both = pd.concat([quarters[quarters["period"].str.contains("-Q")], years], ignore_index=True)
    return pd.DataFrame(
        {
            "kpi": both["measure_code"].map(measure_code),
            "scope": "member",
            "scope_id": both["member_id"],
            "period": both["period"],
            "value": both["value"],
            "unit": both["unit"],
        }
    )


MEASURE_FACT_SCHEMA = pa.schema(
    [
        ("submission_id", pa.string()),
        ("row_number", pa.int64()),
        ("member_id", pa.string()),
        ("period", pa.string()),
        ("measure_code", pa.string()),
        ("value", pa.decimal128(18, 4)),
        ("unit", pa.string()),
        ("notes", pa.string()),
        ("evidence_ref", pa.string()),
        ("programme_code", pa.string()),
    ]
)


def measure_facts(
    accepted: pd.DataFrame, submission_id: str, member_id: str, period: str, units: dict[str, str]
) -> pa.Table:
    """Measure rows with the catalogue's unit filled in where the member left it blank."""
    frame = accepted.copy()
    frame["unit"] = frame["unit"].fillna(frame["measure_code"].map(units))
    frame["submission_id"] = submission_id
    frame["row_number"] = accepted.index.astype("int64")
    frame["member_id"] = member_id
    frame["period"] = period
    return to_arrow(frame.reset_index(drop=True), MEASURE_FACT_SCHEMA)

"""Progress against targets, and a status anyone can check by hand.

A quarter's target is compared with that quarter's figure. A financial year's target is compared,
year to date, with a straight-line path: for figures that add up over the year (spend, uplifts,
apprenticeship starts, measures, social value) the path is the target times the share of the year's
quarters reported so far; for shares and headcounts (which do not add up) the path is the target itself.

Status (``STATUS_RULE``, printed in the report): on track when at or ahead of the path; at risk when
behind it by less than 10%; off track when 10% or more behind. For "lower is better" targets the
comparison is reversed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.kpi_registry import MEASURE_PREFIX, UnknownKpi, lookup
from transforms.periods import Period

AT_RISK_MARGIN = 0.10
STATUS_RULE = (
    "On track: at or ahead of the target's path to date. At risk: behind the path by less than 10%. "
    "Off track: 10% or more behind it. A year-long target's path rises in a straight line over the four "
    "quarters for figures that add up over the year, and is the target itself for shares and headcounts."
)
TARGET_COLUMNS = ["kpi", "scope", "scope_id", "period", "target", "direction"]
# Units of figures that never add up over a year: shares, and a level (the Good Work Standard's).
_STOCK_UNITS = frozenset({"%", "level"})


def accumulates(kpi: str, unit: str) -> bool:
    """Does the figure add up over the year (so a year's path grows quarter by quarter)?

    The registry says (its ``flow``): spend, uplifts and apprenticeship starts do; a headcount (staff,
    apprentices in post) and a share do not, so a year's target for one is judged against the target
    itself. A measure adds up unless it is a level or a share.
    """
    if unit in _STOCK_UNITS:
        return False
    try:
        return lookup(kpi).flow
    except UnknownKpi:
        return kpi.startswith(MEASURE_PREFIX)


def status(actual: float | None, expected: float, direction: str = "higher") -> str:
    if actual is None or np.isnan(actual):
        return "no data"
    behind = (expected - actual) if direction == "higher" else (actual - expected)
    if behind <= 0:
        return "on track"
    # Rounded so that exactly 10% behind is "off track" whatever the floating point says.
    shortfall = round(behind / abs(expected), 9) if expected else float("inf")
    return "at risk" if shortfall < AT_RISK_MARGIN else "off track"


def target_progress(targets: pd.DataFrame, kpis: pd.DataFrame, report_period: str) -> pd.DataFrame:
    """Targets relevant to ``report_period`` with actual, path to date, progress and status.

    ``targets``: TARGET_COLUMNS (period is a quarter or a financial year; direction higher|lower).
    ``kpis``: kpi, scope, scope_id, period, value, unit (the stored KPI values).
    """
    report = Period.parse(report_period)
    year = report.financial_year.key
    relevant = targets[targets["period"].isin([report.key, year])].copy()
    if relevant.empty:
        return pd.DataFrame(columns=[*TARGET_COLUMNS, "actual", "expected_to_date", "progress_pct", "status"])
    # A year target is judged on the year-to-date figure; a quarter target on the quarter's own.
    relevant["actual_period"] = relevant["period"]
    values = kpis.set_index(["kpi", "scope", "scope_id", "period"])
    units = kpis.drop_duplicates("kpi").set_index("kpi")["unit"]
    quarters_done = (report.quarter or 4) / 4
    actuals, expected = [], []
    for row in relevant.itertuples(index=False):
        key = (row.kpi, row.scope, row.scope_id, row.actual_period)
        actuals.append(float(values.loc[key, "value"]) if key in values.index else np.nan)
        is_year = "-Q" not in row.period
        fraction = quarters_done if is_year and accumulates(row.kpi, units.get(row.kpi, "")) else 1.0
        expected.append(row.target * fraction)
    relevant["actual"] = actuals
    relevant["expected_to_date"] = expected
    relevant["progress_pct"] = (relevant["actual"] / relevant["target"] * 100).round(1)
    relevant["status"] = [
        status(a, e, d)
        for a, e, d in zip(
            relevant["actual"], relevant["expected_to_date"], relevant["direction"], strict=True
        )
    ]
    return relevant.drop(columns="actual_period").sort_values(
        ["scope", "scope_id", "kpi", "period"], ignore_index=True
    )

"""Progress of a programme against the targets set for its whole life ("305 job offers, target 100").

A programme's target is compared with its figure to date at the end of the report's period. The path
to date rises in a straight line from the programme's start to its end for figures that add up (offers,
starts, social value, investment), and is the target itself for shares and ratios (retention, SROI);
the status then follows the network's rule (``transforms.targets.status``). A figure the disclosure
rules hide keeps its target but shows no actual, progress or status, so the target cannot reveal it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from transforms.periods import Period
from transforms.targets import status

TO_DATE = "_to_date"
PROGRESS_COLUMNS = [
    "kpi",
    "target",
    "actual",
    "expected_to_date",
    "progress_pct",
    "status",
    "hidden",
    "unit",
]


def to_date_code(kpi: str) -> str:
    """'recruit_offers:unemployed:yes' -> 'recruit_offers_to_date:unemployed:yes'."""
    base, colon, rest = kpi.partition(":")
    return f"{base}{TO_DATE}{colon}{rest}"


def elapsed_share(start: date, end: date, period_key: str) -> float:
    """How much of the programme has run by the end of the period, 0 to 1."""
    until = Period.parse(period_key).end
    days = (end - start).days
    if days <= 0:
        return 1.0
    return float(min(1.0, max(0.0, ((until - start).days + 1) / (days + 1))))


def programme_target_progress(
    targets: Mapping[str, float],
    kpis: pd.DataFrame,
    hidden: pd.Series,
    programme_code: str,
    start: date,
    end: date,
    period_key: str,
) -> pd.DataFrame:
    """One row per target: the programme's figure to date, the straight-line path, progress and status.

    ``kpis``/``hidden``: the long KPI rows and their disclosure flags (scope "programme" rows are read).
    """
    # SROI figures are per financial year: a quarter's report reads its year's (the quarters so far).
    periods = [period_key, Period.parse(period_key).financial_year.key]
    mine = kpis.assign(hidden=hidden.to_numpy())
    mine = mine[
        (mine["scope"] == "programme") & (mine["scope_id"] == programme_code) & mine["period"].isin(periods)
    ]
    mine = mine.sort_values("period", key=lambda p: p.map(periods.index)).drop_duplicates("kpi")
    by_code = mine.set_index("kpi")
    share = elapsed_share(start, end, period_key)
    rows = []
    for kpi, target in targets.items():
        code = to_date_code(kpi)
        found = code in by_code.index
        unit = str(by_code.at[code, "unit"]) if found else ""
        is_hidden = bool(by_code.at[code, "hidden"]) if found else False
        actual = float(by_code.at[code, "value"]) if found and not is_hidden else np.nan
        adds_up = unit not in ("%", "GBP per GBP")
        expected = target * share if adds_up else target
        rows.append(
            (
                kpi,
                float(target),
                actual,
                expected,
                round(actual / target * 100, 1) if target and not np.isnan(actual) else np.nan,
                "hidden" if is_hidden else status(actual, expected),
                is_hidden,
                unit,
            )
        )
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)

"""Financial year to date at the end of each quarter, so a quarter's report can show it.

The financial-year rows of ``kpi_value`` cover every quarter received so far; a Q2 report rendered
after Q3 arrived would show Q3 in its "year to date". These rows are pinned to a quarter instead:
``<kpi>_ytd`` for period ``2026-27-Q2`` covers Q1 and Q2 of 2026-27, whenever it is computed.
"""

from __future__ import annotations

import pandas as pd

from transforms.kpi_registry import ytd_code
from transforms.periods import Period


def quarters_to_date(rows: pd.DataFrame) -> pd.DataFrame:
    """Quarterly rows repeated under each quarter of the same financial year at or after theirs.

    Only quarters that have rows become a "to date" period; year rows are dropped.
    """
    quarters = rows[rows["period"].str.contains("-Q", regex=False)]
    if quarters.empty:
        return quarters.copy()
    parsed = {key: Period.parse(key) for key in quarters["period"].unique()}
    frames = []
    for key, period in sorted(parsed.items()):
        to_date = [
            other
            for other, p in parsed.items()
            if p.financial_year == period.financial_year and p.start <= period.start
        ]
        frames.append(quarters[quarters["period"].isin(to_date)].assign(period=key))
    return pd.concat(frames, ignore_index=True)


def flows_to_date(kpis: pd.DataFrame, flows: tuple[str, ...]) -> pd.DataFrame:
    """``<flow>_ytd`` rows: a flow KPI (uplifts, starts) added up over the year's quarters so far."""
    chosen = kpis[kpis["kpi"].isin(flows)]
    summed = (
        quarters_to_date(chosen)
        .groupby(["kpi", "scope", "scope_id", "period", "unit"], as_index=False, dropna=False)["value"]
        .sum(min_count=1)
    )
    summed["kpi"] = summed["kpi"].map(ytd_code)
    return summed[["kpi", "scope", "scope_id", "period", "value", "unit"]]

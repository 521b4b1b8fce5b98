"""Measures members report as counts and sums, and the social value they stand for.

Social value is value x proxy (GBP per unit) for measures whose catalogue entry carries a proxy, so a
network can say what its mentoring hours or tonnes of CO2e saved are worth. Proxies are the network's
own (National TOMs values are CC BY-NC-ND and are not shipped).
"""

from __future__ import annotations

import pandas as pd

from transforms.periods import Period
from transforms.spend_kpis import KPI_COLUMNS

SOCIAL_VALUE = "social_value_gbp"


def measure_kpi(code: str) -> str:
    return f"measure:{code}"


def _scope_ids(frame: pd.DataFrame, column: str | None, network_id: str) -> pd.Series | str:
    return network_id if column is None else frame[column]


def measure_kpis(measures: pd.DataFrame, catalogue: pd.DataFrame, network_id: str) -> pd.DataFrame:
    """Sums of each measure and social value (total and by theme) for network, member and sector.

    ``measures``: member_id, sector, period (quarter), measure_code, value.
    ``catalogue``: code, unit, theme, proxy_gbp_per_unit (NaN when the measure has no proxy).
    Financial-year rows add up the quarters received so far (year to date).
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
    years = rows.assign(period=rows["period"].map(lambda p: Period.parse(p).financial_year.key))
    rows = pd.concat([rows[rows["period"].str.contains("-Q")], years], ignore_index=True)

    frames = []
    for scope, column in (("network", None), ("member", "member_id"), ("sector", "sector")):
        keys = ["period"] if column is None else [column, "period"]
        scope_ids = (lambda f: network_id) if column is None else (lambda f, c=column: f[c])
        sums = rows.groupby([*keys, "measure_code", "unit"], as_index=False)["value"].sum()
        frames.append(
            pd.DataFrame(
                {
                    "kpi": sums["measure_code"].map(measure_kpi),
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
    result = pd.concat(frames, ignore_index=True)[KPI_COLUMNS]
    return result.sort_values(["period", "scope", "scope_id", "kpi"], ignore_index=True)

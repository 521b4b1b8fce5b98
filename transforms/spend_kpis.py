"""Spend KPIs from spend aggregated by supplier characteristics (names and units: ``kpi_registry``).

Input is small (one row per member, period and combination of supplier size, flags and postcode),
so the roll-ups to network, member and sector, and to financial year to date, are plain pandas.
Unknown supplier size is never guessed: it is reported as its own figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.kpi_registry import REGISTRY, ytd_code
from transforms.periods import Period
from transforms.year_to_date import quarters_to_date

SME_SIZES = ("micro", "small", "medium")


_AMOUNT_COLUMNS = {
    "spend_total": "total",
    "spend_sme": "sme",
    "spend_unknown_size": "unknown_size",
    "spend_local": "local",
    "spend_local_sme": "local_sme",
    "spend_vcse": "vcse",
    "spend_diverse": "diverse",
}
_SHARES = {
    "spend_sme_pct": "sme",
    "spend_unknown_size_pct": "unknown_size",
    "spend_local_pct": "local",
    "spend_small_or_diverse_pct": "small_or_diverse",
}
KPI_COLUMNS = ["kpi", "scope", "scope_id", "period", "value", "unit"]


def classify_spend(
    aggregated: pd.DataFrame, local_areas: list[str], local_districts: list[str]
) -> pd.DataFrame:
    """Amount columns per aggregated row: how much of it is SME, local, VCSE, diverse-owned, ..."""
    size = aggregated["size"]
    sme = size.isin(SME_SIZES)
    local = aggregated["area"].isin(local_areas) | aggregated["district"].isin(local_districts)
    diverse = aggregated["is_diverse"].fillna(False).astype(bool)
    flags = {
        "total": pd.Series(True, index=aggregated.index),
        "sme": sme,
        "unknown_size": size.isna(),
        "local": local,
        "local_sme": local & sme,
        "vcse": aggregated["is_vcse"].fillna(False).astype(bool),
        "diverse": diverse,
        "small_or_diverse": (local & sme) | diverse,
    }
    amount = aggregated["amount"].astype("float64")
    classified = aggregated[["member_id", "sector", "period"]].copy()
    for name, flag in flags.items():
        classified[name] = amount.where(flag.to_numpy(), 0.0)
    return classified


def with_year_to_date(classified: pd.DataFrame) -> pd.DataFrame:
    """Add financial-year rows summing the quarters received so far (year to date)."""
    years = classified.assign(period=classified["period"].map(lambda p: Period.parse(p).financial_year.key))
    quarters = classified[classified["period"].str.contains("-Q")]
    return pd.concat([quarters, years], ignore_index=True)


def _kpis_for(sums: pd.DataFrame, scope: str, scope_column: str | None, network_id: str) -> pd.DataFrame:
    frames = []
    scope_ids = sums[scope_column] if scope_column else pd.Series(network_id, index=sums.index)
    total = sums["total"]
    for code, column in _AMOUNT_COLUMNS.items():
        frames.append(
            pd.DataFrame(
                {"kpi": code, "scope_id": scope_ids, "period": sums["period"], "value": sums[column].round(2)}
            )
        )
    for code, column in _SHARES.items():
        share = (sums[column] / total.where(total > 0) * 100).round(4)
        frames.append(
            pd.DataFrame({"kpi": code, "scope_id": scope_ids, "period": sums["period"], "value": share})
        )
    result = pd.concat(frames, ignore_index=True)
    result["scope"] = scope
    result["unit"] = result["kpi"].map(lambda k: REGISTRY[k].unit)
    result["value"] = result["value"].astype("float64").replace([np.inf, -np.inf], np.nan)
    return result[KPI_COLUMNS]


def spend_kpis(classified: pd.DataFrame, network_id: str) -> pd.DataFrame:
    """Long table of spend KPIs for the network, each member and each sector, per period."""
    if classified.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    amounts = [c for c in classified.columns if c not in ("member_id", "sector", "period")]
    rows = with_year_to_date(classified)
    network = rows.groupby("period", as_index=False)[amounts].sum()
    member = rows.groupby(["member_id", "period"], as_index=False)[amounts].sum()
    sector = rows.groupby(["sector", "period"], as_index=False)[amounts].sum()
    result = pd.concat(
        [
            _kpis_for(network, "network", None, network_id),
            _kpis_for(member, "member", "member_id", network_id),
            _kpis_for(sector, "sector", "sector", network_id),
        ],
        ignore_index=True,
    )
    return result.sort_values(["period", "scope", "scope_id", "kpi"], ignore_index=True)


def spend_kpis_to_date(classified: pd.DataFrame, network_id: str) -> pd.DataFrame:
    """The network's spend KPIs for the financial year up to the end of each quarter (``<kpi>_ytd``)."""
    if classified.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    amounts = [c for c in classified.columns if c not in ("member_id", "sector", "period")]
    sums = quarters_to_date(classified).groupby("period", as_index=False)[amounts].sum()
    result = _kpis_for(sums, "network", None, network_id)
    result["kpi"] = result["kpi"].map(ytd_code)
    return result.sort_values(["period", "kpi"], ignore_index=True)

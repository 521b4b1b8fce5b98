"""Spend KPIs from spend aggregated by supplier characteristics (names and units: ``kpi_registry``).

Input is small (one row per member, period and combination of supplier size, flags and postcode),
so the roll-ups to network, member and sector, and to financial year to date, are plain pandas.
Unknown supplier size is never guessed: it is reported as its own figure.

Shares divide by the spend members can influence (in-scope spend, ``transforms.spend_scope``) unless the
network chose all spend (``share_basis="total"``); the amounts they divide (SME, local, ...) are then
in-scope amounts too, so every share is a part of its own whole. The out-of-scope spend is reported
beside them, in total and by category, so nothing disappears from the figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.kpi_registry import OUT_OF_SCOPE_PREFIX, unit_of, ytd_code
from transforms.periods import Period
from transforms.year_to_date import quarters_to_date

SME_SIZES = ("micro", "small", "medium")


SHARE_BASES = ("in_scope", "total")

_AMOUNT_COLUMNS = {
    "spend_total": "total",
    "spend_in_scope": "in_scope",
    "spend_out_of_scope": "out_of_scope",
    "spend_sme": "sme",
    "spend_unknown_size": "unknown_size",
    "spend_local": "local",
    "spend_local_sme": "local_sme",
    "spend_vcse": "vcse",
    "spend_diverse": "diverse",
    "spend_small_or_diverse": "small_or_diverse",
}
_SHARES = {
    "spend_sme_pct": "sme",
    "spend_unknown_size_pct": "unknown_size",
    "spend_local_pct": "local",
    "spend_small_or_diverse_pct": "small_or_diverse",
}
KPI_COLUMNS = ["kpi", "scope", "scope_id", "period", "value", "unit"]


def classify_spend(
    aggregated: pd.DataFrame,
    local_areas: list[str],
    local_districts: list[str],
    share_basis: str = "in_scope",
) -> pd.DataFrame:
    """Amount columns per aggregated row: how much of it is SME, local, VCSE, diverse-owned, ...

    ``aggregated`` may carry ``out_of_scope`` (a category, or null for in-scope spend); without it all
    spend is in scope. ``share_basis`` is what the shares divide by: ``in_scope`` spend (default) or
    ``total`` spend; the SME, local, VCSE... amounts are counted within that same basis.
    """
    if share_basis not in SHARE_BASES:
        raise ValueError(f"share_basis '{share_basis}' is not one of {SHARE_BASES}")
    out_category = (
        aggregated["out_of_scope"].astype("string")
        if "out_of_scope" in aggregated
        else pd.Series(pd.NA, index=aggregated.index, dtype="string")
    )
    in_scope = out_category.isna().to_numpy(dtype=bool)
    basis = in_scope if share_basis == "in_scope" else np.ones(len(aggregated), dtype=bool)
    size = aggregated["size"]
    sme = size.isin(SME_SIZES).to_numpy(dtype=bool)
    local = (aggregated["area"].isin(local_areas) | aggregated["district"].isin(local_districts)).to_numpy(
        dtype=bool
    )
    diverse = aggregated["is_diverse"].fillna(False).astype(bool).to_numpy()
    flags = {
        "total": np.ones(len(aggregated), dtype=bool),
        "share_base": basis,
        "in_scope": in_scope,
        "out_of_scope": ~in_scope,
        "sme": basis & sme,
        "unknown_size": basis & size.isna().to_numpy(dtype=bool),
        "local": basis & local,
        "local_sme": basis & local & sme,
        "vcse": basis & aggregated["is_vcse"].fillna(False).astype(bool).to_numpy(),
        "diverse": basis & diverse,
        "small_or_diverse": basis & ((local & sme) | diverse),
    }
    for category in sorted(out_category.dropna().unique()):
        flags[f"out_of_scope:{category}"] = (out_category == category).fillna(False).to_numpy(dtype=bool)
    amount = aggregated["amount"].astype("float64")
    classified = aggregated[["member_id", "sector", "period"]].copy()
    for name, flag in flags.items():
        classified[name] = amount.where(flag, 0.0)
    return classified


def member_spend_sums(classified: pd.DataFrame) -> pd.DataFrame:
    """Classified spend summed per member, sector and period. Every spend KPI is one of these sums or a
    ratio of two, so members classified in batches and summed give the figures of all of them at once."""
    return classified.groupby(["member_id", "sector", "period"], as_index=False).sum()


def with_year_to_date(classified: pd.DataFrame) -> pd.DataFrame:
    """Add financial-year rows summing the quarters received so far (year to date)."""
    years = classified.assign(period=classified["period"].map(lambda p: Period.parse(p).financial_year.key))
    quarters = classified[classified["period"].str.contains("-Q")]
    return pd.concat([quarters, years], ignore_index=True)


def _kpis_for(sums: pd.DataFrame, scope: str, scope_column: str | None, network_id: str) -> pd.DataFrame:
    frames = []
    scope_ids = sums[scope_column] if scope_column else pd.Series(network_id, index=sums.index)
    total = sums["total"]
    # Classified frames from before the scope columns existed divide by all spend.
    base = sums.get("share_base", total)
    amounts = {
        **{code: column for code, column in _AMOUNT_COLUMNS.items() if column in sums},
        **{
            OUT_OF_SCOPE_PREFIX + column.split(":", 1)[1]: column
            for column in sums.columns
            if column.startswith("out_of_scope:")
        },
    }
    for code, column in amounts.items():
        frames.append(
            pd.DataFrame(
                {"kpi": code, "scope_id": scope_ids, "period": sums["period"], "value": sums[column].round(2)}
            )
        )
    shares = {code: (column, base) for code, column in _SHARES.items()}
    if "in_scope" in sums:
        shares["spend_in_scope_pct"] = ("in_scope", total)
    for code, (column, denominator) in shares.items():
        share = (sums[column] / denominator.where(denominator > 0) * 100).round(4)
        frames.append(
            pd.DataFrame({"kpi": code, "scope_id": scope_ids, "period": sums["period"], "value": share})
        )
    result = pd.concat(frames, ignore_index=True)
    result["scope"] = scope
    result["unit"] = result["kpi"].map(unit_of)
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

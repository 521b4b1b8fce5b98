"""Living Wage and workforce KPIs from pseudonymised staff snapshots (names and units: ``kpi_registry``).

Stock figures (headcounts, share paid the Living Wage, apprentices, local employment) come from each
member's latest snapshot in the period; flows (uplifts, apprenticeship starts) come from every
snapshot in it. An uplift is a person in two consecutive snapshots of the same member whose rate was
below the Living Wage applying on the earlier date and is at least the rate applying on the later
date; a move from contractor to direct employment (or back) does not break the match, a member's
first snapshot can claim none. Financial-year rows are the same rules over the whole year (so stock
comes from the latest snapshot of the year, flows add up), which is "year to date" while it runs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from transforms.kpi_registry import BASIS_CODES, REGISTRY, WORKFORCE_CODES
from transforms.living_wage import rates_on
from transforms.periods import period_containing
from transforms.spend_kpis import KPI_COLUMNS

# Flows add up over a year's quarters; stocks (staff, shares paid the Living Wage) do not.
WORKFORCE_FLOWS = tuple(c for c in WORKFORCE_CODES if REGISTRY[c].flow)
_COUNTS = [
    "staff",
    "staff_direct",
    "staff_contractor",
    "lw_assessed",
    "lw_assessed_direct",
    "lw_assessed_contractor",
    "lw_paid",
    "lw_paid_direct",
    "lw_paid_contractor",
    "apprentices",
    "local",
    "apprentice_starts",
    "lw_uplifts",
    "lw_uplift_annual_gbp",
]
_SHARES = {
    "lw_paid_pct": ("lw_paid", "lw_assessed"),
    "lw_paid_pct_direct": ("lw_paid_direct", "lw_assessed_direct"),
    "lw_paid_pct_contractor": ("lw_paid_contractor", "lw_assessed_contractor"),
    "local_employment_pct": ("local", "staff"),
}


def with_living_wage(staff: pd.DataFrame, basis: str, rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row with the Living Wage applying on its snapshot date and whether the person is paid it."""
    out = staff.copy()
    out["living_wage"] = rates_on(out["snapshot_date"], basis, rates).to_numpy()
    out["paid_lw"] = (out["hourly_rate_gbp"] >= out["living_wage"]).where(out["living_wage"].notna())
    return out


def living_wage_uplifts(staff: pd.DataFrame) -> pd.DataFrame:
    """One row per uplift: the person, the later snapshot it is counted in, and the yearly value."""
    dates = (
        staff[["member_id", "snapshot_date"]].drop_duplicates().sort_values(["member_id", "snapshot_date"])
    )
    dates["previous_date"] = dates.groupby("member_id")["snapshot_date"].shift()
    current = staff.merge(dates, on=["member_id", "snapshot_date"])
    previous = staff[["member_id", "snapshot_date", "person_key", "hourly_rate_gbp", "living_wage"]].rename(
        columns={
            "snapshot_date": "previous_date",
            "hourly_rate_gbp": "previous_rate",
            "living_wage": "previous_lw",
        }
    )
    pairs = current.merge(previous, on=["member_id", "previous_date", "person_key"])
    uplifted = pairs[
        (pairs["previous_rate"] < pairs["previous_lw"]) & (pairs["hourly_rate_gbp"] >= pairs["living_wage"])
    ]
    annual = (uplifted["hourly_rate_gbp"] - uplifted["previous_rate"]) * uplifted["weekly_hours"] * 52
    return uplifted.assign(annual_gbp=annual.round(2))[
        ["member_id", "snapshot_date", "previous_date", "person_key", "annual_gbp"]
    ]


def _map_distinct(values: pd.Series, fn) -> pd.Series:  # type: ignore[no-untyped-def]
    """``values.map(fn)``, calling ``fn`` once per distinct value: snapshot dates repeat for every person."""
    known = values.notna()
    distinct = pd.unique(values[known])
    lookup = pd.Series([fn(v) for v in distinct], index=distinct, dtype=object)
    return values.map(lookup).where(known, fn(pd.NaT))


def apprenticeship_starts(staff: pd.DataFrame) -> pd.DataFrame:
    """One row per apprenticeship start: member, person, start date, and the snapshot that reports it.

    A start is counted once, in the quarter of the first snapshot of its financial year that lists the
    apprentice on or after the start's quarter began, and so in that quarter's year. A start in the
    months before a member's first return of the year (a May start first seen in the September
    snapshot) is counted in that first return's quarter rather than in a quarter nobody reported: the
    quarters then add up to the year, the fourth quarter's year to date equals the year, and a quarter's
    figure, once published, never changes when a later return arrives (``docs/design.md#kpis``).
    """
    listed = staff[
        staff["is_apprentice"].fillna(False).astype(bool) & staff["apprenticeship_start_date"].notna()
    ][["member_id", "person_key", "snapshot_date", "apprenticeship_start_date"]]
    if listed.empty:
        return listed.assign(reported_date=listed["snapshot_date"])

    def year_of(day) -> str:  # type: ignore[no-untyped-def]
        return "" if pd.isna(day) else period_key(day, "year")

    start_year = _map_distinct(listed["apprenticeship_start_date"], year_of)
    snapshot_year = _map_distinct(listed["snapshot_date"], year_of)
    # Financial quarters (April to June...) are calendar quarters, so pandas finds where one begins.
    quarter_began = pd.to_datetime(listed["apprenticeship_start_date"]).dt.to_period("Q").dt.start_time
    reporting = listed[
        (snapshot_year == start_year) & (pd.to_datetime(listed["snapshot_date"]) >= quarter_began)
    ]
    first = (
        reporting.assign(start_year=start_year)
        .sort_values("snapshot_date")
        .drop_duplicates(["member_id", "person_key", "start_year"])
    )
    return first.rename(columns={"snapshot_date": "reported_date"})[
        ["member_id", "person_key", "apprenticeship_start_date", "reported_date"]
    ]


def _member_counts(
    staff: pd.DataFrame, uplifts: pd.DataFrame, period_of, local_areas, local_districts
) -> pd.DataFrame:
    """Counts per member and period, where ``period_of`` maps a snapshot date to its period key."""
    staff = staff.assign(period=_map_distinct(staff["snapshot_date"], period_of))
    latest = staff.groupby(["member_id", "period"])["snapshot_date"].transform("max")
    stock = staff[staff["snapshot_date"] == latest]
    direct = stock["employment_basis"] == "direct"
    assessed = stock["paid_lw"].notna()
    paid = stock["paid_lw"].fillna(False).astype(bool)
    local = stock["home_postcode_area"].isin(local_areas) | stock["home_postcode_district"].isin(
        local_districts
    )
    flags = pd.DataFrame(
        {
            "member_id": stock["member_id"],
            "period": stock["period"],
            "staff": 1,
            "staff_direct": direct.astype(int),
            "staff_contractor": (~direct).astype(int),
            "lw_assessed": assessed.astype(int),
            "lw_assessed_direct": (assessed & direct).astype(int),
            "lw_assessed_contractor": (assessed & ~direct).astype(int),
            "lw_paid": paid.astype(int),
            "lw_paid_direct": (paid & direct).astype(int),
            "lw_paid_contractor": (paid & ~direct).astype(int),
            "apprentices": stock["is_apprentice"].fillna(False).astype(bool).astype(int),
            "local": local.astype(int),
        }
    )
    counts = flags.groupby(["member_id", "period"], as_index=False).sum()

    starts = apprenticeship_starts(staff)
    starts = starts.assign(period=_map_distinct(starts["reported_date"], period_of))
    start_counts = starts.groupby(["member_id", "period"])["person_key"].nunique().rename("apprentice_starts")

    uplifts = uplifts.assign(period=_map_distinct(uplifts["snapshot_date"], period_of))
    uplift_counts = uplifts.groupby(["member_id", "period"]).agg(
        lw_uplifts=("person_key", "size"), lw_uplift_annual_gbp=("annual_gbp", "sum")
    )
    counts = counts.set_index(["member_id", "period"]).join(start_counts).join(uplift_counts)
    return counts.fillna({"apprentice_starts": 0, "lw_uplifts": 0, "lw_uplift_annual_gbp": 0.0}).reset_index()


def _kpis_from_counts(
    counts: pd.DataFrame, scope: str, scope_column: str | None, network_id: str
) -> pd.DataFrame:
    scope_ids = counts[scope_column] if scope_column else pd.Series(network_id, index=counts.index)
    frames = []
    for code in WORKFORCE_CODES:
        if code in _SHARES:
            numerator, denominator = _SHARES[code]
            value = (counts[numerator] / counts[denominator].where(counts[denominator] > 0) * 100).round(4)
        else:
            value = counts[code].astype("float64")
        frames.append(
            pd.DataFrame({"kpi": code, "scope_id": scope_ids, "period": counts["period"], "value": value})
        )
    # The people behind the percentages, kept so that disclosure control (``reports.disclosure``) can be
    # applied when publishing.
    for basis in BASIS_CODES:
        frames.append(
            pd.DataFrame(
                {
                    "kpi": basis,
                    "scope_id": scope_ids,
                    "period": counts["period"],
                    "value": counts[basis].astype("float64"),
                }
            )
        )
    result = pd.concat(frames, ignore_index=True)
    result["scope"] = scope
    result["unit"] = result["kpi"].map(lambda k: REGISTRY[k].unit)
    result["value"] = result["value"].astype("float64").replace([np.inf, -np.inf], np.nan)
    return result[KPI_COLUMNS]


def member_workforce_counts(
    staff: pd.DataFrame,
    basis: str,
    local_areas: list[str],
    local_districts: list[str],
    rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Counts of people per member and period (quarters and financial years), from staff snapshots.

    Every rule (latest snapshot, uplift matching, apprenticeship starts) looks only within one member, and
    the counts add up across members, so the KPI step can read the members' snapshots one member at a time
    and hold one member's staff, never the network's (memory bounded by a member's files, not the
    warehouse): counts of members read apart concatenate to the counts of them read together.
    """
    if staff.empty:
        return pd.DataFrame(columns=["member_id", "period", *_COUNTS])
    staff = with_living_wage(staff, basis, rates)
    uplifts = living_wage_uplifts(staff)

    def quarter_of(day) -> str:  # type: ignore[no-untyped-def]
        return "" if pd.isna(day) else period_key(day, "quarter")

    def year_of(day) -> str:  # type: ignore[no-untyped-def]
        return "" if pd.isna(day) else period_key(day, "year")

    return pd.concat(
        [
            _member_counts(staff, uplifts, quarter_of, local_areas, local_districts),
            _member_counts(staff, uplifts, year_of, local_areas, local_districts),
        ],
        ignore_index=True,
    )


def workforce_kpis_from_counts(
    counts: pd.DataFrame, member_sectors: Mapping[str, str], network_id: str
) -> pd.DataFrame:
    """Long table of workforce KPIs for the network, each member and each sector, from members' counts
    (:func:`member_workforce_counts`): sectors and the network are sums of their members' counts."""
    if counts.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    counts = counts.assign(sector=counts["member_id"].map(member_sectors).fillna("unknown"))
    numeric = [c for c in _COUNTS if c in counts.columns]
    network = counts.groupby("period", as_index=False)[numeric].sum()
    sector = counts.groupby(["sector", "period"], as_index=False)[numeric].sum()
    result = pd.concat(
        [
            _kpis_from_counts(network, "network", None, network_id),
            _kpis_from_counts(counts, "member", "member_id", network_id),
            _kpis_from_counts(sector, "sector", "sector", network_id),
        ],
        ignore_index=True,
    )
    return result.sort_values(["period", "scope", "scope_id", "kpi"], ignore_index=True)


def workforce_kpis(
    staff: pd.DataFrame,
    basis: str,
    local_areas: list[str],
    local_districts: list[str],
    network_id: str,
    rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long table of workforce KPIs for the network, each member and each sector, per quarter and year to
    date, from every member's snapshots at once (``staff`` carries each member's ``sector``)."""
    if staff.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    sectors = staff.drop_duplicates("member_id").set_index("member_id")["sector"].to_dict()
    counts = member_workforce_counts(staff, basis, local_areas, local_districts, rates)
    return workforce_kpis_from_counts(counts, sectors, network_id)


def period_key(day, kind: str) -> str:  # type: ignore[no-untyped-def]
    return period_containing(pd.Timestamp(day).date(), kind).key

"""Compute the network's KPIs from the warehouse and store them in ``kpi_value`` in one transaction.

Incremental (issue 16): a run recomputes only the financial years the submissions recorded since the
last run touched (``submissions.kpis_at`` empty), and replaces only those periods' values. A quarter
touched means its whole financial year: the year's figure, the quarter, and the later quarters' "year
to date" (``_ytd``) figures that add it up. A workforce snapshot touched also means the year of that
member's next snapshot (its Living Wage uplifts are counted against this one). The workforce matching
reads only the snapshots of those years and each member's snapshot before them. The programme and
recruitment families (SROI, recruitment "to date" since a programme began: figures across years) are
recomputed whole on every run, from their small fact tables.

Everything is recomputed when asked (``anchor kpis --all``, ``full=True``), on the first run, and when
anything the figures depend on besides the facts changed since the last run: the network config, a
reference file the warehouse follows (supplier register, spend scope rules), the package's reference
tables (Living Wage rates) or the KPI code itself (``inputs_fingerprint``). See docs/design.md#kpis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.network import Network
from pipeline.steps.programmes import programme_kpis
from pipeline.steps.reference_data import network_targets
from transforms.kpi_registry import is_known, lookup
from transforms.measures import measure_kpis
from transforms.periods import Period, period_containing
from transforms.spend_kpis import classify_spend, member_spend_sums, spend_kpis, spend_kpis_to_date
from transforms.supplier_coverage import coverage_kpis, coverage_summary
from transforms.workforce_kpis import WORKFORCE_FLOWS, member_workforce_counts, workforce_kpis_from_counts
from transforms.year_to_date import flows_to_date
from warehouse import queries
from warehouse.load import register_periods, replace_kpis


def _with_sectors(frame: pd.DataFrame, network: Network) -> pd.DataFrame:
    sectors = {m.id: m.sector.value for m in network.cfg.members}
    return frame.assign(sector=frame["member_id"].map(sectors).fillna("unknown"))


def catalogue_frame(network: Network) -> pd.DataFrame:
    return pd.DataFrame(
        [(m.code, m.unit, m.theme, m.proxy_gbp_per_unit) for m in network.cfg.measures],
        columns=["code", "unit", "theme", "proxy_gbp_per_unit"],
    ).astype({"proxy_gbp_per_unit": "float64"})


# Families recomputed whole on every run: their "to date" figures run since a programme began.
WHOLE_FAMILIES = ("programmes", "recruitment")
# Statuses of submissions whose facts are (or were) in the warehouse: what a KPI run must look at again.
_FACT_STATUSES = ("accepted", "superseded")
# The code every stored figure comes from: a change here (a formula, a reading) recomputes everything.
_KPI_CODE = (
    "pipeline.steps.kpis",
    "pipeline.steps.programmes",
    "warehouse.queries",
    "transforms.spend_kpis",
    "transforms.supplier_coverage",
    "transforms.workforce_kpis",
    "transforms.living_wage",
    "transforms.measures",
    "transforms.year_to_date",
    "transforms.kpi_registry",
    "transforms.periods",
    "transforms.sroi",
    "transforms.recruitment_kpis",
)


@dataclass
class KpiPlan:
    """What a KPI run recomputes: everything (``full``), or the financial years in ``years``."""

    full: bool
    reason: str
    years: list[str] = field(default_factory=list)
    counted: list[dict[str, Any]] = field(default_factory=list)  # submissions this run accounts for
    fingerprint: str = ""

    @property
    def periods(self) -> set[str] | None:
        """The period keys whose values are replaced: each year and its four quarters (None: all)."""
        if self.full:
            return None
        keys = set()
        for year in self.years:
            fy = Period.parse(year)
            keys.update([fy.key, *(q.key for q in fy.quarters())])
        return keys


def inputs_fingerprint(network: Network) -> str:
    """A digest of everything the figures depend on besides the facts: config, reference files the
    warehouse follows, the package's reference tables, and the KPI code."""
    digest = hashlib.sha256(network.cfg.model_dump_json().encode())
    for name, content_hash in queries.reference_file_hashes(network.engine):
        digest.update(f"\n{name}={content_hash}".encode())
    for table in sorted(files("config").iterdir(), key=lambda t: t.name):
        if table.name.endswith(".csv"):
            digest.update(table.read_bytes())
    for module in _KPI_CODE:
        source = import_module(module).__file__
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()


def _year_of(day: Any) -> str:
    return period_containing(pd.Timestamp(day).date(), "year").key


def touched_years(touched: Iterable[Mapping[str, Any]], snapshot_dates: pd.DataFrame) -> list[str]:
    """Financial years whose figures the ``touched`` submissions (member_id, return_type, period) may
    have changed: each one's year; for a workforce snapshot, also the year of its snapshot dates and of
    the member's next snapshot, whose uplifts are matched against it."""
    years: set[str] = set()
    dates = snapshot_dates.sort_values(["member_id", "snapshot_date"])
    for row in touched:
        period = Period.parse(row["period"])
        years.add(period.financial_year.key)
        if row["return_type"] != "workforce":
            continue
        own = dates[dates["member_id"] == row["member_id"]]
        carried = own.loc[own["period"] == row["period"], "snapshot_date"]
        years.update(_year_of(day) for day in carried)
        last = carried.max() if not carried.empty else pd.Timestamp(period.end)
        later = own.loc[own["snapshot_date"] > last, "snapshot_date"]
        if not later.empty:
            years.add(_year_of(later.min()))
    return sorted(years)


def snapshots_to_read(snapshot_dates: pd.DataFrame, years: Iterable[str]) -> list[tuple[str, Any]]:
    """(member, snapshot date) pairs the workforce KPIs of ``years`` need: every snapshot in those years
    and, for each, the member's snapshot before it (the Living Wage uplift matching)."""
    wanted = set(years)
    dates = (
        snapshot_dates[["member_id", "snapshot_date"]]
        .drop_duplicates()
        .sort_values(["member_id", "snapshot_date"], ignore_index=True)
    )
    if dates.empty:
        return []
    in_years = dates["snapshot_date"].map(_year_of).isin(wanted)
    previous = dates.groupby("member_id")["snapshot_date"].shift()
    pairs = set(zip(dates.loc[in_years, "member_id"], dates.loc[in_years, "snapshot_date"], strict=True))
    pairs |= {
        (member, day)
        for member, day in zip(dates.loc[in_years, "member_id"], previous[in_years], strict=True)
        if not pd.isna(day)
    }
    return sorted(pairs)


def plan_kpis(network: Network, full: bool = False) -> KpiPlan:
    """Decide what this run recomputes (see the module's docstring)."""
    engine = network.engine
    counted = queries.submissions_awaiting_kpis(engine)
    fingerprint = inputs_fingerprint(network)
    last = queries.last_kpi_run(engine)
    reason = ""
    if full:
        reason = "asked for all"
    elif last is None:
        reason = "first run"
    elif last["inputs_hash"] != fingerprint:
        reason = "config, reference data or KPI code changed"
    if reason:
        return KpiPlan(True, reason, counted=counted, fingerprint=fingerprint)
    touched = [row for row in counted if row["status"] in _FACT_STATUSES]
    workforce = any(row["return_type"] == "workforce" for row in touched)
    dates = (
        queries.snapshot_dates(engine)
        if workforce
        else pd.DataFrame(columns=["member_id", "snapshot_date", "period"])
    )
    years = touched_years(touched, dates)
    return KpiPlan(False, "submissions since the last run", years, counted, fingerprint)


def _member_spend(network: Network, periods: set[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each member's classified spend sums and the spend KPIs' size coverage, read a batch of whole
    members at a time: every spend figure is one of those sums or a ratio of two, so the step holds one
    batch, not the network's summary rows (docs/design.md#kpis)."""
    cfg, area = network.cfg, network.cfg.local_area

    def classified(profile: pd.DataFrame) -> pd.DataFrame:
        return classify_spend(profile, area.postcode_areas, area.postcode_districts, cfg.spend.share_basis)

    sums, summaries = [], []
    for batch in queries.spend_profile_batches(network.engine, periods):
        profile = _with_sectors(batch, network)
        sums.append(member_spend_sums(classified(profile)))
        summaries.append(coverage_summary(profile))
    if not sums:
        profile = _with_sectors(queries.spend_by_supplier_profile(network.engine, periods, []), network)
        sums, summaries = [classified(profile)], [coverage_summary(profile)]
    # A category set out of scope in one batch only is a zero in the others.
    return (
        pd.concat(sums, ignore_index=True).fillna(0.0),
        coverage_kpis(pd.concat(summaries, ignore_index=True), cfg.id),
    )


def _member_staff_counts(network: Network, plan: KpiPlan) -> pd.DataFrame:
    """Each member's workforce counts per period, read a batch of whole members at a time (every rule
    looks within one member; sectors and the network add members' counts up)."""
    cfg, area, engine = network.cfg, network.cfg.local_area, network.engine
    dates = queries.snapshot_dates(engine)
    needed = None if plan.full else snapshots_to_read(dates, plan.years)
    counts = [
        member_workforce_counts(staff, cfg.living_wage_basis, area.postcode_areas, area.postcode_districts)
        for staff in queries.staff_snapshot_batches(engine, dates, needed)
        if not staff.empty
    ]
    return pd.concat(counts, ignore_index=True) if counts else pd.DataFrame()


def compute_kpis(network: Network, full: bool = False) -> dict[str, Any]:
    """Recompute the KPIs the submissions since the last run touched (every KPI with ``full``, or when
    the plan says so) and replace those stored values in one transaction."""
    cfg, engine = network.cfg, network.engine
    started = datetime.now(UTC)
    plan = plan_kpis(network, full)
    periods = plan.periods
    # The spend sums and the staff counts read and reduce different tables: the spend query runs (mostly
    # in the database, the GIL released) while this thread reads and counts the staff.
    with ThreadPoolExecutor(1, thread_name_prefix="kpi-spend") as spend_reader:
        spend = spend_reader.submit(_member_spend, network, periods)
        workforce = workforce_kpis_from_counts(
            _member_staff_counts(network, plan), {m.id: m.sector.value for m in cfg.members}, cfg.id
        )
        classified, coverage = spend.result()
    measures = measure_kpis(
        _with_sectors(queries.measure_values(engine, periods), network), catalogue_frame(network), cfg.id
    )
    by_period = pd.concat(
        [
            spend_kpis(classified, cfg.id),
            coverage,
            workforce,
            measures,
            spend_kpis_to_date(classified, cfg.id),
            flows_to_date(workforce[workforce["scope"] == "network"], WORKFORCE_FLOWS),
        ],
        ignore_index=True,
    )
    programmes = programme_kpis(network)
    if periods is not None:
        # Inputs of neighbouring years (a member's earlier snapshot) give partial figures for those years.
        by_period = by_period[by_period["period"].isin(periods)]
        whole = {
            code
            for code in queries.kpi_codes(engine) | set(programmes["kpi"])
            if is_known(code, cfg.measures) and lookup(code, cfg.measures).family in WHOLE_FAMILIES
        } | set(programmes["kpi"])
    values = pd.concat([by_period, programmes], ignore_index=True)
    targets = network_targets(network)
    register_periods(engine, values["period"].unique())
    computed_at = datetime.now(UTC)
    rows = [
        {**row, "value": None if pd.isna(row["value"]) else float(row["value"]), "computed_at": computed_at}
        for row in values.to_dict("records")
    ]
    run = {
        "started_at": started,
        "finished_at": computed_at,
        "full": plan.full,
        "periods": json.dumps(sorted(periods) if periods is not None else ["*"]),
        "inputs_hash": plan.fingerprint,
    }
    replace_kpis(
        engine,
        rows,
        targets.to_dict("records"),
        only_periods=periods,
        codes=whole if periods is not None else (),
        run=run,
        counted=plan.counted,
    )
    return {
        "kpi_values": len(rows),
        "periods": sorted(values["period"].unique().tolist()),
        "full": plan.full,
        "reason": plan.reason,
        "years": plan.years,
    }


def read_kpis(network: Network, period: str, scopes: tuple[str, ...] = ("network", "member")) -> pd.DataFrame:
    """The stored KPI values of one period (``anchor kpis``): the network's first, then each member's."""
    return queries.kpi_values(network.engine, [period], scopes)

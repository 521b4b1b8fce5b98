"""Build the City Hall period report from the warehouse alone, render it, and deliver it to disk.

Nothing here computes a figure: values come from ``kpi_value`` (written by the KPI step) and the
returns status from ``submissions``, so the report always agrees with the warehouse.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from pipeline.runtime import Network
from reports.model import KpiFigure, MemberRow, PeriodReport, SubmissionRow, TrendPoint, WorkforceMemberRow
from reports.render import render_period_report_html
from transforms.periods import Period
from transforms.spend_kpis import SPEND_KPIS, KpiDefinition
from transforms.workforce_kpis import WORKFORCE_KPIS, suppressed
from warehouse.schema import kpi_value, submissions

TREND_PERIODS = 6
WORKFORCE_HEADLINE = (
    "lw_paid_pct",
    "lw_paid_pct_direct",
    "lw_paid_pct_contractor",
    "lw_uplifts",
    "lw_uplift_annual_gbp",
    "apprentices",
    "apprentice_starts",
    "local_employment_pct",
    "staff_direct",
    "staff_contractor",
)
WORKFORCE_MEMBER_COLUMNS = (
    "staff_direct",
    "staff_contractor",
    "lw_paid_pct_direct",
    "lw_paid_pct_contractor",
    "lw_uplifts",
    "lw_uplift_annual_gbp",
    "apprentices",
    "apprentice_starts",
    "local_employment_pct",
)
MEMBER_COLUMNS = (
    "spend_total",
    "spend_sme_pct",
    "spend_local_pct",
    "spend_vcse",
    "spend_diverse",
    "spend_small_or_diverse_pct",
    "spend_unknown_size_pct",
)


def period_label(period: Period) -> str:
    if period.quarter is None:
        return f"Financial year {period.key} ({period.start:%B %Y} to {period.end:%B %Y}), year to date"
    return (
        f"Quarter {period.quarter} of {period.financial_year.key} ({period.start:%B} to {period.end:%B %Y})"
    )


def _trend_periods(period: Period) -> list[Period]:
    periods = [period]
    while len(periods) < TREND_PERIODS:
        periods.insert(0, periods[0].previous())
    return periods


def _kpi_frame(network: Network, periods: list[str]) -> pd.DataFrame:
    with network.engine.connect() as conn:
        rows = conn.execute(select(kpi_value).where(kpi_value.c.period.in_(periods))).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in kpi_value.columns])


class _Figures:
    """KPI values and disclosure flags of the report's periods, looked up by (kpi, scope, scope id, period)."""

    def __init__(self, frame: pd.DataFrame, threshold: int) -> None:
        frame = frame.assign(suppressed=suppressed(frame, threshold) if not frame.empty else False)
        keys = list(zip(frame.kpi, frame.scope, frame.scope_id, frame.period, strict=True))
        self._values = dict(zip(keys, frame.value, strict=True))
        self._suppressed = dict(zip(keys, frame.suppressed, strict=True))

    def value(self, kpi: str, scope: str, scope_id: str, period: str) -> float | None:
        value = self._values.get((kpi, scope, scope_id, period))
        return None if value is None or pd.isna(value) else float(value)

    def suppressed(self, kpi: str, scope: str, scope_id: str, period: str) -> bool:
        return bool(self._suppressed.get((kpi, scope, scope_id, period), False))

    def figure(self, definition: KpiDefinition, network_id: str, period: str, previous: str) -> KpiFigure:
        return KpiFigure(
            code=definition.code,
            label=definition.label,
            unit=definition.unit,
            definition=definition.definition,
            value=self.value(definition.code, "network", network_id, period),
            previous=self.value(definition.code, "network", network_id, previous),
            suppressed=self.suppressed(definition.code, "network", network_id, period),
        )


def _submissions(network: Network, period: Period) -> pd.DataFrame:
    keys = [p.key for p in period.quarters()] + ([period.key] if period.quarter is None else [])
    with network.engine.connect() as conn:
        rows = conn.execute(select(submissions).where(submissions.c.period.in_(keys))).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in submissions.columns])


def _submission_rows(network: Network, subs: pd.DataFrame) -> list[SubmissionRow]:
    rows = []
    for member in network.cfg.members:
        for return_type in network.cfg.expected_returns(member):
            mine = subs[(subs.member_id == member.id) & (subs.return_type == return_type)]
            current = mine[mine.status.isin(["accepted", "quarantined"])]
            if (current.status == "accepted").any():
                status = "accepted"
            elif not current.empty:
                status = "quarantined"
            else:
                status = "missing"
            received = pd.to_datetime(mine["received_at"], utc=True).max() if not mine.empty else None
            rows.append(
                SubmissionRow(
                    member_id=member.id,
                    member_name=member.name,
                    return_type=return_type,
                    status=status,
                    files=len(current),
                    rows_read=int(current.rows_read.sum()),
                    rows_loaded=int(current.rows_loaded.sum()),
                    rows_rejected=int(current.rows_rejected.sum()),
                    last_received_at=received.to_pydatetime() if received is not None else None,
                )
            )
    return rows


def build_period_report(network: Network, period_key: str) -> PeriodReport:
    period = Period.parse(period_key)
    trend_periods = _trend_periods(period)
    threshold = network.cfg.suppression_threshold
    figures = _Figures(_kpi_frame(network, [p.key for p in trend_periods]), threshold)
    network_id, key, previous = network.cfg.id, period.key, period.previous().key
    subs = _submissions(network, period)
    accepted = subs[subs.status == "accepted"]

    def sent(member_id: str, return_type: str) -> bool:
        return bool(((accepted.member_id == member_id) & (accepted.return_type == return_type)).any())

    members = [
        MemberRow(
            member_id=m.id,
            name=m.name,
            sector=m.sector.value,
            submitted=sent(m.id, "spend"),
            **{c: figures.value(c, "member", m.id, key) for c in MEMBER_COLUMNS},
        )
        for m in network.cfg.members
    ]
    workforce_members = [
        WorkforceMemberRow(
            member_id=m.id,
            name=m.name,
            sector=m.sector.value,
            submitted=sent(m.id, "workforce"),
            **{c: figures.value(c, "member", m.id, key) for c in WORKFORCE_MEMBER_COLUMNS},
            suppressed=frozenset(
                c for c in WORKFORCE_MEMBER_COLUMNS if figures.suppressed(c, "member", m.id, key)
            ),
        )
        for m in network.cfg.members
        if "workforce" in network.cfg.expected_returns(m)
    ]
    trend_codes = [*SPEND_KPIS, *WORKFORCE_HEADLINE]
    trend = [
        TrendPoint(
            p.key,
            {c: figures.value(c, "network", network_id, p.key) for c in trend_codes},
            frozenset(c for c in trend_codes if figures.suppressed(c, "network", network_id, p.key)),
        )
        for p in trend_periods
    ]
    has_workforce = "workforce" in network.cfg.returns
    as_of = pd.to_datetime(subs["processed_at"], utc=True).max() if not subs.empty else None
    computed_at = _computed_at(network, [p.key for p in trend_periods])
    # Times come from the warehouse, so the same warehouse state renders the same report.
    as_of_time = as_of.to_pydatetime() if as_of is not None else datetime(1970, 1, 1, tzinfo=UTC)
    return PeriodReport(
        network_id=network_id,
        network_name=network.cfg.name,
        period=key,
        period_label=period_label(period),
        as_of=as_of_time,
        generated_at=computed_at or as_of_time,
        headline=[figures.figure(d, network_id, key, previous) for d in SPEND_KPIS.values()],
        members=members,
        submissions=_submission_rows(network, subs),
        trend=trend,
        source_submission_ids=sorted(accepted.submission_id.tolist()),
        workforce_headline=[
            figures.figure(WORKFORCE_KPIS[c], network_id, key, previous) for c in WORKFORCE_HEADLINE
        ]
        if has_workforce
        else [],
        workforce_members=workforce_members if has_workforce else [],
        suppression_threshold=threshold,
    )


def _computed_at(network: Network, periods: list[str]) -> datetime | None:
    """When the report's figures were computed (SQLite returns naive UTC times, PostgreSQL aware ones)."""
    with network.engine.connect() as conn:
        value = conn.execute(
            select(func.max(kpi_value.c.computed_at)).where(kpi_value.c.period.in_(periods))
        ).scalar()
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return (stamp if stamp.tzinfo else stamp.tz_localize(UTC)).to_pydatetime()


def latest_reported_period(network: Network) -> str:
    """The latest quarter with an accepted return: what "the report" means when nobody names a period."""
    with network.engine.connect() as conn:
        periods = (
            conn.execute(select(submissions.c.period).where(submissions.c.status == "accepted").distinct())
            .scalars()
            .all()
        )
    if not periods:
        raise ValueError("no accepted returns yet, so there is nothing to report; ingest some files first")
    return max(Period.parse(p) for p in periods).key


def write_report(network: Network, period_key: str | None = None) -> dict[str, Any]:
    """Render the period report and put it in the bucket's ``reports/`` and in the outbox folder."""
    report = build_period_report(network, period_key or latest_reported_period(network))
    html = render_period_report_html(report)
    name = f"{network.cfg.id}-report-{report.period}.html"
    bucket_path = network.bucket.write(f"reports/{report.period}/{name}", html.encode("utf-8"))
    outbox = Path(network.cfg.outbox_dir)
    outbox.mkdir(parents=True, exist_ok=True)
    local = outbox / name
    temporary = local.with_suffix(".tmp")
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, local)
    return {
        "period": report.period,
        "html": str(local),
        "bucket_path": network.bucket.uri(bucket_path),
        "submissions": len(report.source_submission_ids),
    }

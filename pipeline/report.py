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
from sqlalchemy import select

from pipeline.runtime import Network
from reports.model import KpiFigure, MemberRow, PeriodReport, SubmissionRow, TrendPoint
from reports.render import render_period_report_html
from transforms.periods import Period
from transforms.spend_kpis import SPEND_KPIS
from warehouse.schema import kpi_value, submissions

TREND_PERIODS = 6
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


def _value(frame: pd.DataFrame, kpi: str, scope: str, scope_id: str, period: str) -> float | None:
    hit = frame[
        (frame.kpi == kpi) & (frame.scope == scope) & (frame.scope_id == scope_id) & (frame.period == period)
    ]
    if hit.empty or pd.isna(hit.iloc[0]["value"]):
        return None
    return float(hit.iloc[0]["value"])


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
    frame = _kpi_frame(network, [p.key for p in trend_periods])
    network_id = network.cfg.id
    previous = period.previous().key
    headline = [
        KpiFigure(
            code=d.code,
            label=d.label,
            value=_value(frame, d.code, "network", network_id, period.key),
            unit=d.unit,
            definition=d.definition,
            previous=_value(frame, d.code, "network", network_id, previous),
        )
        for d in SPEND_KPIS.values()
    ]
    subs = _submissions(network, period)
    accepted = subs[subs.status == "accepted"]
    members = [
        MemberRow(
            member_id=m.id,
            name=m.name,
            sector=m.sector.value,
            submitted=bool((accepted.member_id == m.id).any()),
            **{c: _value(frame, c, "member", m.id, period.key) for c in MEMBER_COLUMNS},
        )
        for m in network.cfg.members
    ]
    trend = [
        TrendPoint(p.key, {c: _value(frame, c, "network", network_id, p.key) for c in SPEND_KPIS})
        for p in trend_periods
    ]
    as_of = pd.to_datetime(subs["processed_at"], utc=True).max() if not subs.empty else None
    computed = pd.to_datetime(frame["computed_at"], utc=True).max() if not frame.empty else None
    # Times come from the warehouse, so the same warehouse state renders the same report.
    as_of_time = as_of.to_pydatetime() if as_of is not None else datetime(1970, 1, 1, tzinfo=UTC)
    return PeriodReport(
        network_id=network_id,
        network_name=network.cfg.name,
        period=period.key,
        period_label=period_label(period),
        as_of=as_of_time,
        generated_at=computed.to_pydatetime() if computed is not None else as_of_time,
        headline=headline,
        members=members,
        submissions=_submission_rows(network, subs),
        trend=trend,
        source_submission_ids=sorted(accepted.submission_id.tolist()),
    )


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

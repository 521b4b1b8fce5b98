"""Build the City Hall period report from the warehouse alone, render it, and deliver it to disk.

Nothing here computes a figure: values come from ``kpi_value`` (written by the KPI step) and the
returns status from ``submissions``, so the report always agrees with the warehouse. Which figures may
be published is ``reports.disclosure``'s to say; how they are named and shown, ``reports``'.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import Measure
from pipeline.network import Network
from pipeline.steps import report_programmes
from pipeline.steps.report_spend_scope import spend_scope
from reports.disclosure import WEIGHED_KPIS, Figures
from reports.format import period_label
from reports.model import (
    MEMBER_COLUMNS,
    SECTOR_SPEND_COLUMNS,
    SECTOR_WORKFORCE_COLUMNS,
    SINCE_START_CODES,
    WORKFORCE_HEADLINE,
    WORKFORCE_MEMBER_COLUMNS,
    MeasureRow,
    MemberRow,
    PeriodReport,
    SectorRow,
    SinceStart,
    SinceStartFigure,
    SubmissionRow,
    TargetRow,
    TrendPoint,
    WorkforceMemberRow,
)
from reports.render import render_period_report_html
from transforms.kpi_registry import SOCIAL_VALUE, SPEND_CODES, lookup, measure_code
from transforms.measures import LEVEL_UNIT
from transforms.periods import Period
from transforms.targets import STATUS_RULE, target_progress
from warehouse import queries

TREND_PERIODS = 6


def _trend_periods(period: Period) -> list[Period]:
    periods = [period]
    while len(periods) < TREND_PERIODS:
        periods.insert(0, periods[0].previous())
    return periods


def _submissions(network: Network, period: Period) -> pd.DataFrame:
    keys = [p.key for p in period.quarters()] + ([period.key] if period.quarter is None else [])
    return queries.submissions_for(network.engine, keys)


def _submission_rows(network: Network, period: Period) -> list[SubmissionRow]:
    """One row per member and return type, with the returns tracker's status (``late`` = accepted after
    the due date); a year's row sums its quarters and shows the status that most needs attention."""
    from pipeline.steps.returns_tracker import track_returns

    grouped: dict[tuple[str, str], list[Any]] = {}
    for tracked in track_returns(network, [period.key]):
        grouped.setdefault((tracked.member_id, tracked.return_type), []).append(tracked)
    rows = []
    for (member_id, return_type), parts in grouped.items():
        statuses = {p.status for p in parts}
        if statuses & {"accepted", "late"}:
            status = "late" if "late" in statuses else "accepted"
        else:
            status = "quarantined" if "quarantined" in statuses else "missing"
        received = [p.last_received_at for p in parts if p.last_received_at is not None]
        rows.append(
            SubmissionRow(
                member_id=member_id,
                member_name=parts[0].member_name,
                return_type=return_type,
                status=status,
                files=sum(p.files for p in parts),
                rows_read=sum(p.rows_read for p in parts),
                rows_loaded=sum(p.rows_loaded for p in parts),
                rows_rejected=sum(p.rows_rejected for p in parts),
                rows_set_aside=sum(p.rows_set_aside for p in parts),
                last_received_at=max(received) if received else None,
            )
        )
    return rows


def build_period_report(network: Network, period_key: str) -> PeriodReport:
    period = Period.parse(period_key)
    trend_periods = _trend_periods(period)
    threshold = network.cfg.suppression_threshold
    kpi_frame = queries.kpi_values(
        network.engine, [*(p.key for p in trend_periods), period.financial_year.key]
    )
    # Counts of people are weighed over every period and against every report issued before
    # (docs/disclosure-control.md), so a hidden figure stays hidden across reports.
    people = queries.kpi_families(network.engine, sorted(WEIGHED_KPIS))
    figures = Figures(
        kpi_frame,
        threshold,
        member_sectors={m.id: m.sector.value for m in network.cfg.members},
        issued=queries.issued_people_cells(network.engine),
        people=people[people["kpi"].isin(WEIGHED_KPIS)],
    )
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
    trend_codes = [*SPEND_CODES, *WORKFORCE_HEADLINE, SOCIAL_VALUE]
    trend = [
        TrendPoint(
            p.key,
            {c: figures.value(c, "network", network_id, p.key) for c in trend_codes},
            frozenset(c for c in trend_codes if figures.suppressed(c, "network", network_id, p.key)),
        )
        for p in trend_periods
    ]
    has_workforce = "workforce" in network.cfg.returns
    programme_kpis, recruitment_hidden = report_programmes.programme_kpis(network)
    programmes = report_programmes.programme_rows(network, programme_kpis, recruitment_hidden, period)
    recruitment = report_programmes.recruitment_blocks(
        network, programme_kpis, recruitment_hidden, period, {p.code: p.targets for p in programmes}
    )
    recruitment_quarters = report_programmes.recruitment_quarters(
        network, programme_kpis, recruitment_hidden, period
    )
    as_of = pd.to_datetime(subs["processed_at"], utc=True).max() if not subs.empty else None
    # The only time shown is the data's (when its latest file was processed), not when KPIs were
    # recomputed: the same data renders the same bytes, so a daily run does not re-issue an unchanged report.
    as_of_time = as_of.to_pydatetime() if as_of is not None else datetime(1970, 1, 1, tzinfo=UTC)
    return PeriodReport(
        network_id=network_id,
        network_name=network.cfg.name,
        period=key,
        period_label=period_label(period),
        as_of=as_of_time,
        headline=[figures.figure(c, network_id, key, previous) for c in SPEND_CODES],
        members=members,
        submissions=_submission_rows(network, period),
        trend=trend,
        source_submission_ids=sorted(accepted.submission_id.tolist()),
        workforce_headline=[figures.figure(c, network_id, key, previous) for c in WORKFORCE_HEADLINE]
        if has_workforce
        else [],
        workforce_members=workforce_members if has_workforce else [],
        suppression_threshold=threshold,
        measures=measure_rows(network, figures, key, previous),
        social_value_total_gbp=figures.value(SOCIAL_VALUE, "network", network_id, key),
        social_value_by_theme={
            theme: value
            for theme in sorted({m.theme for m in network.cfg.measures if m.proxy_gbp_per_unit is not None})
            if (value := figures.value(f"{SOCIAL_VALUE}:{theme}", "network", network_id, key)) is not None
        },
        targets=_target_rows(network, kpi_frame, key),
        target_rule=STATUS_RULE,
        sectors=_sector_rows(network, figures, key, has_workforce),
        programmes=programmes,
        sroi_assumptions=report_programmes.assumption_rows(network, programmes),
        recruitment=recruitment,
        recruitment_quarters=recruitment_quarters,
        population_source=report_programmes.population_source(network),
        spend_scope=spend_scope(network, figures, kpi_frame, key, previous, members),
        issued_cells=[
            *figures.issued_cells(key, network_id, [p.key for p in trend_periods]),
            *report_programmes.recruitment_issued_cells(
                programme_kpis,
                recruitment_hidden,
                period,
                network_id,
                programmes,
                recruitment,
                recruitment_quarters,
            ),
        ],
        since_start=_since_start(network, figures, period),
    )


def _since_start(network: Network, figures: Figures, period: Period) -> SinceStart | None:
    """Each panel KPI added up over every quarter from the network's first accepted one to the report's.

    Every value is a stored quarter's; a total about people is hidden when any quarter in it is (it is
    their sum, so it would give a hidden quarter back) or when it rests on 1 to N-1 people itself.
    """
    quarters = sorted(
        (q for q in map(Period.parse, queries.accepted_periods(network.engine)) if q.quarter is not None),
        key=lambda q: q.start,
    )
    last = period.quarters()[-1] if period.quarter is None else period
    quarters = [q for q in quarters if q.start <= last.start]
    if not quarters:
        return None
    first = quarters[0]
    catalogue = {measure_code(m.code) for m in network.cfg.measures}
    codes = [c for c in SINCE_START_CODES if not c.startswith("measure:") or c in catalogue]
    stored = queries.kpi_families(network.engine, codes)
    stored = stored[stored["kpi"].isin(codes) & (stored["scope"] == "network")]
    network_id, threshold = network.cfg.id, network.cfg.suppression_threshold
    keys = [q.key for q in _quarters_between(first, last)]
    rows = []
    for code in codes:
        values = stored[(stored["kpi"] == code) & stored["period"].isin(keys)]["value"].dropna()
        if values.empty:
            continue
        total = round(float(values.sum()), 2)
        hidden = False
        if lookup(code, network.cfg.measures).people_basis:
            counts = [figures.people_count(code, "network", network_id, k) for k in keys]
            people = sum(c for c in counts if c is not None)
            hidden = 0 < people < threshold or any(
                figures.people_hidden(code, "network", network_id, k) for k in keys
            )
        rows.append(SinceStartFigure(code, None if hidden else total, hidden))
    return SinceStart(first.key, last.key, tuple(rows)) if rows else None


def _quarters_between(first: Period, last: Period) -> list[Period]:
    quarters = [first]
    while quarters[-1].start < last.start:
        quarters.append(quarters[-1].next())
    return quarters


def _sector_rows(network: Network, figures: Figures, period: str, has_workforce: bool) -> list[SectorRow]:
    codes = [*SECTOR_SPEND_COLUMNS, *(SECTOR_WORKFORCE_COLUMNS if has_workforce else ())]
    counts = Counter(m.sector.value for m in network.cfg.members)
    return [
        SectorRow(
            sector=sector,
            members=count,
            values={c: figures.value(c, "sector", sector, period) for c in codes},
            suppressed=frozenset(c for c in codes if figures.suppressed(c, "sector", sector, period)),
        )
        for sector, count in sorted(counts.items())
    ]


def measure_rows(network: Network, figures: Figures, period: str, previous: str) -> list[MeasureRow]:
    """The measures table: each catalogue measure's network total (a level measure: members per level)."""
    rows = []
    for m in network.cfg.measures:
        if m.unit == LEVEL_UNIT:
            rows.append(_level_row(network, figures, m, period))
            continue
        value = figures.value(measure_code(m.code), "network", network.cfg.id, period)
        rows.append(
            MeasureRow(
                code=m.code,
                name=m.name,
                unit=m.unit,
                theme=m.theme,
                value=value,
                previous=figures.value(measure_code(m.code), "network", network.cfg.id, previous),
                proxy_gbp_per_unit=m.proxy_gbp_per_unit,
                proxy_source=m.proxy_source,
                social_value_gbp=round(value * m.proxy_gbp_per_unit, 2)
                if value is not None and m.proxy_gbp_per_unit is not None
                else None,
                members_reporting=figures.reporting(measure_code(m.code), period),
            )
        )
    return rows


def _level_row(network: Network, figures: Figures, measure: Measure, period: str) -> MeasureRow:
    """A level measure: how many members report each level (summing levels across members means
    nothing), no network total and no social value."""
    code = measure_code(measure.code)
    levels = Counter(
        round(value)
        for member in network.cfg.members
        if (value := figures.value(code, "member", member.id, period)) is not None
    )
    return MeasureRow(
        code=measure.code,
        name=measure.name,
        unit=measure.unit,
        theme=measure.theme,
        value=None,
        proxy_gbp_per_unit=None,
        proxy_source=measure.proxy_source,
        members_reporting=sum(levels.values()),
        levels=tuple(sorted(levels.items(), reverse=True)),
    )


def _target_rows(network: Network, kpi_frame: pd.DataFrame, period: str) -> list[TargetRow]:
    progress = target_progress(queries.targets(network.engine), kpi_frame, period)
    names = {m.id: m.name for m in network.cfg.members}
    rows = []
    for r in progress.itertuples(index=False):
        rows.append(
            TargetRow(
                kpi=r.kpi,
                scope=r.scope,
                member_name=names.get(r.scope_id) if r.scope == "member" else None,
                period=r.period,
                target=float(r.target),
                actual=None if pd.isna(r.actual) else float(r.actual),
                expected_to_date=float(r.expected_to_date),
                progress_pct=None if pd.isna(r.progress_pct) else float(r.progress_pct),
                status=r.status,
                direction=r.direction,
            )
        )
    return rows


def latest_reported_period(network: Network) -> str:
    """The latest quarter with an accepted return: what "the report" means when nobody names a period."""
    periods = queries.accepted_periods(network.engine)
    if not periods:
        raise ValueError("no accepted returns yet, so there is nothing to report; ingest some files first")
    return max(Period.parse(p) for p in periods).key


REPORT_FORMATS = ("html", "pdf", "xlsx")


def _to_outbox(network: Network, name: str, data: bytes) -> str:
    outbox = Path(network.cfg.outbox_dir)
    outbox.mkdir(parents=True, exist_ok=True)
    local = outbox / name
    temporary = local.with_name(local.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, local)
    return str(local)


def write_report_files(
    network: Network,
    report: PeriodReport,
    html: str,
    formats: Sequence[str] = REPORT_FORMATS,
    made: Mapping[str, bytes] | None = None,
) -> tuple[dict[str, str], dict[str, bytes]]:
    """Put the report in the bucket's ``reports/<period>/`` and in the outbox, in each form asked for.

    Returns ``{"<form>_bucket": uri, "<form>_outbox": path}`` and the files' bytes by form. The PDF is
    printed first, so a missing Chromium fails before any file of a half-made report set is written.
    ``made`` holds forms the caller has already made (the issue step prints the PDF itself, to go on
    without it when it cannot be printed).
    """
    from pipeline.adapters.pdf import html_to_pdf
    from reports.workbook import period_report_workbook

    unknown = set(formats) - set(REPORT_FORMATS)
    if unknown:
        raise ValueError(
            f"unknown report format(s) {sorted(unknown)}: choose from {', '.join(REPORT_FORMATS)}"
        )
    makers = {
        "pdf": lambda: html_to_pdf(html),
        "html": lambda: html.encode("utf-8"),
        "xlsx": lambda: period_report_workbook(report),
    }
    made = made or {}
    files = {
        kind: made[kind] if kind in made else makers[kind]() for kind in REPORT_FORMATS if kind in formats
    }
    stem = f"{network.cfg.id}-report-{report.period}"
    paths: dict[str, str] = {}
    for kind in REPORT_FORMATS:
        if kind not in files:
            continue
        name = f"{stem}.{kind}"
        written = network.bucket.write(f"reports/{report.period}/{name}", files[kind])
        paths[f"{kind}_bucket"] = network.bucket.uri(written)
        paths[f"{kind}_outbox"] = _to_outbox(network, name, files[kind])
    return paths, files


def write_report(
    network: Network, period_key: str | None = None, formats: Sequence[str] = REPORT_FORMATS
) -> dict[str, Any]:
    """Render the period report (HTML, PDF, Excel) into the bucket's ``reports/`` and the outbox folder.

    This only writes files; :func:`pipeline.steps.report_issue.issue_report` also e-mails and records them.
    """
    report = build_period_report(network, period_key or latest_reported_period(network))
    if not report.source_submission_ids:
        raise ValueError(f"no accepted returns for {report.period} yet, so there is nothing to report")
    paths, _ = write_report_files(network, report, render_period_report_html(report), formats)
    return {
        "period": report.period,
        "submissions": len(report.source_submission_ids),
        **paths,
    }

"""Living Wage and workforce: cards, opening sentences, the Living Wage chart, trends and the table by member."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reports.charts import Group, GroupedBars, Series, TrendChart, grouped_share_bars, trend_chart
from reports.disclosure import (
    hidden_legend,
    hidden_marker,
    public_workforce_member,
    suppression_title,
)
from reports.format import clean, format_count, format_gbp, format_pct, sector_label
from reports.model import (
    WORKFORCE_MEMBER_COLUMNS,
    KpiFigure,
    PeriodReport,
    TrendPoint,
    WorkforceMemberRow,
)
from reports.sections.members import MemberView, missing_text
from reports.views import (
    Heading,
    by_code,
    card,
    cell,
    figure_cell,
    grouped_headings,
    headings,
    hidden_cell,
    join_names,
    name_parts,
    plural,
    shown_value,
    sorted_by_name,
)
from transforms.kpi_registry import lookup

PAID_KPI = "lw_paid_pct"
# The Living Wage chart compares direct staff with contractors: (KPI, data-basis, CSS class).
LIVING_WAGE_SERIES = (
    ("lw_paid_pct_direct", "direct", "bar-direct"),
    ("lw_paid_pct_contractor", "contractor", "bar-contractor"),
)
# The workforce trends, each drawn only when the trend carries its code: (code, kind of chart).
WORKFORCE_TRENDS = (
    ("lw_uplifts", "columns"),
    ("lw_paid_pct_direct", "line"),
    ("lw_paid_pct_contractor", "line"),
)

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Living Wage",
        "The real Living Wage: an hourly rate set each year by the Living Wage Foundation from what "
        "people need to live on. It is higher than the legal minimum (the National Living Wage). In "
        "London the higher London Living Wage applies. Each person's basic hourly pay is compared with "
        "the rate that applied on the date of the staff snapshot.",
    ),
    (
        "Directly employed staff",
        "People on the member's own payroll.",
    ),
    (
        "Contractors",
        "People employed by another company who regularly work for the member under a contract, for "
        "example in cleaning, catering or security. The Living Wage Foundation counts them when it "
        "accredits a Living Wage employer.",
    ),
    (
        "Uplift",
        "A person whose pay went from below the Living Wage to at least the Living Wage between the "
        "member's previous staff snapshot and this one. Only people in both snapshots count. The yearly "
        "value is each person's rise in hourly pay times their weekly hours times 52, added up.",
    ),
)


def _series() -> list[Series]:
    """Each series labelled by the part of its KPI's short name ("Direct staff", "Contractors")."""
    return [
        Series(code, name_parts(lookup(code).short_name)[1], basis, css)
        for code, basis, css in LIVING_WAGE_SERIES
    ]


def living_wage_chart(
    figures: Mapping[str, KpiFigure], members: Sequence[WorkforceMemberRow], threshold: int
) -> GroupedBars:
    """Share paid the Living Wage, direct staff against contractors: the network, then each member
    that sent a workforce return."""
    series = _series()
    network = {
        s.key: (shown_value(figures, s.key), s.key in figures and figures[s.key].suppressed) for s in series
    }
    groups = [Group("", "All members (network)", True, network)]
    groups += [
        Group(
            m.member_id,
            m.name,
            False,
            {
                s.key: (None if s.key in m.suppressed else clean(getattr(m, s.key)), s.key in m.suppressed)
                for s in series
            },
        )
        for m in members
        if m.submitted
    ]
    paid = lookup(PAID_KPI).name
    compared = join_names([s.label.lower() for s in series])
    return grouped_share_bars(
        groups, series, hidden_marker(), f"{paid}: {compared}", "Share paid at least the Living Wage"
    )


def _member_view(
    member: WorkforceMemberRow, columns: Sequence[Heading], threshold: int, report: PeriodReport
) -> MemberView:
    return MemberView(
        member_id=member.member_id,
        name=member.name,
        sector=sector_label(member.sector),
        sector_code=member.sector,
        submitted=member.submitted,
        cells=tuple(
            hidden_cell(c.code, c.unit, threshold)
            if member.submitted and c.code in member.suppressed
            else cell(c.code, c.unit, getattr(member, c.code))
            for c in columns
        ),
        missing_text=missing_text(report, member.member_id, "workforce"),
    )


def _summary(figures: Mapping[str, KpiFigure]) -> list[str]:
    summary: list[str] = []
    paid = shown_value(figures, PAID_KPI)
    if paid is not None:
        summary.append(
            f"{format_pct(paid)} of staff (directly employed and contractors) were paid at least the "
            "Living Wage."
        )
    uplifts, uplift_value = shown_value(figures, "lw_uplifts"), shown_value(figures, "lw_uplift_annual_gbp")
    if uplifts is not None:
        people = "person" if uplifts == 1 else "people"
        sentence = f"{format_count(uplifts)} {people} had their pay raised to the Living Wage"
        if uplift_value is not None and uplifts > 0:
            sentence += f", worth {format_gbp(uplift_value)} a year to them"
        summary.append(sentence + ".")
    return summary


def _trends(report: PeriodReport, trend: Sequence[TrendPoint]) -> list[TrendChart]:
    hidden = hidden_marker()
    return [
        trend_chart(
            trend,
            report.period,
            code,
            lookup(code).unit,
            kind,
            lookup(code).name,
            None,
            hidden,
            f"wf-trend-{code}",
            "sent a workforce return",
        )
        for code, kind in WORKFORCE_TRENDS
        if any(code in point.values or code in point.suppressed for point in trend)
    ]


def workforce_context(
    report: PeriodReport,
    headline: Sequence[KpiFigure],
    trend: Sequence[TrendPoint],
    previous_hidden: frozenset[str],
) -> dict[str, object] | None:
    """The Living Wage and workforce section, or None when the report has no workforce data."""
    if not report.workforce_headline and not report.workforce_members:
        return None
    threshold = report.suppression_threshold
    figures = by_code(headline)
    members = sorted_by_name(public_workforce_member(m) for m in report.workforce_members)
    submitted = [m for m in members if m.submitted]
    columns = headings(WORKFORCE_MEMBER_COLUMNS)
    chart = living_wage_chart(figures, members, threshold)
    has_bars = any(bar.has_value or bar.suppressed for group in chart.groups for bar in group.bars)
    cards = [card(figure, None, threshold, figure.code in previous_hidden) for figure in headline]
    defined = {c.label for c in cards}  # a card's KPI is defined with it, in the registry's words
    return {
        "cards": cards,
        "summary": _summary(figures),
        "lw_chart": chart if has_bars else None,
        "trend_charts": _trends(report, trend),
        "columns": columns,
        "headings": grouped_headings(WORKFORCE_MEMBER_COLUMNS),
        "members": [_member_view(m, columns, threshold, report) for m in members],
        "network_cells": tuple(figure_cell(c, figures.get(c.code), threshold) for c in columns),
        "members_total": len(members),
        "members_submitted": len(submitted),
        "submitted_line": (
            f"{format_count(len(submitted))} of {plural(len(members), 'member', 'members')} "
            "sent a workforce return"
        ),
        "not_submitted_line": join_names([m.name for m in members if not m.submitted]),
        "threshold": threshold,
        "suppressed_title": suppression_title(threshold),
        "hidden_legend": hidden_legend(threshold),
        # The hidden-figure marker is explained by the page's legend, printed wherever it appears.
        "glossary": [term for term in GLOSSARY if term[0] not in defined],
    }

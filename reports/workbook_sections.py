"""The workbook's sheets for spend in and out of scope, size coverage, programmes (SROI) and recruitment.

Written like the page: every KPI named by the registry, values as numbers with their number formats,
and a recruitment figure the disclosure rules hide written as the text "[c]" with its value nowhere in
the file (it reaches the report's model without one). ``reports.workbook`` hands over how a sheet is
made and how a unit is formatted, so the two modules share one look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from reports.disclosure import hidden_marker
from reports.format import target_status_label
from reports.model import KpiFigure, PeriodReport
from transforms.kpi_registry import GROUP_LABELS, RATIO_UNIT, RECRUITMENT_DIMENSIONS, lookup
from transforms.programme_targets import to_date_code

SECTION_SHEETS = (
    "Spend scope",
    "Size coverage",
    "Spend scope by member",
    "Programmes",
    "SROI sensitivity",
    "Programme targets",
    "SROI assumptions",
    "Recruitment",
    "Recruitment by quarter",
)
RATIO_FORMAT = '"£"0.00'
SHARE_FORMAT = '0.0"%"'


class SheetWriter(Protocol):
    def row(self, values: Iterable[tuple[Any, str | None]]) -> None: ...


MakeSheet = Callable[[str, Sequence[str], Sequence[int]], SheetWriter]


def _fmt(unit: str, number_format: Callable[[str], str]) -> str:
    return RATIO_FORMAT if unit == RATIO_UNIT else number_format(unit)


def _figure_row(figure: KpiFigure, number_format: Callable[[str], str]) -> list[tuple[Any, str | None]]:
    kpi = lookup(figure.code)
    fmt = _fmt(kpi.unit, number_format)
    return [
        (kpi.code, None),
        (kpi.name, None),
        (figure.value, fmt),
        (figure.previous, fmt),
        (kpi.unit, None),
        (figure.year_to_date, fmt),
    ]


def _spend_scope(report: PeriodReport, make: MakeSheet, number_format: Callable[[str], str]) -> None:
    header = ["KPI code", "Figure", "Value", "Previous period", "Unit", "Financial year to date"]
    scope = make("Spend scope", header, (36, 60, 18, 18, 8, 22))
    coverage = make("Size coverage", header[:5], (40, 70, 14, 16, 8))
    codes = (
        "spend_total",
        "spend_in_scope",
        "spend_in_scope_pct",
        "spend_out_of_scope",
        "spend_size_known_pct",
    )
    members = make(
        "Spend scope by member",
        ["Member id", "Member", "Submitted", *(lookup(c).short_name for c in codes)],
        (24, 36, 10, *([18] * len(codes))),
    )
    if report.spend_scope is None:
        return
    for figure in report.spend_scope.figures:
        scope.row(_figure_row(figure, number_format))
    for figure in report.spend_scope.coverage:
        coverage.row(_figure_row(figure, number_format)[:5])
    for m in sorted(report.spend_scope.members, key=lambda r: (r.name.casefold(), r.member_id)):
        members.row(
            [
                (m.member_id, None),
                (m.name, None),
                ("Yes" if m.submitted else "No", None),
                *((m.values.get(c), number_format(lookup(c).unit)) for c in codes),
            ]
        )


def _programmes(report: PeriodReport, make: MakeSheet, number_format: Callable[[str], str]) -> None:
    gbp = number_format("GBP")
    sroi = make(
        "Programmes",
        [
            "Programme code",
            "Programme",
            "Lead member",
            "Partners",
            "Start",
            "End",
            "Basis",
            "Financial year",
            "Investment (GBP)",
            "Social value, present value (GBP)",
            "Value before adjustments (GBP)",
            f"{lookup('sroi_ratio').name} (GBP per GBP)",
            lookup("sroi_ratio_low").name,
            lookup("sroi_ratio_high").name,
        ],
        (22, 36, 36, 40, 12, 12, 26, 14, 16, 20, 20, 22, 22, 22),
    )
    sensitivity = make(
        "SROI sensitivity",
        ["Programme code", "Programme", "KPI code", "Scenario", "Social value per £1 since the start"],
        (22, 36, 44, 70, 20),
    )
    targets = make(
        "Programme targets",
        [
            "Programme code",
            "KPI code",
            "Target",
            "Unit",
            "Target value",
            "Path to date",
            "Actual",
            "Progress %",
            "Status",
        ],
        (22, 44, 60, 12, 14, 14, 14, 12, 12),
    )
    threshold = hidden_marker()
    for p in sorted(report.programmes, key=lambda r: (r.name, r.code)):
        for line in p.sroi:
            sroi.row(
                [
                    (p.code, None),
                    (p.name, None),
                    (p.lead_member, None),
                    ("; ".join(p.partners), None),
                    (p.start.isoformat(), None),
                    (p.end.isoformat(), None),
                    ("Since the programme began" if line.basis == "to_date" else "Financial year", None),
                    (line.period, None),
                    (line.investment_gbp, gbp),
                    (line.social_value_gbp, gbp),
                    (line.gross_value_gbp, gbp),
                    (line.ratio, RATIO_FORMAT),
                    (line.ratio_low, RATIO_FORMAT),
                    (line.ratio_high, RATIO_FORMAT),
                ]
            )
        for s in p.sensitivity:
            code = f"sroi_ratio_to_date:{s.scenario}"
            sensitivity.row(
                [
                    (p.code, None),
                    (p.name, None),
                    (code, None),
                    (lookup(code).name, None),
                    (s.ratio, RATIO_FORMAT),
                ]
            )
        for t in p.targets:
            kpi = lookup(to_date_code(t.kpi))
            fmt = _fmt(kpi.unit, number_format)
            targets.row(
                [
                    (p.code, None),
                    (kpi.code, None),
                    (kpi.name, None),
                    (kpi.unit, None),
                    (t.target, fmt),
                    (t.expected_to_date, fmt),
                    (threshold, None) if t.hidden else (t.actual, fmt),
                    (threshold, None) if t.hidden else (t.progress_pct, SHARE_FORMAT),
                    (None if t.hidden else target_status_label(t.status), None),
                ]
            )
    assumptions = make(
        "SROI assumptions",
        ["Measure code", "Measure", "Unit", "Setting", "Low", "Central", "High", "Source"],
        (30, 44, 10, 16, 10, 10, 10, 80),
    )
    for a in report.sroi_assumptions:
        fmt = gbp if a.assumption == "proxy_gbp" else "0" if a.assumption == "benefit_years" else "0.0%"
        assumptions.row(
            [
                (a.measure_code, None),
                (a.measure, None),
                (a.unit, None),
                (a.assumption, None),
                (a.low, fmt),
                (a.central, fmt),
                (a.high, fmt),
                (a.source, None),
            ]
        )


def _value(value: float | None, hidden: bool, fmt: str, threshold: str) -> tuple[Any, str | None]:
    return (threshold, None) if hidden else (value, fmt)


def _recruitment(report: PeriodReport, make: MakeSheet, number_format: Callable[[str], str]) -> None:
    threshold = hidden_marker()
    sheet = make(
        "Recruitment",
        [
            "Scope",
            "Scope id",
            "Name",
            "To the end of",
            "KPI code",
            "Figure",
            "Characteristic",
            "Group",
            "Value",
            "Unit",
            "Area population %",
        ],
        (12, 24, 36, 14, 52, 70, 22, 44, 12, 8, 18),
    )
    for block in report.recruitment:
        where = [(block.scope, None), (block.scope_id, None), (block.name, None), (block.as_at, None)]
        for figure in block.figures:
            kpi = lookup(figure.code)
            sheet.row(
                [
                    *where,
                    (kpi.code, None),
                    (kpi.name, None),
                    (None, None),
                    (None, None),
                    _value(figure.value, figure.suppressed, number_format(kpi.unit), threshold),
                    (kpi.unit, None),
                    (None, None),
                ]
            )
        for g in block.groups:
            names = [(RECRUITMENT_DIMENSIONS[g.dimension], None), (GROUP_LABELS.get(g.group, g.group), None)]
            for code, value, hidden, unit, population in (
                (f"recruit_offers_to_date:{g.dimension}:{g.group}", g.offers, g.offers_hidden, "count", None),
                (
                    f"recruit_offers_pct_to_date:{g.dimension}:{g.group}",
                    g.share_pct,
                    g.share_hidden,
                    "%",
                    g.population_pct,
                ),
            ):
                sheet.row(
                    [
                        *where,
                        (code, None),
                        (lookup(code).name, None),
                        *names,
                        _value(value, hidden, number_format(unit), threshold),
                        (unit, None),
                        (population, SHARE_FORMAT),
                    ]
                )
    quarters = make(
        "Recruitment by quarter",
        ["Period", "Member id", "Member", lookup("recruit_offers").name, lookup("recruit_starts").name],
        (14, 24, 36, 14, 22),
    )
    count = number_format("count")
    for q in report.recruitment_quarters:
        quarters.row(
            [
                (q.period, None),
                (q.member_id or None, None),
                (q.name, None),
                _value(q.offers, q.offers_hidden, count, threshold),
                _value(q.starts, q.starts_hidden, count, threshold),
            ]
        )


def write_section_sheets(
    report: PeriodReport, make_sheet: MakeSheet, number_format: Callable[[str], str]
) -> None:
    """Add the sheets of ``SECTION_SHEETS``, in that order (each with its header even when empty)."""
    _spend_scope(report, make_sheet, number_format)
    _programmes(report, make_sheet, number_format)
    _recruitment(report, make_sheet, number_format)

"""The period report as an Excel workbook: one sheet per table, values as numbers with number formats.

Pure (``PeriodReport`` -> bytes) and deterministic: the same report gives the same bytes (fixed
document properties, fixed timestamps inside the zip). A figure derived from too few people is the
text "[c]" (the marker of every hidden figure) and its value is written nowhere in the file. KPIs are named
as on the page, by the registry: a column by its short name, a figure and its definition by its name.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from reports.disclosure import hidden_legend, hidden_marker
from reports.format import return_type_label, sector_label, target_status_label
from reports.model import (
    MEMBER_COLUMNS,
    PLEDGE_KPI,
    SECTOR_SPEND_COLUMNS,
    SECTOR_WORKFORCE_COLUMNS,
    WORKFORCE_MEMBER_COLUMNS,
    KpiFigure,
    PeriodReport,
)
from reports.sections.measures import levels_text
from reports.views import name_and_unit
from reports.workbook_sections import SECTION_SHEETS, write_section_sheets
from transforms.kpi_registry import SOCIAL_VALUE, lookup, measure_code

FORMATS = {
    "GBP": '"£"#,##0.00',
    "%": '0.0"%"',
    "count": "#,##0",
}
NUMBER = "#,##0.##"
DATETIME = "yyyy-mm-dd hh:mm"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SHEETS = (
    "Headline",
    "Since start",
    "Members",
    "Sectors",
    "Workforce members",
    "Submissions",
    "Targets",
    "Measures",
    *SECTION_SHEETS,
    "About",
)


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _number_format(unit: str) -> str:
    return FORMATS.get(unit, NUMBER)


class _Sheet:
    def __init__(self, workbook: Any, title: str, header: Sequence[str], widths: Sequence[int] = ()) -> None:
        from openpyxl.styles import Font

        self.ws = workbook.create_sheet(title)
        self.ws.append(list(header))
        for cell in self.ws[1]:
            cell.font = Font(bold=True)
        self.ws.freeze_panes = "A2"
        for index, width in enumerate(widths or [18] * len(header), start=1):
            self.ws.column_dimensions[self.ws.cell(1, index).column_letter].width = width

    def row(self, values: Iterable[tuple[Any, str | None]]) -> None:
        """Append one row of (value, number format or None)."""
        values = list(values)
        self.ws.append([v for v, _ in values])
        row = self.ws.max_row
        for index, (value, fmt) in enumerate(values, start=1):
            if fmt and isinstance(value, int | float | datetime):
                self.ws.cell(row, index).number_format = fmt
            elif isinstance(value, str) and value.startswith("="):
                # openpyxl takes text starting with '=' for a formula: names are text, never run
                self.ws.cell(row, index).data_type = "s"


def _format_of(code: str) -> str:
    return _number_format(lookup(code).unit)


@dataclasses.dataclass(frozen=True)
class _CatalogueMeasure:
    code: str
    name: str
    unit: str


def _catalogue(report: PeriodReport) -> list[_CatalogueMeasure]:
    """The network's measure catalogue as the report carries it, so ``lookup`` names measures."""
    return [_CatalogueMeasure(m.code, m.name, m.unit) for m in report.measures]


def _headings(codes: Iterable[str]) -> list[str]:
    return [lookup(c).short_name for c in codes]


def _figure_cells(report: PeriodReport, figure: KpiFigure) -> list[tuple[Any, str | None]]:
    fmt = _format_of(figure.code)
    to_date_hidden = hidden_marker()
    if figure.suppressed:
        hidden_to_date = figure.year_to_date is not None or figure.year_to_date_suppressed
        return [
            (hidden_marker(), None),
            (None, None),
            (to_date_hidden if hidden_to_date else None, None),
        ]
    if figure.year_to_date_suppressed:
        return [(figure.value, fmt), (figure.previous, fmt), (to_date_hidden, None)]
    return [(figure.value, fmt), (figure.previous, fmt), (figure.year_to_date, fmt)]


def period_report_workbook(report: PeriodReport) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)

    headline = _Sheet(
        wb,
        "Headline",
        ["KPI code", "Figure", "Value", "Previous period", "Unit", "Financial year to date"],
        (30, 60, 18, 18, 8, 22),
    )
    for figure in [*report.headline, *report.workforce_headline]:
        value, previous, to_date = _figure_cells(report, figure)
        kpi = lookup(figure.code)
        headline.row([(kpi.code, None), (kpi.name, None), value, previous, (kpi.unit, None), to_date])

    since = _Sheet(
        wb, "Since start", ["KPI code", "Figure", "From", "To", "Value", "Unit"], (30, 60, 14, 14, 18, 8)
    )
    panel = report.since_start
    for item in panel.figures if panel else ():
        kpi = lookup(item.code, _catalogue(report))
        value = (
            (hidden_marker(), None)
            if item.suppressed or item.value is None
            else (item.value, _number_format(kpi.unit))
        )
        since.row(
            [(kpi.code, None), (kpi.name, None), (panel.first_period, None), (panel.last_period, None), value,
             (kpi.unit, None)]
        )  # fmt: skip

    members = _Sheet(
        wb,
        "Members",
        ["Member id", "Member", "Sector", "Submitted", *_headings(MEMBER_COLUMNS)],
        (24, 36, 22, 10, *([18] * len(MEMBER_COLUMNS))),
    )
    for m in sorted(report.members, key=lambda r: (r.name.casefold(), r.member_id)):
        members.row(
            [
                (m.member_id, None),
                (m.name, None),
                (sector_label(m.sector), None),
                ("Yes" if m.submitted else "No", None),
                *((getattr(m, c), _format_of(c)) for c in MEMBER_COLUMNS),
            ]
        )

    sector_codes = [
        c
        for c in (*SECTOR_SPEND_COLUMNS, *SECTOR_WORKFORCE_COLUMNS)
        if any(c in row.values for row in report.sectors)
    ]
    sectors = _Sheet(
        wb,
        "Sectors",
        ["Sector code", "Sector", "Members", *_headings(sector_codes)],
        (22, 28, 10, *([18] * len(sector_codes))),
    )
    for s in sorted(report.sectors, key=lambda r: sector_label(r.sector)):
        sectors.row(
            [
                (s.sector, None),
                (sector_label(s.sector), None),
                (s.members, "#,##0"),
                *(
                    (hidden_marker(), None) if c in s.suppressed else (s.values.get(c), _format_of(c))
                    for c in sector_codes
                ),
            ]
        )

    workforce = _Sheet(
        wb,
        "Workforce members",
        ["Member id", "Member", "Sector", "Submitted", *_headings(WORKFORCE_MEMBER_COLUMNS)],
        (24, 36, 22, 10, *([18] * len(WORKFORCE_MEMBER_COLUMNS))),
    )
    for w in sorted(report.workforce_members, key=lambda r: (r.name.casefold(), r.member_id)):
        workforce.row(
            [
                (w.member_id, None),
                (w.name, None),
                (sector_label(w.sector), None),
                ("Yes" if w.submitted else "No", None),
                *(
                    (hidden_marker(), None) if c in w.suppressed else (getattr(w, c), _format_of(c))
                    for c in WORKFORCE_MEMBER_COLUMNS
                ),
            ]
        )

    subs = _Sheet(
        wb,
        "Submissions",
        [
            "Member id",
            "Member",
            "Return",
            "Status",
            "Files",
            "Rows read",
            "Rows loaded",
            "Rows rejected",
            "Totals rows set aside",
            "Last received (UTC)",
        ],
        (24, 36, 24, 12, 8, 12, 12, 14, 14, 20),
    )
    for s in sorted(report.submissions, key=lambda r: (r.member_name.casefold(), r.member_id, r.return_type)):
        subs.row(
            [
                (s.member_id, None),
                (s.member_name, None),
                (return_type_label(s.return_type), None),
                (s.status, None),
                (s.files, "#,##0"),
                (s.rows_read, "#,##0"),
                (s.rows_loaded, "#,##0"),
                (s.rows_rejected, "#,##0"),
                (s.rows_set_aside, "#,##0"),
                (_naive_utc(s.last_received_at), DATETIME),
            ]
        )

    targets = _Sheet(
        wb,
        "Targets",
        [
            "KPI code",
            "Target",
            "Unit",
            "Scope",
            "Member",
            "Period",
            "Target value",
            "Actual",
            "Expected to date",
            "Progress %",
            "Status",
            "Better when",
        ],
        (30, 50, 8, 10, 30, 12, 14, 14, 16, 12, 12, 12),
    )
    for t in report.targets:
        label, unit = name_and_unit(t.kpi, report.measures)
        fmt = _number_format(unit)
        targets.row(
            [
                (t.kpi, None),
                (label, None),
                (unit, None),
                (t.scope, None),
                (t.member_name, None),
                (t.period, None),
                (t.target, fmt),
                (t.actual, fmt),
                (t.expected_to_date, fmt),
                (t.progress_pct, '0.0"%"'),
                (target_status_label(t.status), None),
                (t.direction, None),
            ]
        )

    measures = _Sheet(
        wb,
        "Measures",
        [
            "Measure code",
            "Measure",
            "Theme",
            "Unit",
            "Value",
            "Previous period",
            "Proxy (GBP per unit)",
            "Proxy source",
            "Social value (GBP)",
            "Members reporting",
        ],
        (26, 50, 20, 10, 14, 16, 18, 40, 18, 16),
    )
    for ms in report.measures:
        measure = lookup(measure_code(ms.code), report.measures)
        if ms.levels:
            # A level never adds up: as in the HTML, how many members are at each level, as text.
            measures.row(
                [
                    (ms.code, None),
                    (measure.short_name, None),
                    (ms.theme, None),
                    (measure.unit, None),
                    (levels_text(ms.levels), None),
                    (None, None),
                    (None, None),
                    (ms.proxy_source, None),
                    (None, None),
                    (ms.members_reporting, "#,##0"),
                ]
            )
            continue
        fmt = _number_format(measure.unit)
        measures.row(
            [
                (ms.code, None),
                (measure.short_name, None),
                (ms.theme, None),
                (measure.unit, None),
                (ms.value, fmt),
                (ms.previous, fmt),
                (ms.proxy_gbp_per_unit, FORMATS["GBP"]),
                (ms.proxy_source, None),
                (ms.social_value_gbp, FORMATS["GBP"]),
                (ms.members_reporting, "#,##0"),
            ]
        )

    write_section_sheets(
        report, lambda title, header, widths: _Sheet(wb, title, header, widths), _number_format
    )

    about = _Sheet(wb, "About", ["Item", "Value", "Definition"], (30, 60, 90))
    for item, value, fmt in (
        ("Network", report.network_name, None),
        ("Network id", report.network_id, None),
        ("Period", report.period, None),
        ("Period covered", report.period_label, None),
        ("Data as of (UTC)", _naive_utc(report.as_of), DATETIME),
        ("Small numbers", hidden_legend(report.suppression_threshold), None),
        (f"Pledge: {lookup(PLEDGE_KPI).short_name} (%)", report.pledge_pct, '0.0"%"'),
        (f"{lookup(SOCIAL_VALUE).name} (GBP)", report.social_value_total_gbp, FORMATS["GBP"]),
    ):
        about.row([(item, None), (value, fmt), (None, None)])
    if report.target_rule:
        about.row([("How a target's status is set", None), (None, None), (report.target_rule, None)])
    about.row([(None, None)])
    about.row([("Definitions", None)])
    for figure in [*report.headline, *report.workforce_headline]:
        kpi = lookup(figure.code)
        about.row([(kpi.code, None), (kpi.name, None), (kpi.definition, None)])
    about.row([(None, None)])
    about.row([("Source submissions", None), (len(report.source_submission_ids), "#,##0")])
    for submission_id in sorted(report.source_submission_ids):
        about.row([("Submission id", None), (submission_id, None)])

    # Fixed document properties, so the same report gives the same bytes.
    stamp = _naive_utc(report.as_of)
    wb.properties.creator = "anchor-pipeline"
    wb.properties.lastModifiedBy = "anchor-pipeline"
    wb.properties.title = f"{report.network_name}: {report.period_label}"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), stamp)


def _fixed_zip_times(data: bytes, stamp: datetime | None) -> bytes:
    """Rewrite the zip with fixed entry times (openpyxl stamps each entry with the current time)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml" and stamp is not None:
                content = _fix_core_times(content, stamp)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def _fix_core_times(content: bytes, stamp: datetime) -> bytes:
    """openpyxl sets ``dcterms:modified`` to the save time; put the report's time back."""
    import re

    text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + text + rb"\g<2>", content
    )

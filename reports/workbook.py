"""The period report as an Excel workbook: one sheet per table, values as numbers with number formats.

Pure (``PeriodReport`` -> bytes) and deterministic: the same report gives the same bytes (fixed
document properties, fixed timestamps inside the zip). A hidden figure (``reports.disclosure``) is the
text "[c]" in its otherwise numeric column and its value is written nowhere in the file. KPIs are named
as on the page, by the registry: a column by its short name, a figure and its definition by its name.

Laid out as public bodies publish spreadsheets (the GSS guidance "Releasing statistics in
spreadsheets", reviewed in ``docs/report-accessibility.md``): a cover sheet first (title, period,
source, the legend of "[c]", contents); then each sheet is one Excel table starting in A1, with one
header row of names, no blank rows or merged cells, and nothing said by colour.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from reports.disclosure import HIDDEN_MARKER, hidden_legend, hidden_marker
from reports.format import format_datetime, return_type_label, sector_label, target_status_label
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
COVER = "Cover"
SHEETS = (
    COVER,
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
    "Definitions",
    "Source submissions",
)
# What each sheet holds, for the cover sheet's contents.
CONTENTS = {
    "Headline": "the network's headline figures for the period, with the previous period and the year to date",
    "Since start": "figures added up since the network's first reported quarter",
    "Members": "spend figures by member",
    "Sectors": "spend and workforce figures by sector",
    "Workforce members": "Living Wage and workforce figures by member",
    "Submissions": "which returns each member sent, and how many rows were loaded",
    "Targets": "progress against the network's targets",
    "Measures": "the network's measures and their social value",
    "Spend scope": "spend in and out of scope",
    "Size coverage": "how much spend is with suppliers of known size",
    "Spend scope by member": "spend in and out of scope by member",
    "Programmes": "programmes and their social return on investment",
    "SROI sensitivity": "how the return on investment changes with its assumptions",
    "Programme targets": "programmes' progress against their targets",
    "SROI assumptions": "the assumptions behind each programme's social value",
    "Recruitment": "recruitment programmes' offers and starts, and who they went to",
    "Recruitment by quarter": "recruitment offers and starts by quarter and member",
    "About": "the network, the period and the rules the figures follow",
    "Definitions": "what each headline figure means",
    "Source submissions": "the members' returns the figures are built from",
}


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
        from openpyxl.styles import Alignment

        values = list(values)
        self.ws.append([v for v, _ in values])
        row = self.ws.max_row
        for index, (value, fmt) in enumerate(values, start=1):
            if value == HIDDEN_MARKER:
                # text in a numeric column: aligned with the numbers it stands among
                self.ws.cell(row, index).alignment = Alignment(horizontal="right")
            elif fmt and isinstance(value, int | float | datetime):
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
            "Rows set aside (totals, repeated headings, notes)",
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
        ("Source submissions", len(report.source_submission_ids), "#,##0"),
    ):
        about.row([(item, None), (value, fmt), (None, None)])
    if report.target_rule:
        about.row([("How a target's status is set", None), (None, None), (report.target_rule, None)])

    definitions = _Sheet(wb, "Definitions", ["KPI code", "Figure", "Definition"], (30, 60, 90))
    for figure in [*report.headline, *report.workforce_headline]:
        kpi = lookup(figure.code)
        definitions.row([(kpi.code, None), (kpi.name, None), (kpi.definition, None)])

    sources = _Sheet(wb, "Source submissions", ["Submission id"], (60,))
    for submission_id in sorted(report.source_submission_ids):
        sources.row([(submission_id, None)])

    _cover(wb.create_sheet(COVER, 0), report)
    for sheet in wb.worksheets[1:]:
        _as_table(sheet)

    # Fixed document properties, so the same report gives the same bytes.
    stamp = _naive_utc(report.as_of)
    wb.properties.creator = "anchor-pipeline"
    wb.properties.lastModifiedBy = "anchor-pipeline"
    wb.properties.title = _title(report)
    wb.properties.subject = f"Anchor network report for {report.period_label}: spend, workforce and measures"
    wb.properties.language = "en-GB"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), stamp)


def _title(report: PeriodReport) -> str:
    return f"{report.network_name}: anchor network report, {report.period_label}"


def _cover(ws: Any, report: PeriodReport) -> None:
    """The cover sheet: what the workbook is, for when, from what, what "[c]" means and what each sheet
    holds, one line per row in column A (text, so a screen reader reads it in order), no table."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    as_of = format_datetime(report.as_of) if report.as_of else "not known"
    lines: list[tuple[str, Font | None, str | None]] = [
        (_title(report), Font(bold=True, size=14), None),
        (f"Period covered: {report.period_label} ({report.period})", None, None),
        (f"Data as of: {as_of}", None, None),
        (
            f"Source: the returns the members of {report.network_name} sent for the period "
            f"({len(report.source_submission_ids)} accepted; listed on the sheet Source submissions).",
            None,
            None,
        ),
        (f"Symbols: {hidden_legend(report.suppression_threshold)}", None, None),
        ("An empty cell has no data for the period.", None, None),
        ("Contents", Font(bold=True, size=12), None),
        *((f"{name}: {CONTENTS[name]}", None, f"'{name}'!A1") for name in SHEETS[1:]),
    ]
    for index, (text, font, link) in enumerate(lines, start=1):
        cell = ws.cell(index, 1, text)
        if font is not None:
            cell.font = font
        if link is not None:  # a link to the sheet, within the workbook
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link, display=text)
            cell.style = "Hyperlink"
    ws.column_dimensions["A"].width = 120


def _as_table(ws: Any) -> None:
    """Make the sheet's cells from A1 one Excel table named after the sheet (a table has a body, so an
    empty one keeps one empty row under its header)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    last = get_column_letter(ws.max_column)
    table = Table(displayName=_table_name(ws.title), ref=f"A1:{last}{max(ws.max_row, 2)}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
    ws.add_table(table)


def _table_name(title: str) -> str:
    """An Excel table name from a sheet name: letters, digits and underscores."""
    return re.sub(r"\W+", "_", title).strip("_")


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
    text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + text + rb"\g<2>", content
    )

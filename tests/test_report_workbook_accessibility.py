"""The workbook laid out as public bodies publish spreadsheets (GSS "Releasing statistics in
spreadsheets"), one test per rule, each reading the workbook back with openpyxl: a cover sheet with
title, period, source, legend and contents; every other sheet one Excel table from A1 with one header row
of names and no merged cells; no blank rows inside a table; meaningful sheet names; document properties;
nothing said by colour; the marker "[c]" a text cell in an otherwise numeric column.

``docs/report-accessibility.md`` says what was reviewed.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from reports.model import PeriodReport
from reports.workbook import COVER, SHEETS, period_report_workbook
from tests.report_samples import make_measures_report, make_report

MARKER = "[c]"


def _report_with_hidden_figures() -> PeriodReport:
    """Every section's sheet with rows, Camden's contractors hidden (a complement of 312) beside King's
    College's small figures, and a hidden year to date."""
    report = make_measures_report()
    camden, *others = report.workforce_members
    camden = dataclasses.replace(camden, suppressed=frozenset({"staff_contractor"}))
    headline = [
        dataclasses.replace(f, year_to_date=None, year_to_date_suppressed=True)
        if f.code == "apprentice_starts"
        else f
        for f in report.workforce_headline
    ]
    return dataclasses.replace(report, workforce_members=(camden, *others), workforce_headline=headline)


@pytest.fixture(scope="module", params=["every section, figures hidden", "spend only, empty sheets"])
def book(request: pytest.FixtureRequest) -> Workbook:
    report = _report_with_hidden_figures() if request.param.startswith("every") else make_report()
    return load_workbook(io.BytesIO(period_report_workbook(report)))


@pytest.fixture(scope="module")
def hidden_book() -> Workbook:
    return load_workbook(io.BytesIO(period_report_workbook(_report_with_hidden_figures())))


def _tables(book: Workbook) -> list[tuple[Any, Any]]:
    """(sheet, table) for every sheet but the cover, which must hold exactly one table."""
    found = []
    for ws in book.worksheets[1:]:
        assert len(ws.tables) == 1, (ws.title, list(ws.tables))
        found.append((ws, next(iter(ws.tables.values()))))
    return found


def _body(ws: Any, table: Any) -> list[tuple[Any, ...]]:
    return list(ws[table.ref])[1:]


def test_the_first_sheet_is_a_cover_with_title_period_source_legend_and_contents(book: Workbook) -> None:
    cover = book.worksheets[0]
    assert cover.title == COVER and not cover.tables
    lines = [row[0].value for row in cover.iter_rows() if row[0].value]
    title = book.properties.title
    assert lines[0] == title and cover["A1"].font.bold
    assert any(line.startswith("Period covered: ") for line in lines)
    assert any(line.startswith("Source: ") for line in lines)
    assert (
        "Symbols: [c] not shown to protect privacy: fewer than 5 people, or a figure from which such a "
        "count could be worked out. Totals include them."
    ) in lines
    links = {row[0].hyperlink.location for row in cover.iter_rows() if row[0].hyperlink}
    assert links == {f"'{name}'!A1" for name in SHEETS[1:]}


def test_every_other_sheet_is_one_excel_table_from_a1_over_all_its_cells(book: Workbook) -> None:
    for ws, table in _tables(book):
        first, last = table.ref.split(":")
        assert first == "A1", ws.title
        assert ws[last].column == ws.max_column and ws[last].row == max(ws.max_row, 2), ws.title
        assert not ws.merged_cells.ranges, ws.title
    names = [table.displayName for _, table in _tables(book)]
    assert len(set(names)) == len(names)


def test_each_table_has_one_header_row_of_distinct_names(book: Workbook) -> None:
    for ws, table in _tables(book):
        header = [c.value for c in ws[table.ref][0]]
        assert all(isinstance(h, str) and h.strip() for h in header), (ws.title, header)
        assert len(set(header)) == len(header), (ws.title, header)
        assert [c.name for c in table.tableColumns] == header, ws.title
        assert ws[2][0].font.bold is not True  # the header is the only row styled as one


def test_no_blank_row_inside_a_table_but_the_one_body_row_of_an_empty_table(book: Workbook) -> None:
    empty = 0
    for ws, table in _tables(book):
        body = _body(ws, table)
        blank = [row[0].row for row in body if all(c.value is None for c in row)]
        if blank == [2] and len(body) == 1:
            empty += 1  # a table always has a body: an empty one keeps one empty row
            continue
        assert not blank, (ws.title, blank)
    assert empty < len(SHEETS) - 1  # some tables have rows


def test_sheet_names_are_the_tables_names(book: Workbook) -> None:
    assert book.sheetnames == list(SHEETS)
    for name in book.sheetnames:
        assert len(name) <= 31 and not name.lower().startswith("sheet"), name


def test_document_properties_title_subject_and_language(book: Workbook) -> None:
    properties = book.properties
    assert properties.title and "Quarter" in properties.title
    assert properties.subject and properties.language == "en-GB"


def test_nothing_is_said_by_colour_no_cell_is_filled(book: Workbook) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.fill.fill_type is None, (ws.title, cell.coordinate)


def test_the_marker_is_text_in_a_column_otherwise_of_numbers(hidden_book: Workbook) -> None:
    columns_with_marker = 0
    for ws, table in _tables(hidden_book):
        body = _body(ws, table)
        for index in range(ws.max_column):
            cells = [row[index] for row in body]
            markers = [c for c in cells if c.value == MARKER]
            if not markers:
                continue
            columns_with_marker += 1
            assert all(c.data_type == "s" for c in markers)
            others = [c.value for c in cells if c.value not in (MARKER, None)]
            assert all(isinstance(v, int | float) for v in others), (ws.title, index, others)
    # the workforce members' columns, the headline's values and year to date
    assert columns_with_marker >= 4, columns_with_marker
    texts = [str(c.value) for ws in hidden_book.worksheets for row in ws.iter_rows() for c in row]
    assert not [t for t in texts if "<5" in t]

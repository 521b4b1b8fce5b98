"""The streaming XLSX reader: the same cells openpyxl reads, within the limits, trusting nothing declared."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook, load_workbook

from tests.hostile_files import WHOLE_SHEET, raw_xlsx
from transforms.limits import ReadLimits
from transforms.xlsx_stream import WorkbookRefused, cell_text, read_workbook

SMALL = ReadLimits(max_rows=100, max_columns=10, max_field_chars=50, max_sheet_cells=400)


def _openpyxl_records(data: bytes) -> list[tuple[int, list[str]]]:
    """What openpyxl's read-only, values-only read gives, as text, without blank rows or trailing blanks."""
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    return _trimmed(
        [(n, [cell_text(v) for v in row]) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    )


def _trimmed(records: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    result = []
    for line, cells in records:
        cells = list(cells)
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            result.append((line, cells))
    return result


VALUES = [None, "text", "  spaced ", "=not a formula", 12, -3.5, 1e20, 0.1 + 0.2, datetime(2025, 8, 3),
          datetime(2025, 8, 3, 9, 30), date(2024, 2, 29), time(9, 30), True, False, "Café £1,234"]  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_cells_are_read_as_openpyxl_reads_them(seed: int) -> None:
    rng = random.Random(seed)
    book = Workbook()
    sheet = book.active
    for _ in range(rng.randint(1, 40)):
        sheet.append([rng.choice(VALUES) for _ in range(rng.randint(0, 9))])
    for _ in range(rng.randint(0, 4)):
        sheet.cell(rng.randint(1, 30), rng.randint(1, 9)).number_format = rng.choice(
            ["dd/mm/yyyy", "0.00", "h:mm", "[h]:mm"]
        )
        sheet.cell(rng.randint(1, 30), rng.randint(1, 9)).value = rng.choice([45000, 45000.5, 0.25, 3])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    assert _trimmed(read_workbook(data, "spend", ReadLimits()).records) == _openpyxl_records(data)


def test_the_1904_date_system_and_shared_strings_with_rich_text() -> None:
    book = Workbook()
    book.epoch = datetime(1904, 1, 1)  # a Mac workbook
    sheet = book.active
    sheet.append(["Payment Date", "Supplier Name"])
    sheet.append([datetime(2025, 8, 3), "Acme"])
    buffer = io.BytesIO()
    book.save(buffer)
    records = read_workbook(buffer.getvalue(), "spend", ReadLimits()).records
    assert records[1][1] == ["2025-08-03", "Acme"]

    # Shared strings: runs are joined, phonetic hints left out, as openpyxl does.
    data = _with_shared_strings(
        raw_xlsx([["Supplier Name"], ["placeholder"]]),
        b"<si><r><t>Bright</t></r><r><rPr><b/></rPr><t>water Ltd</t></r><rPh sb='0' eb='1'><t>X</t></rPh></si>",
    )
    assert read_workbook(data, "spend", ReadLimits()).records[1][1] == ["Brightwater Ltd"]
    assert _openpyxl_records(data)[1][1] == ["Brightwater Ltd"]


def _with_shared_strings(data: bytes, string: bytes) -> bytes:
    """The workbook with its A2 cell pointing at a shared string table holding ``string``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b'<c r="A2" t="inlineStr"><is><t>placeholder</t></is></c>',
                    b'<c r="A2" t="s"><v>0</v></c>',
                )
            elif item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            book.writestr(item, content)
        book.writestr(
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + string + b"</sst>",
        )
    return out.getvalue()


def test_a_declared_dimension_is_never_trusted() -> None:
    data = raw_xlsx([["Supplier Name", "Amount"], ["A Ltd", 1], ["B Ltd", 2]], dimension=WHOLE_SHEET)
    sheet = read_workbook(data, "spend", SMALL)
    assert sheet.records == [(1, ["Supplier Name", "Amount"]), (2, ["A Ltd", "1"]), (3, ["B Ltd", "2"])]


def test_a_merged_range_is_clamped_to_the_cells_the_sheet_has() -> None:
    data = raw_xlsx([["Supplier Name", "Amount"], ["A Ltd", 1]], merged=WHOLE_SHEET)
    assert read_workbook(data, "spend", SMALL).merged == [(1, 1, 2, 2)]


def test_hidden_sheets_are_never_read() -> None:
    good = [["Supplier Name", "Amount"], ["Visible Ltd", 5]]
    data = raw_xlsx(good, sheets=(("spend", "hidden"), ("Payments", "visible")), data_sheet=1)
    sheet = read_workbook(data, "spend", SMALL)  # even when the hidden one is named after the return
    assert (sheet.sheet, sheet.records[1][1]) == ("Payments", ["Visible Ltd", "5"])

    only_hidden = raw_xlsx(good, sheets=(("Data", "veryHidden"), ("Empty", "visible")), other_rows=[])
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(only_hidden, "spend", SMALL)
    assert "We never read hidden sheets" in refused.value.reason and "'Data'" in refused.value.reason
    assert "Unhide" in refused.value.how_to_fix


@pytest.mark.parametrize(
    ("rows", "limits", "phrase"),
    [
        (
            [["Supplier Name", "Amount"], *[[f"S{i}", i] for i in range(300)]],
            ReadLimits(max_rows=1000, max_sheet_cells=400),
            "more than 400 cells with values",
        ),
        ([["Supplier Name", "Amount"], *[[f"S{i}"] for i in range(160)]], SMALL, "more than 100 rows"),
        ([list("abcdefghijkl")], SMALL, "Line 1 has values in more than the 10 columns"),
    ],
)
def test_a_sheet_past_the_limits_is_refused_with_the_limit_named(
    rows: list[list[object]], limits: ReadLimits, phrase: str
) -> None:
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(raw_xlsx(rows), "spend", limits)
    assert phrase in refused.value.reason


def test_a_sparse_sheet_is_refused_by_the_cells_it_spans() -> None:
    rows: list[list[object]] = [["Supplier Name", *([None] * 8), "Far"], *[[f"S{i}"] for i in range(60)]]
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(raw_xlsx(rows), "spend", SMALL)
    assert "spans 61 rows by 10 columns (J)" in refused.value.reason


def test_padding_and_entities_are_refused_without_reading_them_whole() -> None:
    padded = raw_xlsx([["Supplier Name", "Amount"], ["A", 1]], padding=16 * 2**20)
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(padded, "spend", ReadLimits(max_sheet_cells=100))
    assert "unpacks to more than 8.0 MB" in refused.value.reason
    # Within a larger budget the padding is streamed past and the cells read as usual.
    assert read_workbook(padded, "spend", ReadLimits()).records[1][1] == ["A", "1"]

    from tests.hostile_files import entity_bomb_xlsx

    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(entity_bomb_xlsx(), "spend", ReadLimits())
    assert "could not be opened" in refused.value.reason


def test_a_value_longer_than_a_field_may_be_is_cut_short_while_reading() -> None:
    sheet = read_workbook(raw_xlsx([["Supplier Name"], ["x" * 5000]]), "spend", SMALL)
    assert len(sheet.records[1][1][0]) == SMALL.max_field_chars + 1  # enough to be refused as too long

"""Members' file formats end to end: every delimiter and encoding Excel and finance systems write,
Excel layouts (merged header cells, headers over two rows, totals rows) and formats we cannot take.
"""

from __future__ import annotations

import html
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from pipeline.steps.ingest import ingest
from transforms.raw_table import FileRejected
from transforms.reading import read_return
from transforms.return_types import SPEND, WORKFORCE
from warehouse.schema import fact_spend

ROWS = [
    ("14/08/2025", "Café Lumière Ltd", "£1,234.56"),
    ("15/08/2025", "O’Brien & Sons", "10.00"),
    ("16/08/2025", "Zoë's Bakery", "-3.25"),
]


def _text(delimiter: str) -> str:
    header = delimiter.join(["Payment Date", "Supplier Name", "Amount"])
    lines = [header]
    for day, name, amount in ROWS:
        quoted = f'"{amount}"' if delimiter in amount else amount
        lines.append(delimiter.join([day, name, quoted]))
    return "\r\n".join(lines) + "\r\n"


ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: text.encode("utf-8-sig"),
    # Excel's "Unicode Text (*.txt)": UTF-16 little-endian with a byte-order mark.
    "utf-16": lambda text: text.encode("utf-16"),
    "windows-1252": lambda text: text.encode("cp1252"),
}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_every_delimiter_in_every_encoding(delimiter: str, encoding: str) -> None:
    table = read_return(ENCODINGS[encoding](_text(delimiter)), "spend_2025-26-Q2.csv", SPEND)
    assert table.delimiter == delimiter
    assert table.frame["supplier_name"].tolist() == [name for _, name, _ in ROWS]
    assert table.frame["amount_gbp"].tolist() == [amount for _, _, amount in ROWS]
    assert list(table.frame.index) == [2, 3, 4]


@pytest.mark.parametrize(
    ("suffix", "encoding"),
    [("txt", "utf-16"), ("tsv", "utf-8")],
    ids=["excel-unicode-text", "tab-separated"],
)
def test_tab_separated_exports_are_ingested_with_accents_and_pounds(  # type: ignore[no-untyped-def]
    make_network, tmp_path, suffix: str, encoding: str
) -> None:
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    data = _text("\t").encode(encoding)
    network.bucket.write(f"incoming/kingsbridge-council/spend_2025-26-Q2.{suffix}", data)
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted", outcome
    with network.engine.connect() as conn:
        loaded = conn.execute(select(fact_spend.c.supplier_name, fact_spend.c.amount_gbp)).all()
    assert sorted((n, Decimal(str(a)).quantize(Decimal("0.01"))) for n, a in loaded) == sorted(
        [
            ("Café Lumière Ltd", Decimal("1234.56")),
            ("O’Brien & Sons", Decimal("10.00")),
            ("Zoë's Bakery", Decimal("-3.25")),
        ]
    )


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cells(table) -> dict[int, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {int(k): v for k, v in table.frame.to_dict("index").items()}


def test_xlsx_header_with_merged_cells_over_two_rows() -> None:
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "Payment Date"  # merged down over rows 1-2
    sheet["B1"] = "Supplier"  # merged across "Name" and "Postcode"
    sheet["D1"] = "Amount (£)"  # merged down
    sheet["B2"], sheet["C2"] = "Name", "Postcode"
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("D1:D2")
    sheet.append([datetime(2025, 8, 14), "Acme Ltd", "SE1 7PB", 120.5])
    sheet.append([datetime(2025, 8, 15), "Beta Ltd", "M1 2AB", 80])
    table = read_return(_save(book), "spend_2025-26-Q2.xlsx", SPEND)

    assert table.header_line == 2
    assert table.mapped == {
        "Payment Date": "payment_date",
        "Supplier Name": "supplier_name",
        "Supplier Postcode": "supplier_postcode",
        "Amount (£)": "amount_gbp",
    }
    assert _cells(table) == {
        3: {
            "payment_date": "2025-08-14",
            "supplier_name": "Acme Ltd",
            "supplier_postcode": "SE1 7PB",
            "amount_gbp": "120.5",
        },
        4: {
            "payment_date": "2025-08-15",
            "supplier_name": "Beta Ltd",
            "supplier_postcode": "M1 2AB",
            "amount_gbp": "80",
        },
    }


def test_xlsx_merged_title_and_merged_data_cells_with_a_merged_totals_row() -> None:
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "Kingsbridge Borough Council - creditor payments, July to September 2025"
    sheet.merge_cells("A1:D1")
    sheet.append(["Department", "Supplier Name", "Payment Date", "Amount"])
    sheet.append(["Housing", "Acme Ltd", datetime(2025, 8, 1), 100])
    sheet.append([None, "Beta Ltd", datetime(2025, 8, 2), 50])  # department merged down from the row above
    sheet.append(["Grand Total", None, None, 150])
    sheet.merge_cells("A3:A4")
    sheet.merge_cells("A5:C5")
    table = read_return(_save(book), "spend_2025-26-Q2.xlsx", SPEND)

    assert table.header_line == 2
    assert _cells(table) == {
        3: {
            "department": "Housing",
            "supplier_name": "Acme Ltd",
            "payment_date": "2025-08-01",
            "amount_gbp": "100",
        },
        4: {
            "department": "Housing",
            "supplier_name": "Beta Ltd",
            "payment_date": "2025-08-02",
            "amount_gbp": "50",
        },
    }
    [totals] = table.structural_problems
    assert (totals.row, totals.counts_towards_tolerance) == (5, False)
    assert table.rows_read == 3


def test_xlsx_sheet_named_after_the_return_type_wins_over_a_notes_sheet() -> None:
    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Column", "What goes in it"])
    notes.append(["Employee Reference", "Your payroll number"])
    data = book.create_sheet("Workforce")
    data.append(["Employee Reference", "Snapshot Date", "Hourly Rate", "Weekly Hours", "Employment Basis"])
    data.append(["E1", datetime(2025, 9, 30), 15.5, 37.5, "direct"])
    table = read_return(_save(book), "workforce_2025-26-Q2.xlsx", WORKFORCE)
    assert list(table.frame.index) == [2]


def test_xlsx_return_after_a_cover_sheet_or_a_summary_is_found_by_its_header() -> None:
    """Workbooks often open on a cover sheet or a pivot summary, with the lines on a later sheet of any
    name: the sheet read is the first whose rows name the return's key columns."""
    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Expenditure over £500, July to September 2025"])
    cover.append(["Published under the Local Government Transparency Code"])
    summary = book.create_sheet("By department")
    summary.append(["Department", "Payment Date", "Total"])  # names two columns, not the supplier
    summary.append(["Housing", "Q2", 123456.0])
    lines = book.create_sheet("Sheet3")
    lines.append(["Payment Date", "Supplier Name", "Amount"])
    lines.append([datetime(2025, 8, 14), "Brightwater Ltd", 1250.0])
    lines.append([datetime(2025, 8, 15), "Acme Ltd", 99.5])
    table = read_return(_save(book), "spend_2025-26-Q2.xlsx", SPEND)
    assert _cells(table)[3]["supplier_name"] == "Acme Ltd"
    assert table.rows_read == 2
    # Without a sheet naming the key columns, the one naming most of the return's columns is read.
    del book["Sheet3"]
    with pytest.raises(FileRejected, match="Supplier Name"):
        read_return(_save(book), "spend_2025-26-Q2.xlsx", SPEND)


@pytest.mark.parametrize(
    ("name", "data", "reason", "fix"),
    [
        (
            "spend_2025-26-Q2.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "'.xls'",
            "Excel Workbook",
        ),
        ("spend_2025-26-Q2.ods", b"PK\x03\x04mimetypeapplication/vnd.oasis", "'.ods'", ".xlsx"),
        ("spend_2025-26-Q2.pdf", b"%PDF-1.7\n%\xe2\xe3", "'.pdf'", ".csv"),
        (
            "spend_2025-26-Q2.csv",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4,
            "binary",
            "CSV",
        ),
    ],
)
def test_formats_we_cannot_read_are_quarantined_with_a_clear_reason(  # type: ignore[no-untyped-def]
    make_network, tmp_path, name: str, data: bytes, reason: str, fix: str
) -> None:
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write(f"incoming/kingsbridge-council/{name}", data)
    [outcome] = ingest(network)
    assert outcome["status"] == "quarantined"
    feedback = html.unescape(network.bucket.read(outcome["feedback_path"]).decode())
    assert reason in feedback and fix in feedback
    assert network.bucket.list_files("quarantine/kingsbridge-council")
    assert network.bucket.read(network.bucket.list_files("archive/kingsbridge-council")[0]["path"]) == data

"""Reading members' exports: encodings, delimiters, preambles, header aliases and broken rows.

Every file here is built in the test from literal text, so each case shows the bytes a finance system
would really produce and the line numbers a member would see in their own editor.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from transforms.raw_table import FileRejected, RawTable
from transforms.reading import count_rows, decode_text, read_return
from transforms.return_types import SPEND


def read(data: bytes, file_name: str = "spend_2025-26-Q2.csv", **kwargs: object) -> RawTable:
    return read_return(data, file_name, SPEND, **kwargs)  # type: ignore[arg-type]


def rejected(data: bytes, file_name: str = "spend_2025-26-Q2.csv", **kwargs: object) -> FileRejected:
    with pytest.raises(FileRejected) as excinfo:
        read(data, file_name, **kwargs)
    return excinfo.value


def cells(table: RawTable) -> dict[int, dict[str, str]]:
    """Row number -> canonical column -> raw text."""
    return {int(k): v for k, v in table.frame.to_dict("index").items()}


def assert_plain_english(error: FileRejected) -> None:
    for text in (error.reason, error.how_to_fix):
        assert text and text[0].isupper() and text.rstrip().endswith((".", ")"))
        for jargon in ("codec", "Traceback", "Error", "0x", "byte 0x", "utf_16"):
            assert jargon not in text


# -- encodings -------------------------------------------------------------------------------------
CAFE = (
    "Payment Date,Supplier Name,Amount\n14/08/2025,Café Rouge Ltd,£1234.56\n15/08/2025,O’Brien & Sons,£10\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CAFE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CAFE.encode("utf-8"), "utf-8-sig"),
        (CAFE.encode("cp1252"), "cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "windows-1252"],
)
def test_text_encodings(data: bytes, encoding: str) -> None:
    table = read(data)
    assert table.encoding == encoding
    # The BOM must not stick to the first header, or 'Payment Date' would not be recognised.
    assert table.mapped == {
        "Payment Date": "payment_date",
        "Supplier Name": "supplier_name",
        "Amount": "amount_gbp",
    }
    assert cells(table) == {
        2: {"payment_date": "14/08/2025", "supplier_name": "Café Rouge Ltd", "amount_gbp": "£1234.56"},
        3: {"payment_date": "15/08/2025", "supplier_name": "O’Brien & Sons", "amount_gbp": "£10"},
    }


def test_windows_1252_pound_sign_and_accents_decode_exactly() -> None:
    text = "Supplier Name;Net Amount\r\nCrème Brûlée Café;£1.234\r\nNaïve Ltd;£5\r\n"
    table = read(text.encode("cp1252"))
    assert table.encoding == "cp1252"
    assert table.frame["supplier_name"].tolist() == ["Crème Brûlée Café", "Naïve Ltd"]
    assert table.frame["amount_gbp"].tolist() == ["£1.234", "£5"]


def test_utf8_with_a_few_windows_1252_bytes_keeps_its_utf8_text() -> None:
    """A UTF-8 export with one cell pasted from an older system: read as Windows-1252 throughout, every
    '£' of the UTF-8 part became 'Â£' and 19 of 20 amounts were unreadable. Only the stray bytes are read
    as Windows-1252, and the file as UTF-8."""
    lines = [f"14/08/2025,Café {i} Ltd,£{100 + i}.00\n" for i in range(20)]
    data = ("Payment Date,Supplier Name,Amount\n" + "".join(lines)).encode("utf-8")
    data = data.replace("Café 7 Ltd,£107".encode(), b"Caf\xe9 7 Ltd,\xa3107")  # that cell in Windows-1252
    table = read(data)
    assert table.encoding == "utf-8+cp1252"
    assert table.frame["supplier_name"].tolist() == [f"Café {i} Ltd" for i in range(20)]
    assert table.frame["amount_gbp"].tolist() == [f"£{100 + i}.00" for i in range(20)]


@pytest.mark.parametrize(
    "data",
    [
        CAFE.encode("cp1252"),  # no UTF-8 at all
        "Crème Brûlée;£5;é\n".encode("cp1252") + "Naïve\n".encode(),  # more Windows-1252 than UTF-8
    ],
)
def test_mostly_windows_1252_is_read_as_windows_1252(data: bytes) -> None:
    assert decode_text(data)[1] == "cp1252"


def test_utf16_unicode_text_as_excel_saves_it() -> None:
    # Excel's "Unicode Text (*.txt)": UTF-16 little-endian with a BOM, tab separated, CRLF line ends.
    text = "Report: spend by supplier\r\nSupplier Name\tAmount\tSupplier Postcode\r\nCafé Ltd\t£12.50\tSE1 7PB\r\n"
    data = text.encode("utf-16-le")
    table = read(b"\xff\xfe" + data, "spend.txt")
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert table.header_line == 2
    assert cells(table) == {
        3: {"supplier_name": "Café Ltd", "amount_gbp": "£12.50", "supplier_postcode": "SE1 7PB"}
    }


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(1).randbytes(4000),
        random.Random(2).randbytes(4000),
        random.Random(3).randbytes(4000).replace(b"\x00", b"\x01"),  # no NUL bytes at all
    ],
    ids=["png", "legacy-xls", "random", "random-no-nul"],
)
def test_binary_garbage_is_rejected_in_plain_english(data: bytes) -> None:
    error = rejected(data)
    assert_plain_english(error)
    assert "CSV" in error.how_to_fix
    assert error.rows_read is None
    assert count_rows(data, "spend.csv", SPEND) == 0


# -- delimiters and line endings -------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter: str) -> None:
    rows = [
        ["Payment Date", "Supplier Name", "Amount", "Category"],
        ["14/08/2025", "Acme, Widgets & Co", "£1,234.56", "Facilities"],
        ["15/08/2025", "Brightwater Ltd", "20.00", "Cleaning"],
    ]
    # Fields holding the delimiter are quoted, as every exporter does.
    lines = [delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in rows]
    table = read(("\n".join(lines) + "\n").encode())
    assert table.delimiter == delimiter
    assert cells(table)[2] == {
        "payment_date": "14/08/2025",
        "supplier_name": "Acme, Widgets & Co",
        "amount_gbp": "£1,234.56",
        "category": "Facilities",
    }
    assert cells(table)[3]["supplier_name"] == "Brightwater Ltd"


def test_delimiter_sniffing_is_not_fooled_by_commas_in_a_preamble() -> None:
    text = (
        "Parameters: From 01/07/2025, To 30/09/2025, Cost centre: all\n"
        "Run by: jsmith, on 01/10/2025\n"
        "Supplier Name|Amount|Payment Date\n"
        "Acme Ltd|1.00|01/08/2025\n"
        "Beta Ltd|2.00|02/08/2025\n"
    )
    table = read(text.encode())
    assert table.delimiter == "|"
    assert table.header_line == 3
    assert list(table.frame.index) == [4, 5]


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["old-mac", "windows", "unix"])
def test_line_endings(newline: str) -> None:
    text = newline.join(["Supplier Name,Amount", "Acme Ltd,1.00", "", "Beta Ltd,2.00", ""])
    table = read(text.encode())
    assert cells(table) == {
        2: {"supplier_name": "Acme Ltd", "amount_gbp": "1.00"},
        4: {"supplier_name": "Beta Ltd", "amount_gbp": "2.00"},
    }
    assert table.rows_read == 2


# -- header detection and row numbers --------------------------------------------------------------
PREAMBLE = (
    "Kingsbridge Borough Council\n"
    "Payments over £500 report\n"
    "Period:,01/07/2025 to 30/09/2025\n"
    "\n"
    "Payment Date,Supplier Name,Amount\n"
    "14/08/2025,Acme Ltd,100.00\n"
    "15/08/2025,Beta Ltd,200.00\n"
)


def test_header_found_after_a_preamble_and_rows_keep_file_line_numbers() -> None:
    table = read(PREAMBLE.encode())
    assert table.header_line == 5
    assert list(table.frame.index) == [6, 7]
    assert table.frame.index.name == "row"
    assert table.frame.loc[7, "supplier_name"] == "Beta Ltd"
    assert table.rows_read == 2


def test_quoted_newline_does_not_shift_later_row_numbers() -> None:
    text = (
        "Supplier Name,Amount,Category\n"
        'Acme Ltd,1.00,"Facilities\nand estates"\n'
        "Beta Ltd,2.00,Cleaning\n"
        '"Gamma\r\nServices Ltd",3.00,IT\n'
        "Delta Ltd,4.00,IT\n"
    )
    table = read(text.encode())
    assert list(table.frame.index) == [2, 4, 5, 7]
    assert table.frame.loc[2, "category"] == "Facilities\nand estates"
    assert table.frame.loc[4, "supplier_name"] == "Beta Ltd"
    assert table.frame.loc[7, "supplier_name"] == "Delta Ltd"


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Beneficiary,Net Amount", {"Beneficiary": "supplier_name", "Net Amount": "amount_gbp"}),
        (
            "Creditor_Name,SumOfAmount_Exc_VAT",
            {"Creditor_Name": "supplier_name", "SumOfAmount_Exc_VAT": "amount_gbp"},
        ),
        ("Supplier Name,Total", {"Supplier Name": "supplier_name", "Total": "amount_gbp"}),
        ("VENDOR NAME,Net Amount (£)", {"VENDOR NAME": "supplier_name", "Net Amount (£)": "amount_gbp"}),
    ],
)
def test_header_aliases(header: str, column: dict[str, str]) -> None:
    table = read(f"{header}\nAcme Ltd,10.00\n".encode())
    assert table.mapped == column
    assert cells(table) == {2: {"supplier_name": "Acme Ltd", "amount_gbp": "10.00"}}


def test_unrecognised_headers_are_listed_as_ignored() -> None:
    table = read(b"Supplier Name,Amount,Cost Code,VAT\nAcme Ltd,10.00,X1,2.00\n")
    assert table.ignored == ["Cost Code", "VAT"]
    assert list(table.frame.columns) == ["supplier_name", "amount_gbp"]


def test_member_column_map() -> None:
    # "Account Holder" names no supplier in any words we know: only the member's map can say it is one.
    data = b"Account Holder,Amount,Reference\nAcme Ltd,10.00,CH123\n"
    with pytest.raises(FileRejected, match="Supplier Name"):
        read(data)
    table = read(data, member_column_map={"Account Holder": "supplier_name", "Reference": "supplier_id"})
    # The member's own map wins over the shared alias ('Reference' is a transaction id for others).
    assert table.mapped["Reference"] == "supplier_id"
    assert cells(table) == {2: {"supplier_name": "Acme Ltd", "amount_gbp": "10.00", "supplier_id": "CH123"}}


def test_required_column_missing_names_the_column_and_counts_rows() -> None:
    text = "Report run 01/10/2025\nPayment Date,Supplier Name,Reference\n14/08/2025,Acme Ltd,1\n\n15/08/2025,Beta Ltd,2\n"
    error = rejected(text.encode())
    assert "'Amount'" in error.reason
    assert "'Payment Date', 'Supplier Name', 'Reference'" in error.reason  # what we did find
    assert "Net Amount" in error.how_to_fix  # a name we would recognise
    assert error.rows_read == 2
    assert count_rows(text.encode(), "x.csv", SPEND) == 2


def test_no_header_at_all() -> None:
    text = "Acme Ltd,100.00,14/08/2025\nBeta Ltd,200.00,15/08/2025\n\nGamma Ltd,5,16/08/2025\n"
    error = rejected(text.encode())
    assert "header row" in error.reason
    assert "'Supplier Name'" in error.reason and "'Amount'" in error.reason
    assert_plain_english(error)
    assert error.rows_read == 3


def test_header_but_no_rows() -> None:
    error = rejected(b"Preamble line\nSupplier Name,Amount\n,\n\n")
    assert "no data rows" in error.reason
    assert error.rows_read == 0


@pytest.mark.parametrize(
    ("data", "name"), [(b"", "x.csv"), (b"  \r\n\n", "x.csv"), (b"\t \x0b\x0c\r", "x.csv"), (b"", "x.xlsx")]
)
def test_empty_file(data: bytes, name: str) -> None:
    assert "empty" in rejected(data, name).reason


@pytest.mark.parametrize("name", ["spend.pdf", "spend.xls", "spend.docx"])
def test_unknown_extension(name: str) -> None:
    error = rejected(b"Supplier Name,Amount\nAcme Ltd,1\n", name)
    assert f"'.{name.rsplit('.', 1)[1]}'" in error.reason
    assert ".csv" in error.how_to_fix and ".xlsx" in error.how_to_fix


# -- rows: blank, short, long, totals --------------------------------------------------------------
def test_blank_rows_and_delimiter_only_rows_are_not_counted() -> None:
    text = "Supplier Name,Amount,Category\nAcme Ltd,1.00,A\n,,\n,,,,\n   \n\nBeta Ltd,2.00,B\n,,\n"
    table = read(text.encode())
    assert table.rows_read == 2
    assert list(table.frame.index) == [2, 7]
    assert table.structural_problems == []


def test_row_that_ran_together_is_a_problem() -> None:
    text = (
        "Payment Date,Supplier Name,Amount,Category\n"
        "14/08/2025,Acme Ltd 100.00\n"  # the amount ran into the name: a required column is missing
        "15/08/2025,Beta Ltd,2.00,IT\n"
    )
    table = read(text.encode())
    assert list(table.frame.index) == [3]
    assert table.rows_read == 2
    [problem] = table.structural_problems
    assert problem.row == 2
    assert problem.column is None
    assert "Acme Ltd 100.00" in problem.value
    assert "run together" in problem.reason
    assert problem.counts_towards_tolerance


def test_short_row_missing_only_optional_trailing_columns_is_padded() -> None:
    text = "Supplier Name,Amount,Category,Department\nAcme Ltd,1.00\nBeta Ltd,2.00,IT\n"
    table = read(text.encode())
    assert table.structural_problems == []
    assert cells(table) == {
        2: {"supplier_name": "Acme Ltd", "amount_gbp": "1.00", "category": "", "department": ""},
        3: {"supplier_name": "Beta Ltd", "amount_gbp": "2.00", "category": "IT", "department": ""},
    }


def test_row_with_extra_values_is_a_problem_but_empty_extras_are_trimmed() -> None:
    text = "Supplier Name,Amount\nAcme, Widgets Ltd,1.00\nBeta Ltd,2.00,,\n"
    table = read(text.encode())
    assert cells(table) == {3: {"supplier_name": "Beta Ltd", "amount_gbp": "2.00"}}
    [problem] = table.structural_problems
    assert problem.row == 2
    assert "3 values" in problem.reason and "2 columns" in problem.reason
    assert "quotes" in problem.reason
    assert problem.counts_towards_tolerance
    assert table.rows_read == 2


@pytest.mark.parametrize(
    "label",
    [
        "Grand Total",
        "TOTAL",
        "Totals",
        "Sub-total",
        "Total:",
        "Total (excl VAT)",
        "Total for Q2",
        "Total spend",
    ],
)
def test_totals_row_is_a_problem_that_does_not_count_towards_tolerance(label: str) -> None:
    text = f"Supplier Name,Total\nAcme Ltd,100.00\nBeta Ltd,50.00\n{label},150.00\n\n"
    table = read(text.encode())
    assert list(table.frame.index) == [2, 3]
    assert table.rows_read == 3
    [problem] = table.structural_problems
    assert problem.row == 4
    assert not problem.counts_towards_tolerance
    assert problem.rule == "row:totals"
    assert "totals row" in problem.reason


def test_totals_row_in_a_payment_lines_file_with_blank_date() -> None:
    text = "Payment Date,Supplier Name,Amount\n14/08/2025,Acme Ltd,1.00\n,Grand Total,1.00\n"
    table = read(text.encode())
    assert list(table.frame.index) == [2]
    assert [p.row for p in table.structural_problems] == [3]


@pytest.mark.parametrize(
    "supplier", ["Total Gas & Power Ltd", "Total Fitness Ltd", "Totally Ltd", "Total Produce plc"]
)
def test_supplier_whose_name_starts_with_total_is_not_a_totals_row(supplier: str) -> None:
    table = read(f"Supplier Name,Total\n{supplier},100.00\nAcme Ltd,5.00\n".encode())
    assert table.structural_problems == []
    assert table.frame.loc[2, "supplier_name"] == supplier


# -- xlsx ------------------------------------------------------------------------------------------
def _workbook() -> bytes:
    workbook = Workbook()
    cover = workbook.active
    cover.title = "Notes"
    cover["A1"] = "This return was produced by the finance team"
    cover["A2"] = "Supplier Name"
    cover["B2"] = "Amount"  # a decoy header on the first sheet
    sheet = workbook.create_sheet("Spend")
    sheet["A2"] = "Report: Q2 2025-26"
    sheet["A4"] = "Payment Date"
    sheet["B4"] = "Supplier Name"
    sheet["C4"] = "Amount"
    sheet.append([datetime(2025, 8, 14), "Acme Ltd", 1234.5])
    sheet.append([date(2025, 8, 15), "Beta Ltd", 10])
    sheet.append([])
    sheet.append([datetime(2025, 9, 30, 16, 45), "Gamma Ltd", -3.25])
    sheet.append(["Grand Total", None, 1241.25])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_prefers_the_sheet_named_after_the_return_type() -> None:
    table = read(_workbook(), "spend_2025-26-Q2.xlsx")
    assert table.encoding == "xlsx"
    assert table.delimiter is None
    assert table.header_line == 4
    assert cells(table) == {
        5: {"payment_date": "2025-08-14", "supplier_name": "Acme Ltd", "amount_gbp": "1234.5"},
        6: {"payment_date": "2025-08-15", "supplier_name": "Beta Ltd", "amount_gbp": "10"},
        8: {"payment_date": "2025-09-30 16:45:00", "supplier_name": "Gamma Ltd", "amount_gbp": "-3.25"},
    }
    assert [(p.row, p.counts_towards_tolerance) for p in table.structural_problems] == [(9, False)]
    assert table.rows_read == 4


def test_xlsx_is_recognised_by_content_whatever_its_name() -> None:
    assert list(read(_workbook(), "spend upload").frame.index) == [5, 6, 8]


def test_xlsx_falls_back_to_the_first_sheet_with_values() -> None:
    workbook = Workbook()
    workbook.active.title = "Blank"
    sheet = workbook.create_sheet("Payments")
    sheet.append(["Supplier Name", "Amount"])
    sheet.append(["Acme Ltd", 5])
    out = io.BytesIO()
    workbook.save(out)
    assert cells(read(out.getvalue(), "r.xlsx")) == {2: {"supplier_name": "Acme Ltd", "amount_gbp": "5"}}


def test_damaged_xlsx_is_rejected() -> None:
    data = _workbook()[:2000]
    error = rejected(data, "spend.xlsx")
    assert "could not be opened" in error.reason
    assert_plain_english(error)


# -- count_rows ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (PREAMBLE.encode(), "x.csv", 2),
        (b"Supplier Name,Amount\nAcme Ltd,1\nGrand Total,1\n\n", "x.csv", 2),
        (b"Supplier Name,Amount\n", "x.csv", 0),
        (b"no header here\nnor here\n\nthird line\n", "x.csv", 3),
        (b"Supplier Name,Amount\nAcme Ltd,1\n", "x.pdf", 2),
        (b"", "x.csv", 0),
    ],
)
def test_count_rows(data: bytes, name: str, expected: int) -> None:
    assert count_rows(data, name, SPEND) == expected


def test_count_rows_of_an_xlsx() -> None:
    assert count_rows(_workbook(), "spend.xlsx", SPEND) == 4

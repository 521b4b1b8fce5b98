"""The export-style helpers every sample generator shares: what they write is what a real finance or HR
system writes, and the vectorised renderings (the benchmark's) give exactly the scalar ones (the demo's).

Expected texts are built here another way (``Decimal`` formatting, ``strftime``, the ``csv`` reader),
never by calling the helper under test twice.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from samples.export_style import (
    D_MON_Y,
    DMY,
    DMY_DOTS,
    DMY_UNPADDED,
    FIXED_TIMESTAMP,
    ISO,
    MDY,
    PLAIN,
    POUNDS,
    POUNDS_COMMAS,
    DateFormat,
    ExportStyle,
    MoneyFormat,
    arrow_csv,
    csv_bytes,
    xlsx_bytes,
)

PENCE = [0, 1, 5, 99, 100, 101, 99_999, 100_000, 123_456, 100_000_000, 123_456_789_012, -1, -99, -100, -250_000,
         -123_456_789]  # fmt: skip


def _expected_money(pence: int, symbol: str, thousands: bool) -> str:
    amount = abs(Decimal(pence) / 100)
    return ("-" if pence < 0 else "") + symbol + (f"{amount:,.2f}" if thousands else f"{amount:.2f}")


@pytest.mark.parametrize(
    ("money", "symbol", "thousands"), [(PLAIN, "", False), (POUNDS, "£", False), (POUNDS_COMMAS, "£", True)]
)
def test_money_text_and_column_agree_with_decimal_formatting(
    money: MoneyFormat, symbol: str, thousands: bool
) -> None:
    values = PENCE + np.random.default_rng(1).integers(-(10**10), 10**10, 500).tolist()
    expected = [_expected_money(p, symbol, thousands) for p in values]
    assert [money.text(p) for p in values] == expected
    assert money.column(np.array(values, dtype=np.int64)).tolist() == expected


def test_pounds_with_commas_is_what_a_spreadsheet_shows() -> None:
    assert POUNDS_COMMAS.text(-123_456_789) == "-£1,234,567.89"
    assert PLAIN.text(5) == "0.05"


DAYS = [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 800, 7)]


@pytest.mark.parametrize(
    ("layout", "strftime"),
    [(DMY, "%d/%m/%Y"), (DMY_DOTS, "%d.%m.%Y"), (ISO, "%Y-%m-%d"), (MDY, "%m/%d/%Y"), (D_MON_Y, "%d-%b-%Y")],
)
def test_date_layouts_agree_with_strftime(layout: DateFormat, strftime: str) -> None:
    expected = [d.strftime(strftime) for d in DAYS]  # %b is English in the C locale tests run under
    assert [layout.text(d) for d in DAYS] == expected
    assert layout.column(DAYS).tolist() == expected
    assert [datetime.strptime(text, strftime).date() for text in expected] == DAYS


def test_unpadded_dates_and_days_that_do_not_exist() -> None:
    assert [DMY_UNPADDED.text(d) for d in DAYS] == [f"{d.day}/{d.month}/{d.year}" for d in DAYS]
    impossible = DMY.parts(2025, 11, 31)  # a typo planted as a bad row
    assert impossible == "31/11/2025"
    with pytest.raises(ValueError):
        datetime.strptime(impossible, "%d/%m/%Y")


def test_csv_bytes_writes_the_systems_encoding_delimiter_line_ends_preamble_and_trailing_rows() -> None:
    style = ExportStyle.from_pairs(
        "sap-like",
        "Posting Date=payment_date;Vendor Name=supplier_name;Net Amount £=amount_gbp",
        delimiter=";",
        newline="\r\n",
        encoding="cp1252",
        trailing_blank=2,
        blank_as_commas=True,
    )
    records = [["01/07/2025", "Café Lumière Ltd", "£12.50"], ["02/07/2025", "Semi; Colon Ltd", "-£3.00"]]
    data = csv_bytes(style, records, preamble=[["AP Payments Report"], []])
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1252")
    assert text.endswith(";;\r\n;;\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows == [["AP Payments Report"], [], ["Posting Date", "Vendor Name", "Net Amount £"], *records,
                    ["", "", ""], ["", "", ""]]  # fmt: skip
    empty_lines = ExportStyle.from_pairs("plain", "A=a;B=b", trailing_blank=3)
    assert csv_bytes(empty_lines, [["1", "2"]]) == b"A,B\n1,2\n\n\n\n"


def test_arrow_csv_reads_back_as_the_same_values() -> None:
    values = {
        "Supplier": ['O\'Brien "Quoted" Ltd', "Comma, Ltd", "Café"],
        "Amount": ["£1,234.50", "1.00", "-2.00"],
    }
    for delimiter in (",", ";"):
        data = arrow_csv(pa.table(values), delimiter)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter))
        assert rows == [list(values), *map(list, zip(*values.values(), strict=True))]
        body = arrow_csv(pa.table(values), delimiter, include_header=False)
        assert data.endswith(body) and not body.startswith(b'"Supplier"')


def test_xlsx_bytes_are_identical_every_time_with_real_date_and_number_cells() -> None:
    headers = ("Payment Date", "Payee Name", "Amount")
    records = [[date(2025, 10, 3), "Zoë’s Bakery Ltd", 1234.5], [date(2025, 10, 6), "Kestrel Ltd", -20.0]]
    first = xlsx_bytes(headers, records, sheet_title="Spend")
    assert xlsx_bytes(headers, records, sheet_title="Spend") == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {FIXED_TIMESTAMP.timetuple()[:6]}
    sheet = load_workbook(io.BytesIO(first))["Spend"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == headers
    assert rows[1] == (datetime(2025, 10, 3), "Zoë’s Bakery Ltd", 1234.5)
    assert sheet["A2"].number_format == "DD/MM/YYYY" and sheet["C2"].number_format == "#,##0.00"

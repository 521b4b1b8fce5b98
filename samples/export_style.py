"""How finance and HR systems write their exports: the one description every sample generator shares.

Spend returns, staff snapshots and the benchmark's synthetic network all imitate real exports: header
aliases, a date layout, a money layout, an encoding, line endings, a delimiter, a preamble of report
parameters, blank rows at the end. ``ExportStyle`` describes one such export; the return types extend
it with what only they need. Date and money layouts are values (``DateFormat``, ``MoneyFormat``) with a
scalar and a vectorised rendering read from the same definition, so the demo's files and the
benchmark's cannot drift apart in how they write "£1,234.56" or "31-Mar-2026".

The writers here give the same bytes for the same records every time (no clock, no hash order): the
demo's tests compare files byte for byte.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Self

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.config import Member
from transforms.return_types import ReturnType, normalise_header

# A fixed instant for workbook metadata and zip entries: openpyxl and zipfile would otherwise stamp "now".
FIXED_TIMESTAMP = datetime(2026, 6, 30, 9, 0, 0)
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# -- dates -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DateFormat:
    """A date layout as a ``str.format`` pattern over ``y``, ``m``, ``d`` and ``mon`` (month abbreviation).

    Kept as a pattern rather than ``strftime`` so the text never depends on the locale, and so a day
    that does not exist (31/11: a typo planted as a bad row) can be written with ``parts``.
    """

    pattern: str

    def parts(self, year: int, month: int, day: int) -> str:
        return self.pattern.format(y=year, m=month, d=day, mon=MONTH_ABBREVIATIONS[month - 1])

    def text(self, day: date) -> str:
        return self.parts(day.year, day.month, day.day)

    def column(self, days: Iterable[date]) -> np.ndarray:
        """Many dates at once, as an object array ready for a pyarrow string column."""
        return np.array([self.text(day) for day in days], dtype=object)


DMY = DateFormat("{d:02d}/{m:02d}/{y}")  # 31/03/2026, the UK default
DMY_UNPADDED = DateFormat("{d}/{m}/{y}")  # 31/3/2026, a spreadsheet's general format
DMY_DOTS = DateFormat("{d:02d}.{m:02d}.{y}")  # 31.03.2026, SAP and other continental systems
D_MON_Y = DateFormat("{d:02d}-{mon}-{y}")  # 31-Mar-2026, Oracle and ESR reports
ISO = DateFormat("{y}-{m:02d}-{d:02d}")  # 2026-03-31
MDY = DateFormat("{m:02d}/{d:02d}/{y}")  # 03/31/2026, a US-locale spreadsheet: no day-first date


# -- money -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoneyFormat:
    """An amount in pence as a finance system prints it: optional "£", optional thousands commas,
    a leading minus for credits ("-£1,234.56")."""

    symbol: str = ""
    thousands: bool = False

    def text(self, pence: int) -> str:
        pounds, rest = divmod(abs(pence), 100)
        whole = f"{pounds:,}" if self.thousands else str(pounds)
        return f"{'-' if pence < 0 else ''}{self.symbol}{whole}.{rest:02d}"

    def column(self, pence: np.ndarray) -> np.ndarray:
        """Many amounts at once (the benchmark writes millions), the same text as ``text`` gives."""
        pounds, rest = np.divmod(np.abs(pence), 100)
        if self.thousands:
            whole = np.array([f"{p:,}" for p in pounds.tolist()], dtype=object)
        else:
            whole = pounds.astype(str).astype(object)
        prefix = np.where(pence < 0, "-", "").astype(object) + self.symbol
        return prefix + whole + "." + np.char.zfill(rest.astype(str), 2).astype(object)


PLAIN = MoneyFormat()  # 1234.56
POUNDS = MoneyFormat("£")  # £1234.56
POUNDS_COMMAS = MoneyFormat("£", thousands=True)  # £1,234.56


# -- the export ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportStyle:
    """How one system writes an export: its headers (each with the canonical column it carries), date
    and money layouts, and the bytes around the records."""

    key: str
    headers: tuple[str, ...]
    columns: tuple[str, ...]  # canonical column of each header
    dates: DateFormat = DMY
    money: MoneyFormat = PLAIN
    encoding: str = "utf-8"
    newline: str = "\n"
    delimiter: str = ","
    preamble: bool = False  # report parameters printed above the header
    trailing_blank: int = 0  # blank rows after the last record
    blank_as_commas: bool = False  # Excel-saved CSVs end in ",,,," rows rather than empty lines

    @classmethod
    def from_pairs(cls, key: str, pairs: str, **options: object) -> Self:
        """A style from 'Header=column' pairs joined by ';', which keeps a table of styles readable."""
        headers, columns = zip(*(pair.split("=") for pair in pairs.split(";")), strict=True)
        return cls(key, tuple(headers), tuple(columns), **options)  # type: ignore[arg-type]

    def for_member(self, member: Member, return_type: ReturnType) -> Self:
        """This style with the member's own header names swapped in, every header checked.

        A member's ``column_map`` names the headers its system really writes (e.g. "Vendor Legal
        Name"), so those replace the style's defaults; every header must map back to its column through
        the return type's alias index, because a sample the pipeline cannot map would test nothing.
        """
        own: dict[str, str] = {}
        for header, column in member.column_map.items():
            if column in return_type.columns:
                own.setdefault(column, header)
        headers = tuple(own.get(c, h) for h, c in zip(self.headers, self.columns, strict=True))
        aliases = return_type.alias_index(member.column_map)
        for header, column in zip(headers, self.columns, strict=True):
            if aliases.get(normalise_header(header)) != column:
                raise ValueError(
                    f"sample header '{header}' does not map to '{column}' for member '{member.id}'"
                )
        return replace(self, headers=headers)

    def encode(self, text: str) -> bytes:
        """Text written with "\\n" line ends, as this system saves it: its line ends, its encoding."""
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return text.encode(self.encoding)

    def blank_row(self) -> list[str]:
        """One trailing blank row's fields: empty, or one empty field per column (",,,,")."""
        return [""] * len(self.headers) if self.blank_as_commas else []


# -- bytes -----------------------------------------------------------------------------------------
def csv_bytes(
    style: ExportStyle, records: Iterable[Sequence[object]], preamble: Iterable[Sequence[str]] = ()
) -> bytes:
    """Preamble, header, records and trailing blank rows, in the style's delimiter, newline and encoding."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=style.delimiter, lineterminator=style.newline)
    writer.writerows(preamble)
    writer.writerow(style.headers)
    writer.writerows(records)
    for _ in range(style.trailing_blank):
        writer.writerow(style.blank_row())
    return out.getvalue().encode(style.encoding)


def arrow_csv(table: pa.Table, delimiter: str = ",", include_header: bool = True) -> bytes:
    """A whole table through pyarrow's CSV writer, "\\n" line ends: the vectorised counterpart of
    ``csv_bytes`` for files of millions of rows. Its "needed" quoting quotes every string value (any
    string might hold a quote), as many database exports do."""
    out = pa.BufferOutputStream()
    options = pacsv.WriteOptions(include_header=include_header, delimiter=delimiter, quoting_style="needed")
    pacsv.write_csv(table, out, options)
    return out.getvalue().to_pybytes()


def xlsx_bytes(
    headers: Sequence[str],
    records: Iterable[Sequence[object]],
    sheet_title: str,
    creator: str = "Finance system export",
) -> bytes:
    """A one-sheet workbook with real date and number cells, byte-identical for the same records."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append(list(headers))
    for record in records:
        sheet.append(list(record))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
            elif isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    for position in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(position)].width = 18
    workbook.properties.created = workbook.properties.modified = FIXED_TIMESTAMP
    workbook.properties.creator = creator
    raw = io.BytesIO()
    # ExcelWriter rather than workbook.save(): save() stamps "modified" with the current time.
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    return pin_zip_times(raw.getvalue())


def pin_zip_times(data: bytes) -> bytes:
    """Rewrite a zip with a fixed timestamp on every entry (zipfile stamps entries with the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(pinned, src.read(info.filename))
    return out.getvalue()

"""How much one file may hold before it is refused whole, and the words that tell the member so.

Members send files by hand, and a careless or hostile one can be small on the wire and enormous once
read: an Excel sheet that declares a million rows, a range merged over the whole sheet, a sheet's XML
padded to a gigabyte. Every reader works within these limits, counting what it has actually read and
never what the file claims, so the memory a file can take is bounded by the limits whatever it says
(docs/design.md#limits-and-hostile-input). The network sets them in ``[limits]``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Bytes of sheet XML (and shared strings) read per cell allowed, before an XLSX is refused as padded:
# a cell with a style, a type and a value is well under 100 bytes; this leaves room for generous markup.
XML_BYTES_PER_CELL = 200
# ... and a floor, so that a small limit on cells still reads a workbook's styles and sheet list.
XML_BYTES_FLOOR = 8 * 2**20


@dataclass(frozen=True)
class ReadLimits:
    """What one file may hold. The defaults suit a quarter of a large council's payment lines."""

    max_file_bytes: int = 256 * 2**20
    max_rows: int = 2_000_000
    max_columns: int = 500
    # Excel's own limit on the characters in a cell.
    max_field_chars: int = 32_767
    max_sheet_cells: int = 5_000_000

    @property
    def max_xml_bytes(self) -> int:
        """Bytes of XML an XLSX may unpack to (all parts read together), derived from the cell limit."""
        return max(self.max_sheet_cells * XML_BYTES_PER_CELL, XML_BYTES_FLOOR)


DEFAULT_LIMITS = ReadLimits()


def size_text(size: int) -> str:
    """A byte count as people say it: '3.2 MB', '740 KB', '12 bytes'."""
    if size >= 10 * 2**20:
        return f"{size / 2**20:,.0f} MB"
    if size >= 2**20:
        return f"{size / 2**20:.1f} MB"
    if size >= 2**10:
        return f"{size / 2**10:,.0f} KB"
    return f"{size} bytes"


SPLIT_THE_FILE = (
    "Send the return in parts instead (for example one file per month, named like "
    "spend_2025-26-Q2 july.csv), or ask the network's data team whether the limit can be raised."
)


def file_too_big(size: int, limits: ReadLimits) -> tuple[str, str]:
    return (
        f"The file is {size_text(size)}, more than the {size_text(limits.max_file_bytes)} a return may be, "
        "so it was not read.",
        "Check that the export covers only the return's period and columns (an export of a whole "
        f"ledger is often far bigger than the return). {SPLIT_THE_FILE}",
    )


def too_many_rows(limits: ReadLimits) -> tuple[str, str]:
    return (
        f"The file has more than {limits.max_rows:,} rows, the most a return may have, so it was not loaded.",
        SPLIT_THE_FILE,
    )


def too_many_columns(line: int, found: int | None, limits: ReadLimits) -> tuple[str, str]:
    """``found`` None: a sheet read cell by cell, which stops at the first value past the limit."""
    values = f"{found:,} values, more than" if found is not None else "values in more than"
    return (
        f"Line {line} has {values} the {limits.max_columns:,} columns a return may have, so the file was not loaded.",
        "Export only the return's columns (see 'anchor template'), or check the delimiter: a file saved "
        "with the wrong one can look like a single very long row.",
    )


def too_many_cells(what: str, limits: ReadLimits) -> tuple[str, str]:
    return (
        f"The worksheet {what}, more than the {limits.max_sheet_cells:,} cells we read from a sheet, so "
        "the file was not loaded.",
        "Copy just the return's rows and columns into a new workbook (Paste Special > Values), save it "
        f"as .xlsx and send that. {SPLIT_THE_FILE}",
    )


def field_too_long(limits: ReadLimits) -> str:
    return (
        f"This value is longer than the {limits.max_field_chars:,} characters a value may have; it is "
        "probably several values run together. Check the row in your system and export it again."
    )

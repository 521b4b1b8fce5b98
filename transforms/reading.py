"""Turn the bytes of a member's export into a table of raw text cells keyed by file line number.

Everything a finance system can do to a CSV happens here: byte-order marks, Windows-1252 text,
old Mac line endings, a preamble of report parameters before the header, any of the common
delimiters, rows whose fields ran together. Cells stay text; typing is the next step's job, so
that a member can be told exactly which value on which line was not understood.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pandas as pd
from charset_normalizer import from_bytes

from transforms.identifiers import identifying_headers
from transforms.return_types import ReturnType, normalise_header

DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 50
# A totals label on its own or followed by punctuation or a qualifier ("Total:", "Grand Total (net)",
# "Total for Q2", "Total spend"), but not a supplier whose name starts with the word ("Total Gas & Power").
_TOTALS_RE = re.compile(
    r"^\s*(grand\s*total|totals?|sub-?\s*total|overall\s*total)"
    r"\s*(?:$|[^\w\s&]|(?:for|of|all|spend|amount|paid|payments?|value|expenditure|net|gross)\b)",
    re.IGNORECASE,
)


class FileRejected(Exception):
    """The file as a whole cannot be used; ``reason`` and ``how_to_fix`` are written for the member."""

    def __init__(self, reason: str, how_to_fix: str, rows_read: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.how_to_fix = how_to_fix
        # Non-blank records in the file (after the header when one was found), so that a quarantined
        # file still accounts for every row it brought.
        self.rows_read = rows_read


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    value: str | None
    reason: str
    counts_towards_tolerance: bool = True

    @property
    def rule(self) -> str:
        return "row:totals" if not self.counts_towards_tolerance else "row:shape"


@dataclass
class RawTable:
    """Cells of a return under canonical column names, indexed by the line each record starts on."""

    frame: pd.DataFrame
    rows_read: int
    header_line: int
    mapped: dict[str, str]  # original header -> canonical column
    ignored: list[str]
    encoding: str
    delimiter: str | None
    structural_problems: list[RowProblem] = field(default_factory=list)


# -- bytes to records ------------------------------------------------------------------------------
def decode_text(data: bytes) -> tuple[str, str]:
    """Decode an export, preferring what UK finance systems actually produce (UTF-8, then Windows-1252)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        match = from_bytes(data[:65536], cp_isolation=["utf_16", "utf_16_le", "utf_16_be"]).best()
        if match is None:
            raise FileRejected(
                "This does not look like a CSV or Excel file (it contains binary data).",
                "Export the return from your system as CSV (comma separated) or as an Excel .xlsx workbook.",
            )
        return data.decode(match.encoding), match.encoding
    try:
        # Windows-1252 decodes almost any byte string, so ask charset-normalizer only to tell it apart
        # from the few other single-byte encodings UK exports use.
        match = from_bytes(data[:65536], cp_isolation=["cp1252", "iso8859_15", "mac_roman"]).best()
        encoding = match.encoding if match is not None else "cp1252"
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        raise FileRejected(
            "We could not read the text of this file: it is not UTF-8 or Windows-1252.",
            "In Excel use File > Save As > 'CSV UTF-8 (Comma delimited)' and send the file again.",
        ) from None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that gives the most lines with the same number (>1) of fields."""
    sample = "\n".join(text.split("\n", 60)[:60])
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        counts: dict[int, int] = {}
        try:
            for record in csv.reader(io.StringIO(sample), delimiter=delimiter):
                if len(record) > 1:
                    counts[len(record)] = counts.get(len(record), 0) + 1
        except csv.Error:  # e.g. a stray quote swallowing a huge field: judge on the lines read so far
            pass
        score = max(counts.values(), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Records with the physical line number each starts on (1-based, preamble and header included)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for record in reader:
            records.append((previous_end + 1, record))
            previous_end = reader.line_num
    except csv.Error as exc:
        raise FileRejected(
            f"The file could not be read as CSV near line {reader.line_num + 1}: {exc}.",
            'Check that quotes are balanced (a value that starts with " must end with ") and export again.',
        ) from None
    return records


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def xlsx_records(data: bytes, return_type: str) -> list[tuple[int, list[str]]]:
    """Rows of the sheet named after the return type, else the first sheet that has any values."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises a zoo of exceptions for damaged files
        raise FileRejected(
            "This Excel file could not be opened; it may be damaged or password protected.",
            "Open it in Excel, remove any password, save it as .xlsx and send it again.",
        ) from None
    try:
        sheets = sorted(workbook.worksheets, key=lambda ws: ws.title.strip().lower() != return_type)
        for sheet in sheets:
            records = [
                (number, [_cell_text(v) for v in row])
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            if any(any(cell.strip() for cell in cells) for _, cells in records):
                return _with_merged_cells(workbook, sheet, records)
    finally:
        workbook.close()
    raise FileRejected(
        "The workbook has no values in any sheet.", "Put the return on the first sheet and send it again."
    )


def _with_merged_cells(workbook, sheet, records: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:  # type: ignore[no-untyped-def]
    """Read-only mode leaves merged cells blank but their top-left one; give them its value."""
    from transforms.xlsx_layout import fill_merged, merged_ranges

    archive, path = getattr(workbook, "_archive", None), getattr(sheet, "_worksheet_path", None)
    if archive is None or path is None:
        return records
    return fill_merged(records, merged_ranges(archive, path))


# -- records to a raw table ------------------------------------------------------------------------
def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def find_header(
    records: list[tuple[int, list[str]]], return_type: ReturnType, alias_index: dict[str, str]
) -> int:
    """Index (in ``records``) of the header: the first row naming the most canonical columns."""
    best_index, best_hits = -1, 1
    for index, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        hits = {alias_index[key] for key in map(normalise_header, cells) if key in alias_index}
        anchors_found = all(anchor in hits for anchor in return_type.header_anchors)
        if anchors_found:
            return index
        if len(hits) > best_hits:
            best_index, best_hits = index, len(hits)
    if best_index < 0:
        expected = ", ".join(f"'{return_type.columns[c].label}'" for c in return_type.required)
        raise FileRejected(
            f"We could not find the header row: no row in the first {HEADER_SEARCH_ROWS} lines names the "
            f"columns we need ({expected}).",
            f"Make sure the file has one header row with column names such as {expected}; "
            f"'anchor template {return_type.name}' writes a blank return with the right headers.",
        )
    return best_index


def map_headers(
    header: list[str], return_type: ReturnType, alias_index: dict[str, str]
) -> tuple[dict[int, str], dict[str, str], list[str]]:
    positions: dict[int, str] = {}
    mapped: dict[str, str] = {}
    ignored: list[str] = []
    for position, name in enumerate(header):
        column = alias_index.get(normalise_header(name))
        if column and column not in positions.values():
            positions[position] = column
            mapped[name.strip()] = column
        elif name.strip():
            ignored.append(name.strip())
    missing = [c for c in return_type.required if c not in positions.values()]
    if missing:
        labels = ", ".join(f"'{return_type.columns[c].label}'" for c in missing)
        examples = "; ".join(
            f"{return_type.columns[c].label}: e.g. "
            + ", ".join(f"'{a.title()}'" for a in return_type.columns[c].aliases[:3])
            for c in missing
        )
        raise FileRejected(
            f"A required column is missing: {labels}. The header row has: "
            + ", ".join(f"'{h.strip()}'" for h in header if h.strip())
            + ".",
            f"Add the column or rename yours to a name we recognise ({examples}).",
        )
    return positions, mapped, ignored


def take_record(
    line: int, cells: list[str], width: int, required_positions: list[int]
) -> tuple[list[str], None] | tuple[None, RowProblem]:
    """A non-blank data record: its cells fitted to the header's width, or the problem that sets it aside.

    Shared by the csv-module path below and the pyarrow fast path (``transforms.fast_reading``), so both
    decide every record the same way.
    """
    if _is_totals_row(cells):
        return None, RowProblem(
            line,
            "supplier_name",
            _joined(cells),
            "This looks like a totals row, so it was not loaded (the network adds up your rows itself). "
            "You can leave it in or take it out.",
            counts_towards_tolerance=False,
        )
    if len(cells) > width:
        extra = cells[width:]
        if any(cell.strip() for cell in extra):
            return None, RowProblem(
                line,
                None,
                _joined(cells),
                f"This row has {len(cells)} values but the header has {width} columns, so we cannot tell "
                "which value belongs where. A value probably contains the delimiter: put quotes around "
                'names and amounts that contain commas (e.g. "1,234.56").',
            )
        cells = cells[:width]
    elif len(cells) < width:
        if any(p >= len(cells) for p in required_positions):
            return None, RowProblem(
                line,
                None,
                _joined(cells),
                f"This row has only {len(cells)} of the {width} values the header names; the values "
                "seem to have run together (a missing delimiter or a stray quote). Check the row in "
                "your system and export it again.",
            )
        cells = cells + [""] * (width - len(cells))
    return cells, None


def build_raw_table(
    records: list[tuple[int, list[str]]],
    return_type: ReturnType,
    member_column_map: dict[str, str] | None,
    *,
    encoding: str,
    delimiter: str | None,
) -> RawTable:
    alias_index = return_type.alias_index(member_column_map)
    try:
        header_index = find_header(records, return_type, alias_index)
    except FileRejected as rejected:
        rejected.rows_read = sum(not _is_blank(cells) for _, cells in records)
        raise
    header_line, header = records[header_index]
    try:
        positions, mapped, ignored = map_headers(header, return_type, alias_index)
    except FileRejected as rejected:
        rejected.rows_read = sum(not _is_blank(cells) for _, cells in records[header_index + 1 :])
        raise
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    required_positions = [p for p, c in positions.items() if c in return_type.required]

    lines: list[int] = []
    rows: list[list[str]] = []
    problems: list[RowProblem] = []
    rows_read = 0
    for line, cells in records[header_index + 1 :]:
        if _is_blank(cells):
            continue
        rows_read += 1
        kept, problem = take_record(line, cells, width, required_positions)
        if problem is not None:
            problems.append(problem)
            continue
        lines.append(line)
        rows.append([kept[p] for p in positions])
    frame = pd.DataFrame(
        rows, columns=list(positions.values()), index=pd.Index(lines, name="row"), dtype=object
    )
    return RawTable(frame, rows_read, header_line, mapped, ignored, encoding, delimiter, problems)


def _joined(cells: list[str]) -> str:
    return ", ".join(cell for cell in cells if cell.strip())[:200]


def _is_totals_row(cells: list[str]) -> bool:
    """A "Grand Total" line summarises other rows; loading it would count the spend twice."""
    first = next((cell for cell in cells if cell.strip()), "")
    return bool(_TOTALS_RE.match(first))


def read_return(
    data: bytes, file_name: str, return_type: ReturnType, member_column_map: dict[str, str] | None = None
) -> RawTable:
    """Parse a CSV or XLSX return into a raw table; raises ``FileRejected`` for file-level problems."""
    suffix = file_name.lower().rsplit(".", 1)[-1] if "." in file_name else ""
    if not data.strip():
        raise FileRejected(
            "The file is empty.", "Export the return again and check it has rows before sending it."
        )
    if suffix == "xlsx" or data[:4] == b"PK\x03\x04":
        from transforms.xlsx_layout import join_split_header

        records = join_split_header(xlsx_records(data, return_type.name), return_type, member_column_map)
        return _with_rows(
            build_raw_table(records, return_type, member_column_map, encoding="xlsx", delimiter=None),
            return_type,
        )
    if suffix not in ("csv", "txt", ""):
        raise FileRejected(
            f"Files of type '.{suffix}' are not accepted.",
            "Send the return as a CSV file (.csv) or an Excel workbook (.xlsx).",
        )
    text, encoding = decode_text(data)
    text = _normalise_newlines(text)
    delimiter = sniff_delimiter(text)
    from transforms.fast_reading import read_clean_csv  # imports this module

    fast = read_clean_csv(text, delimiter, return_type, member_column_map, encoding=encoding)
    if fast is not None:
        return _with_rows(fast, return_type)
    records = csv_records(text, delimiter)
    return _with_rows(
        build_raw_table(records, return_type, member_column_map, encoding=encoding, delimiter=delimiter),
        return_type,
    )


def _refuse_identifying_headers(table: RawTable, return_type: ReturnType) -> None:
    """An anonymous return (recruitment) with a column of names or staff numbers is refused before any row is used."""
    if not return_type.anonymous:
        return
    found = identifying_headers([*table.mapped, *table.ignored])
    if not found:
        return
    columns = "; ".join(f"'{header}' looks like {kind}" for header, kind in found)
    raise FileRejected(
        f"This {return_type.label.lower()} return has columns that could identify people ({columns}). "
        "The network must not hold them, so the file was not loaded and none of its values are repeated here.",
        "Delete those columns (a row number column too, if that is all it is) and send the file again: only the "
        f"columns in 'anchor template {return_type.name}' are needed.",
        rows_read=table.rows_read,
    )


def _with_rows(table: RawTable, return_type: ReturnType) -> RawTable:
    _refuse_identifying_headers(table, return_type)
    if table.rows_read == 0:
        raise FileRejected(
            "The file has a header row but no data rows.",
            "Check the export covered the right period and had rows before sending it.",
            rows_read=0,
        )
    return table


def count_rows(data: bytes, file_name: str, return_type: ReturnType) -> int:
    """Records a file brought, for the accounting of files rejected before or while being read."""
    try:
        return read_return(data, file_name, return_type).rows_read
    except FileRejected as rejected:
        if rejected.rows_read is not None:
            return rejected.rows_read
    try:
        text, _ = decode_text(data)
    except FileRejected:
        return 0
    return sum(1 for line in _normalise_newlines(text).split("\n") if line.strip())

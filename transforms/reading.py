"""Turn the bytes of a member's export into a table of raw text cells keyed by file line number.

Everything a finance system can do to a CSV happens here: byte-order marks, Windows-1252 text,
old Mac line endings, a preamble of report parameters before the header, any of the common
delimiters, rows whose fields ran together. Cells stay text; typing is the next step's job, so
that a member can be told exactly which value on which line was not understood.
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import AnyStr

from charset_normalizer import from_bytes

from transforms.fast_reading import read_clean_csv
from transforms.headers import recogniser
from transforms.identifiers import identifying_headers
from transforms.limits import DEFAULT_LIMITS, ReadLimits, file_too_big, too_many_rows
from transforms.raw_table import HEADER_SEARCH_ROWS, FileRejected, RawTable, build_raw_table, csv_records
from transforms.return_types import ReturnType
from transforms.xlsx_stream import SheetRead, WorkbookRefused, read_workbook

DELIMITERS = (",", ";", "\t", "|")
# Text exports by the names systems give them (the delimiter is found from the text, whatever the name).
TEXT_SUFFIXES = ("csv", "tsv", "txt")


# -- bytes to records ------------------------------------------------------------------------------
def _not_as_marked(data: bytes, exc: UnicodeDecodeError, marked: str) -> FileRejected:
    line = data[: exc.start].count(b"\n") + 1
    return FileRejected(
        f"The file is marked as {marked} text, but line {line} holds bytes that are not {marked}: part of it "
        "was probably saved in another encoding, or the file was joined from two exports.",
        "Open the file in Excel and use File > Save As > 'CSV UTF-8 (Comma delimited)', then send it again.",
    )


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode an export, preferring what UK finance systems actually produce (UTF-8, then Windows-1252).

    Never raises anything but ``FileRejected``: a file whose bytes contradict its own byte-order mark is
    refused with the line where it goes wrong.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _not_as_marked(data[3:], exc, "UTF-8") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _not_as_marked(data, exc, "UTF-16") from None
        if "\x00" in text or (b"\x00" not in data[2:4096] and len(data) > 8):
            # UTF-16 of ordinary text is half zero bytes; a mark on text without them is a mark on UTF-8.
            raise FileRejected(
                "The file starts with a UTF-16 marker, but its text is not UTF-16 (it looks like UTF-8 "
                "with a stray marker), so we cannot be sure of reading it correctly.",
                "Open the file in Excel and use File > Save As > 'CSV UTF-8 (Comma delimited)', then send it again.",
            )
        return text, "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = None if b"\x00" in data[:4096] else _utf8_with_stray_bytes(data)
    if mixed is not None:
        return mixed, MIXED_UTF8
    try:
        if b"\x00" in data[:4096]:
            match = from_bytes(data[:65536], cp_isolation=["utf_16", "utf_16_le", "utf_16_be"]).best()
            if match is None:
                raise FileRejected(
                    "This does not look like a CSV or Excel file (it contains binary data).",
                    "Export the return from your system as CSV (comma separated) or as an Excel .xlsx workbook.",
                )
            return data.decode(match.encoding), match.encoding
        # Windows-1252 decodes almost any byte string, so ask charset-normalizer only to tell it apart
        # from the few other single-byte encodings UK exports use.
        match = from_bytes(data[:65536], cp_isolation=["cp1252", "iso8859_15", "mac_roman"]).best()
        encoding = match.encoding if match is not None else "cp1252"
        return data.decode(encoding), encoding
    except (UnicodeError, LookupError):
        raise FileRejected(
            "We could not read the text of this file: it is not UTF-8 or Windows-1252.",
            "In Excel use File > Save As > 'CSV UTF-8 (Comma delimited)' and send the file again.",
        ) from None


# A UTF-8 file with a few bytes of Windows-1252 in it: a cell pasted from an older system, or two exports
# joined. Read as Windows-1252 throughout, every '£' and 'é' of the UTF-8 part would turn into 'Â£' and
# 'Ã©' (amounts unreadable, names changed); read as UTF-8 with those few bytes read as Windows-1252, only
# the few cells that hold them are as the other system wrote them.
MIXED_UTF8 = "utf-8+cp1252"  # as recorded with the submission (submissions.encoding, 20 characters)


def _cp1252_for_stray_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("anchor.cp1252", _cp1252_for_stray_bytes)


def _utf8_with_stray_bytes(data: bytes) -> str | None:
    """The text of a file that is mostly UTF-8 (at least as many characters written as UTF-8 sequences
    as bytes that are not UTF-8), or None. Counted from lengths, without a pass in Python: with
    ``surrogateescape`` each stray byte is one character and each UTF-8 sequence of k bytes one
    character, and encoding that text with ``ignore`` drops exactly the stray bytes."""
    text = data.decode("utf-8", errors="surrogateescape")
    if len(text) == len(data):  # no UTF-8 sequence at all: a single-byte encoding
        return None
    stray = len(data) - len(text.encode("utf-8", errors="ignore"))
    written_as_utf8 = len(text) - len(text.encode("ascii", errors="ignore")) - stray
    if written_as_utf8 < stray:
        return None
    return data.decode("utf-8", errors="anchor.cp1252")


def _utf8_bytes(data: bytes, encoding: str) -> bytes | None:
    """The normalised text's own UTF-8 bytes when the file is UTF-8, without encoding the text again
    ('\\r' and '\\n' are single bytes in UTF-8, never part of another character)."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    return _normalise_newlines(data[3:] if encoding == "utf-8-sig" else data)


def _normalise_newlines(text: AnyStr) -> AnyStr:
    if isinstance(text, bytes):
        return text.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in text else text
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


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


def xlsx_records(
    data: bytes,
    return_type: ReturnType,
    member_column_map: dict[str, str] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> list[tuple[int, list[str]]]:
    """Rows of the sheet that holds the return: the one named after the return type, else the first
    visible sheet whose rows name the return's key columns, else the first that names any of them, else
    the first with any values. Headers over two rows are joined (``xlsx_layout.join_split_header``).

    Read as a stream within the limits (``transforms.xlsx_stream``); merged cells take their top-left value.
    """
    from transforms.xlsx_layout import fill_merged, join_split_header

    names = recogniser(return_type, member_column_map)
    anchors = set(return_type.header_anchors)

    prepared: dict[int, tuple[SheetRead, list[tuple[int, list[str]]]]] = {}

    def rows(sheet: SheetRead) -> list[tuple[int, list[str]]]:
        """The sheet's records as read (merged cells filled, a split header joined), once per sheet: the
        sheet chosen is the one scored."""
        if id(sheet) not in prepared:
            records = fill_merged(sheet.records, sheet.merged)
            prepared[id(sheet)] = (sheet, join_split_header(records, return_type, member_column_map))
        return prepared[id(sheet)][1]

    def score(sheet: SheetRead) -> int:
        """2: a row names the key columns; 1: a row names two of the return's columns; 0: neither."""
        named = [names.columns_named(cells) for _, cells in rows(sheet)[:HEADER_SEARCH_ROWS]]
        return 2 if any(anchors <= hits for hits in named) else int(any(len(hits) > 1 for hits in named))

    try:
        sheet = read_workbook(data, return_type.name, limits, score)
    except WorkbookRefused as refused:
        raise FileRejected(refused.reason, refused.how_to_fix) from None
    return rows(sheet)


def read_return(
    data: bytes,
    file_name: str,
    return_type: ReturnType,
    member_column_map: dict[str, str] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> RawTable:
    """Parse a CSV or XLSX return into a raw table; raises ``FileRejected`` for file-level problems,
    a file past the network's limits among them (``transforms.limits``)."""
    suffix = file_name.lower().rsplit(".", 1)[-1] if "." in file_name else ""
    if len(data) > limits.max_file_bytes:
        raise FileRejected(*file_too_big(len(data), limits))
    if not data or data.isspace():  # (not data.strip(), without copying the file)
        raise FileRejected(
            "The file is empty.", "Export the return again and check it has rows before sending it."
        )
    if suffix == "xlsx" or data[:4] == b"PK\x03\x04":
        records = xlsx_records(data, return_type, member_column_map, limits)
        return _with_rows(
            build_raw_table(records, return_type, member_column_map, encoding="xlsx", delimiter=None),
            return_type,
            limits,
        )
    if suffix not in (*TEXT_SUFFIXES, ""):
        raise FileRejected(
            f"Files of type '.{suffix}' are not accepted.",
            "Send the return as a CSV file (.csv) or an Excel workbook (.xlsx).",
        )
    text, encoding = decode_text(data)
    encoded = _utf8_bytes(data, encoding)
    if encoded is None:
        text = _normalise_newlines(text)
    elif "\r" in text:  # newlines normalised once, in the bytes; their text is the normalised text
        text = encoded.decode("utf-8")
    delimiter = sniff_delimiter(text)

    fast = read_clean_csv(
        text,
        delimiter,
        return_type,
        member_column_map,
        encoding=encoding,
        max_columns=limits.max_columns,
        encoded=encoded,
    )
    if fast is not None:
        return _with_rows(fast, return_type, limits)
    records = csv_records(text, delimiter, limits)
    return _with_rows(
        build_raw_table(records, return_type, member_column_map, encoding=encoding, delimiter=delimiter),
        return_type,
        limits,
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


def _with_rows(table: RawTable, return_type: ReturnType, limits: ReadLimits = DEFAULT_LIMITS) -> RawTable:
    if table.rows_read > limits.max_rows:
        raise FileRejected(*too_many_rows(limits), rows_read=table.rows_read)
    _refuse_identifying_headers(table, return_type)
    if table.rows_read == 0:
        raise FileRejected(
            "The file has a header row but no data rows.",
            "Check the export covered the right period and had rows before sending it.",
            rows_read=0,
        )
    return table


def count_rows(
    data: bytes, file_name: str, return_type: ReturnType, limits: ReadLimits = DEFAULT_LIMITS
) -> int:
    """Records a file brought, for the accounting of files rejected before or while being read.

    A file past the limits, or an Excel file that cannot be read, is not counted line by line (0).
    """
    try:
        return read_return(data, file_name, return_type, limits=limits).rows_read
    except FileRejected as rejected:
        if rejected.rows_read is not None:
            return rejected.rows_read
    if len(data) > limits.max_file_bytes or data[:4] == b"PK\x03\x04":
        return 0
    try:
        text, _ = decode_text(data)
    except FileRejected:
        return 0
    return sum(1 for line in _normalise_newlines(text).split("\n") if line.strip())

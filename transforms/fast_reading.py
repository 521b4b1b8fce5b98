"""The fast path for big, well-formed CSV exports: pyarrow's C parser instead of the csv module.

``read_clean_csv`` returns exactly the ``RawTable`` that the csv-module path in ``transforms.reading``
would build (same cells, same file line numbers, same row problems and counts), or ``None`` when it
cannot be sure of that; the caller then takes the csv-module path. It is sure when every physical line
after the header is one record: no value spans two lines and every quote sits where CSV allows it
(checked with a regular expression on the lines that have quotes). Within that, anything unusual is
left to the csv-module code, record by record: lines with too many or too few values, blank lines,
possible totals rows and values beyond the header's width go through ``reading.take_record``; only the
plain records, the overwhelming majority, are decided column at a time.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from transforms.headers import recogniser
from transforms.raw_table import (
    HEADER_SEARCH_ROWS,
    FileRejected,
    RawTable,
    RowProblem,
    csv_records,
    find_header,
    is_blank,
    map_headers,
    take_record,
)
from transforms.re2_classes import WHITESPACE
from transforms.return_types import ReturnType

# Below this size the csv-module path is as fast (its cost and the fast path's fixed cost cross near
# 50 KB: a 58 KB, 1,000-row workforce file reads in 7 ms either way; 236 KB, 34 ms against 9 ms), and it
# is the reference behaviour.
MIN_CHARS = 64 * 1024
_HEAD_LINES = 4 * HEADER_SEARCH_ROWS
# The csv module refuses longer fields (csv.field_size_limit()); leave such lines to it.
_MAX_LINE = 131_072
_UTF8_MARK = b"\xef\xbb\xbf"
# More irregular lines than this and the record-by-record part would dominate: not worth it.
_MAX_IRREGULAR_SHARE = 0.01
_QUOTED_VALUE = r'"(?:[^"]|"")*"'
# A line with a value that could be a totals label ("Grand Total", "Totals:", "Sub-total", "Overall
# total") is looked at record by record. This is the start of every label raw_table's _TOTALS_RE accepts,
# in RE2 (ſ folds to s in Python's re), so "Total Gas & Power" is looked at and "Supplier Digital Ltd"
# is not. A line without a visible character may be a blank record, and is looked at too.
_TOTALS_LABEL = f"(?:grand{WHITESPACE}*|[sſ]ub-?{WHITESPACE}*|overall{WHITESPACE}*)?total"


def _well_formed_line(d: str) -> str:
    """A whole line of values, each unquoted without quotes, or quoted with quotes doubled inside."""
    field = f'(?:[^"{d}\\n]*|{_QUOTED_VALUE})'
    return f"^{field}(?:{d}{field})*\\n?$"


def _line_array(data: bytes, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The lines of ``data`` as an Arrow string array, without copying (each line keeps its newline)."""
    offsets = np.append(starts, ends[-1]).astype(np.int64)
    return pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))


def read_clean_csv(
    text: str,
    delimiter: str,
    return_type: ReturnType,
    member_column_map: dict[str, str] | None,
    *,
    encoding: str,
    max_columns: int | None = None,
    encoded: bytes | None = None,
) -> RawTable | None:
    """The raw table of a CSV export (newlines already normalised to ``\\n``), or None to use the csv module
    (which also refuses a line wider than ``max_columns``).

    ``encoded`` is ``text`` in UTF-8 when the caller has those bytes already (a UTF-8 file, its newlines
    normalised in bytes, is its own encoding): the body is then not encoded a second time.
    """
    if len(text) < MIN_CHARS or len(delimiter) != 1 or not delimiter.isascii():
        return None
    # -- the header, found exactly as the csv-module path finds it -----------------------------------
    head_end = -1
    for _ in range(_HEAD_LINES):
        head_end = text.find("\n", head_end + 1)
        if head_end < 0:
            head_end = len(text)
            break
    try:
        head = csv_records(text[: head_end + 1], delimiter)
    except FileRejected:
        return None
    if head_end < len(text):
        # Only the records before the cut are certainly whole; the header search needs the first 50.
        if len(head) <= HEADER_SEARCH_ROWS:
            return None  # values spanning lines in the first lines: leave it to the csv module
        head = head[:HEADER_SEARCH_ROWS]
    names = recogniser(return_type, member_column_map)
    try:
        header_index = find_header(head, return_type, names)
        header_line, header = head[header_index]
        mapping = map_headers(header, return_type, names)
    except FileRejected:
        return None  # the csv-module path words the rejection and counts the rows
    if header_index + 1 >= len(head) or head[header_index + 1][0] != header_line + 1:
        return None  # the header spans lines, or nothing follows it in the lines read
    positions = mapping.positions
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    required = return_type.required_sent(positions.values())
    required_positions = [p for p, c in positions.items() if c in required]

    # -- the body: one record per physical line? ----------------------------------------------------
    whole = encoded if encoded is not None else text.encode("utf-8")
    offset = 0
    for _ in range(header_line):  # the same lines, counted in bytes ('\n' is one byte in UTF-8)
        offset = whole.index(b"\n", offset) + 1
    data = whole[offset:]
    if b"\x00" in data or not data or data.isspace() or data.startswith(_UTF8_MARK):
        # A byte-order mark opening the body (the header's line was read): pyarrow would take it for the
        # mark of its input and drop it, while it is a character of the first record's first cell.
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == 10)
    n_lines = len(newlines) + (0 if data.endswith(b"\n") else 1)
    starts = np.concatenate(([0], newlines + 1))[:n_lines]
    ends = np.concatenate((newlines, [len(data)]))[:n_lines]
    lengths = ends - starts
    if lengths.max() > _MAX_LINE:
        return None
    bounds = np.append(starts, len(data))
    lines = _line_array(data, starts, bounds[1:])
    d = re.escape(delimiter)
    if b'"' in data:
        has_quotes = pc.match_substring(lines, '"')
        if not pc.all(
            pc.or_(pc.invert(has_quotes), pc.match_substring_regex(lines, _well_formed_line(d)))
        ).as_py():
            return None
    # Every line is one record, so pyarrow counts each line's values as the csv module would. It reads
    # each line with the number of values the head's records usually have, and hands over every line
    # with another number (``InvalidRow``): no pass over the file's delimiters and quotes here.
    n_fields = _most_common(Counter(len(cells) for _, cells in head[header_index + 1 :] if cells))
    if n_fields < max(width, 2) or (max_columns is not None and n_fields > max_columns):
        return None
    most_irregular = max(20, _MAX_IRREGULAR_SHARE * n_lines)
    # Lines that may hold a blank record or a totals label: decided record by record below.
    visible = "".join(re.escape(c) for c in map(chr, range(33, 127)) if c not in ('"', delimiter))
    blank_lines = np.flatnonzero(
        pc.invert(pc.match_substring_regex(lines, f"[{visible}]")).to_numpy(zero_copy_only=False)
    )
    # Every totals label ends in 'total' (in ASCII letters, whatever the case: RE2 folds no other letter
    # onto t, o, a or l), so only the lines holding it need the label's pattern: a plain search first.
    with_total = np.flatnonzero(
        pc.match_substring(lines, "total", ignore_case=True).to_numpy(zero_copy_only=False)
    )
    labelled = pc.match_substring_regex(
        lines.take(pa.array(with_total)), f'(?i)(?:^|{d})"?{WHITESPACE}*{_TOTALS_LABEL}'
    )
    candidate_lines = np.union1d(blank_lines, with_total[labelled.to_numpy(zero_copy_only=False)])
    skipped: list[str] = []
    skipped_widths: list[int] = []

    def _skip(row: Any) -> str:
        skipped.append(row.text)
        skipped_widths.append(row.actual_columns)
        # Past _MAX_IRREGULAR_SHARE pyarrow stops (an error), and the csv module reads the file.
        return "skip" if len(skipped) <= most_irregular else "error"

    names = [f"f{i}" for i in range(n_fields)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=_skip,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if max_columns is not None and max(skipped_widths, default=0) > max_columns:
        return None  # the csv module refuses the file
    # The width taken must be the most common of the non-blank lines, or the csv module reads the file.
    widths = Counter(skipped_widths)
    widths[n_fields] += table.num_rows - int(np.count_nonzero(lengths == 0))
    if _most_common(widths) != n_fields:
        return None
    irregular = _lines_holding(lines, skipped)
    irregular_text = [data[starts[i] : ends[i]].decode("utf-8") for i in irregular]
    if table.num_rows != n_lines - len(irregular) or sorted(skipped) != sorted(irregular_text):
        return None  # pyarrow and the line scan disagree: trust neither
    regular = np.delete(np.arange(n_lines), irregular)
    first_line = header_line + 1

    # -- records that need the record-by-record rules -----------------------------------------------
    columns = table.columns
    special = np.zeros(table.num_rows, dtype=bool)
    in_table = np.searchsorted(regular, candidate_lines)
    found = in_table < len(regular)
    found[found] = regular[in_table[found]] == candidate_lines[found]
    special[in_table[found]] = True
    for column in columns[len(header) :]:  # values beyond the header's last cell, named or not
        special |= pc.greater(pc.utf8_length(column), 0).to_numpy(zero_copy_only=False)
    special_rows = np.flatnonzero(special)

    keep = np.ones(table.num_rows, dtype=bool)
    decided: list[tuple[int, list[str] | None, RowProblem | None]] = []
    for i in special_rows:
        line = first_line + int(regular[i])
        kept, problem = _decide(
            line, [column[int(i)].as_py() for column in columns], width, required_positions, len(header)
        )
        if kept is None:
            keep[i] = False
            decided.append((line, None, problem))
        # A kept record of the header's width keeps its values: the header maps no position past ``width``.
    for i, line_text in zip(irregular, irregular_text, strict=True):
        line = first_line + int(i)
        cells = next(csv.reader([line_text], delimiter=delimiter), [])
        decided.append((line, *_decide(line, cells, width, required_positions, len(header))))
    decided.sort(key=lambda d: d[0])

    blank = sum(1 for _, kept, problem in decided if kept is None and problem is None)
    rows_read = table.num_rows + len(irregular) - blank
    problems = [problem for _, _, problem in decided if problem is not None]
    mask = None if keep.all() else pa.array(keep)  # (filtering copies every value)
    frame = pd.DataFrame(
        {
            canonical: _as_str(columns[position] if mask is None else columns[position].filter(mask))
            for position, canonical in positions.items()
        },
        index=pd.Index(first_line + regular[keep], name="row"),
    )
    extra = [(line, kept) for line, kept, _ in decided if kept is not None]
    if extra:
        added = pd.DataFrame(
            [[kept[p] for p in positions] for _, kept in extra],
            columns=list(positions.values()),
            index=pd.Index([line for line, _ in extra], name="row"),
            dtype="str",
        )
        frame = pd.concat([frame, added]).sort_index(kind="stable")
    return RawTable(
        frame,
        rows_read,
        header_line,
        mapping.mapped,
        list(mapping.ignored),
        encoding,
        delimiter,
        problems,
        mapping.matches,
    )


def _most_common(widths: Counter[int]) -> int:
    """The most common number of values among lines that are not empty (the smaller of two as common),
    or 0 when there are none."""
    return min(widths, key=lambda w: (-widths[w], w)) if widths else 0


def _lines_holding(lines: pa.Array, texts: list[str]) -> np.ndarray:
    """Positions of the lines (each with its newline, the last perhaps without) whose text is one of
    ``texts``: a line with the same text as an irregular line has as many values, so it is one too."""
    if not texts:
        return np.array([], dtype=np.int64)
    wanted = pa.array([*texts, *(text + "\n" for text in texts)], pa.large_string())
    return np.flatnonzero(pc.is_in(lines, value_set=wanted).to_numpy(zero_copy_only=False))


def _decide(
    line: int, cells: list[str], width: int, required_positions: list[int], written: int
) -> tuple[list[str] | None, RowProblem | None]:
    """(cells, None) to keep, (None, problem) to set aside, (None, None) for a blank line."""
    if is_blank(cells):
        return None, None
    kept, problem = take_record(line, cells, width, required_positions, written)
    return kept, problem


def _as_str(values: pa.ChunkedArray) -> Any:
    """pandas' own string array over the Arrow data (no Python objects)."""
    return pd.array(values.combine_chunks(), dtype="str")

"""Excel layouts that a plain cell-by-cell read gets wrong: merged cells and headers split over two rows.

A sheet read cell by cell (``transforms.xlsx_stream``) holds a merged range's value in its top-left cell
only, so a header such as "Supplier" merged over "Name" and "Postcode" loses its words. Here the top-left
value is copied over the range (ranges come clamped to the cells the sheet really has); then a header
written over two rows ("Payment" / "Date") is joined into one row when no single row names the
return's key columns.
"""

from __future__ import annotations

import re
from itertools import zip_longest

from transforms.headers import recogniser
from transforms.return_types import ReturnType

HEADER_SEARCH_ROWS = 50
_NUMBER_RE = re.compile(r"^\s*[-(]?\s*£?\s*[\d,]+(?:\.\d+)?\s*\)?\s*$")
_DATE_RE = re.compile(r"^\s*\d{1,4}[/\-.]\d{1,2}[/\-.]\d{1,4}")

Range = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based, inclusive)


def fill_merged(records: list[tuple[int, list[str]]], ranges: list[Range]) -> list[tuple[int, list[str]]]:
    """Copy each merged range's top-left value over the whole range (records are keyed by sheet row)."""
    if not ranges:
        return records
    by_line = {line: index for index, (line, _) in enumerate(records)}
    for r1, c1, r2, c2 in ranges:
        if r1 not in by_line:
            continue
        top = records[by_line[r1]][1]
        value = top[c1 - 1] if c1 - 1 < len(top) else ""
        if not value.strip():
            continue
        for line in range(r1, r2 + 1):
            if line not in by_line:
                continue
            cells = records[by_line[line]][1]
            if len(cells) < c2:
                cells.extend([""] * (c2 - len(cells)))
            for column in range(c1 - 1, c2):
                if not cells[column].strip():
                    cells[column] = value
    return records


def _join(top: str, bottom: str) -> str:
    top, bottom = top.strip(), bottom.strip()
    if not top or top == bottom:
        return bottom
    return f"{top} {bottom}" if bottom else top


def _looks_like_data(cells: list[str]) -> bool:
    """A row with an amount or a date in it is a record, never the second line of a header."""
    return any(_NUMBER_RE.match(cell) or _DATE_RE.match(cell) for cell in cells)


def join_split_header(
    records: list[tuple[int, list[str]]], return_type: ReturnType, member_column_map: dict[str, str] | None
) -> list[tuple[int, list[str]]]:
    """Join a header written over two rows ("Supplier" over "Name") into one row, keyed by its second line.

    The pair is joined only when, together, the two rows name more of the return's columns than any
    single row does (and include its key columns), and the lower row holds no amounts or dates; an
    ordinary one-row header is never changed.
    """
    names = recogniser(return_type, member_column_map).columns_named
    anchors = set(return_type.header_anchors)

    head = records[:HEADER_SEARCH_ROWS]
    single = next((i for i, (_, cells) in enumerate(head) if anchors <= names(cells)), None)
    if single is None:
        pairs, best_count = range(len(head) - 1), 0
    else:
        pairs, best_count = (single - 1, single), len(names(head[single][1]))
    best = None
    for index in pairs:
        if index < 0 or index + 1 >= len(head):
            continue
        (_, top), (_, bottom) = head[index], head[index + 1]
        if not any(c.strip() for c in top) or _looks_like_data(bottom) or _looks_like_data(top):
            continue
        joined = [_join(a, b) for a, b in zip_longest(top, bottom, fillvalue="")]
        found = names(joined)
        if anchors <= found and len(found) > best_count:
            best, best_count = (index, joined), len(found)
    if best is None:
        return records
    index, joined = best
    return [*records[:index], (records[index + 1][0], joined), *records[index + 2 :]]

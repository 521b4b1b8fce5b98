"""Rows that repeat the file's column headings: set aside, never read as data.

Two kinds of export put the heading row in the middle of the data: a return made by joining exports
(a quarter built from three monthly files, each with its headings and often its own byte-order mark),
and report-style exports that print the headings again at the top of every page. Read as data, each
such line is a row of unreadable values (four reasons for one line, and a transaction id
"Transaction ID" used more than once) counted against the member's tolerance. Like a totals row it is
no fault of the data: it is listed so the member can find it, not loaded, not counted.

A row repeats the headings when each of the return's required columns holds its heading and every other
non-blank cell is the heading of its own column too, compared without the spaces at their edges, runs of
spaces, invisible characters at the edges of words (byte-order marks, zero-width spaces) and the case of
ASCII letters. A payment whose supplier happens to be called "Supplier Name" still has an amount that is
not a heading.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping

import pandas as pd
import pyarrow.compute as pc

from transforms.raw_table import HEADING_KIND, RawTable, arrow_text, shown_cells
from transforms.return_types import ReturnType

# Characters a member cannot see that exports leave at the start of a line or a value.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def plain(text: str) -> str:
    """A heading or a value as compared here: spaces collapsed, invisible characters at the edges of its
    words dropped, ASCII letters in lower case (as Arrow's ``ascii_lower``, so that the word the pass
    below looks for is found in every value that compares equal)."""
    words = (word.strip(_INVISIBLE) for word in text.split())
    return " ".join(word for word in words if word).translate(_ASCII_LOWER)


def repeated_heading_rows(
    frame: pd.DataFrame, headings: Mapping[str, str], required: Collection[str]
) -> list[int]:
    """The rows (index labels, file lines) of ``frame`` that repeat ``headings`` (column -> its heading):
    every ``required`` column holds its heading and every other non-blank cell its own."""
    wanted = {c: plain(h) for c, h in headings.items() if c in frame.columns and plain(h)}
    needed = [c for c in required if c in wanted]
    if len(needed) < 2 or len(needed) < len(set(required)) or frame.empty:
        return []
    # One pass over one required column (0.5-2 ms per 100,000 values) finds the few rows worth comparing
    # cell by cell: a cell equal to its heading holds, in ASCII lower case, the heading's longest ASCII
    # word. The column with the fewest bytes is searched. Headings without such a word are not looked
    # for: their rows stay rows (with problems), never a pass over every row in Python.
    probes = []
    for column in needed:
        words = [word for word in wanted[column].split() if word.isascii() and word.isalnum()]
        if words:
            values = arrow_text(frame[column])
            probes.append((values.nbytes, column, max(words, key=len), values))
    if not probes:
        return []
    _, _, word, values = min(probes, key=lambda probe: probe[0])
    held = pc.fill_null(pc.match_substring(pc.ascii_lower(values), word), False)
    found = []
    for row in frame.index[held.to_numpy(zero_copy_only=False)]:
        cells = {c: frame.at[row, c] for c in wanted}
        sent = {c: plain(v) for c, v in cells.items() if isinstance(v, str) and plain(v)}
        if all(c in sent for c in needed) and all(wanted[c] == value for c, value in sent.items()):
            found.append(row)
    return found


def set_aside_repeated_headings(raw: RawTable, return_type: ReturnType) -> RawTable:
    """``raw`` without the rows that repeat its headings, which become set-aside problems of ``raw``."""
    headings = {match.column: match.header for match in raw.header_matches}
    rows = repeated_heading_rows(raw.frame, headings, return_type.required_sent(raw.frame.columns))
    return raw.set_aside(
        {
            row: shown_cells(
                v.strip().strip(_INVISIBLE).strip() for v in raw.frame.loc[row] if isinstance(v, str)
            )
            for row in rows
        },
        "This row repeats the column headings (as where two exports are joined into one file, or a report "
        "prints its headings on every page), so it was not read as data. You can leave it in or take it out.",
        HEADING_KIND,
    )

"""Lines of text that carry no payment: set aside, never read as data.

Report-style exports print more than their rows: a page number at the foot of every page ("Page 3 of
12"), a print stamp ("Printed on 01/10/2025 by JSMITH"), a section title above a group of lines
("Housing Services"), "End of report". Read as data, each is a row with no supplier and no amount
(three reasons for one line) counted against the member's tolerance: a long report can be held back by
its own page numbers. Like a totals row it is no fault of the data: it is listed so the member can find
it, not loaded, not counted.

A line is a note when its non-blank cells all hold the same text (a merged cell in a workbook repeats its
text across the cells it covers) and that text is no value of a required column: the supplier's column
is blank, and a required amount or date column is blank or holds text that is not an amount or a date
(a page number printed under the amounts). A line with a supplier but no amount, or an amount but no
supplier (a total), is a row like any other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.coercion import parse_dates, parse_money, parse_numbers
from transforms.raw_table import NOTE_KIND, RawTable, arrow_text, shown_cells
from transforms.return_types import ReturnType


def _trimmed(values: pd.Series) -> pa.Array:
    return pc.utf8_trim_whitespace(arrow_text(values))


# Required columns of these kinds may hold a note's text (a page number printed under the amounts):
# what is not a value of their kind is no value of theirs.
_READERS = {"money": parse_money, "number": parse_numbers, "date": parse_dates}


def note_rows(frame: pd.DataFrame, return_type: ReturnType) -> list[int]:
    """The rows (index labels, file lines) of ``frame`` (raw text cells) whose non-blank cells, at least
    one, all hold the same text, which is no value of a required column: the required amounts and dates
    are blank or hold text that does not read as one, and the required text columns (the supplier) are
    blank or, with every other required column, hold that text (a title merged across the line). A
    supplier without an amount is a payment with a problem, never a note."""
    required = [c for c in return_type.required_sent(frame.columns) if c in frame.columns]
    if not required or frame.empty:
        return []
    typed = [c for c in required if return_type.columns[c].kind in _READERS]
    texts = [c for c in required if c not in typed]
    trimmed = {c: _trimmed(frame[c]) for c in required}
    # The few candidates, found by kernels: text columns blank, or every required column the same text.
    blank = np.ones(len(frame), dtype=bool)
    for column in texts:
        blank &= pc.fill_null(pc.equal(trimmed[column], ""), True).to_numpy(zero_copy_only=False)
    same = np.full(len(frame), len(required) > 1)  # (one required column: its blanks alone)
    for column in required[1:]:
        same &= pc.fill_null(pc.equal(trimmed[column], trimmed[required[0]]), False).to_numpy(
            zero_copy_only=False
        )
    found = []
    for row in frame.index[blank | same]:
        cells = frame.loc[row]
        held = {v.strip() for v in cells if isinstance(v, str) and v.strip()}
        if len(held) == 1 and all(_no_value(cells[c], return_type.columns[c].kind) for c in typed):
            found.append(row)
    return found


def _no_value(cell: object, kind: str) -> bool:
    if not isinstance(cell, str) or not cell.strip():
        return True
    return bool(_READERS[kind](pd.Series([cell], dtype="string")).isna().all())


def set_aside_note_lines(raw: RawTable, return_type: ReturnType) -> RawTable:
    """``raw`` without its note lines, which become set-aside problems of ``raw``."""
    return raw.set_aside(
        {
            row: shown_cells(
                [next(v.strip() for v in raw.frame.loc[row] if isinstance(v, str) and v.strip())]
            )
            for row in note_rows(raw.frame, return_type)
        },
        "This line holds a note and no payment (such as a page number, a print date or a section title, "
        "with no supplier and no amount), so it was not read as data. You can leave it in or take it out.",
        NOTE_KIND,
    )

"""Cells a spreadsheet would run as a formula, made inert before a member's values go back to them.

A problem CSV quotes what the member's file held; opened in Excel, a value such as ``=HYPERLINK(...)``
or ``@SUM(...)`` would run as a formula (CSV injection). A value starting with a formula character is
written with a leading apostrophe, the spreadsheet convention for "this is text", unless it is plainly
a number (``-250.00`` stays a negative amount).
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow.compute as pc

from transforms.raw_table import arrow_text

# What Excel, LibreOffice and Google Sheets treat as the start of a formula (tab and carriage return too:
# a cell may begin with them before the formula character).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?£?\d[\d,]*(\.\d+)?$")


def inert(value: object) -> object:
    """``value``, or its text with a leading apostrophe when a spreadsheet would read it as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS) or _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


# Excel's way of keeping a value as text in an export: the formula ="000123" (its result, the text
# 000123, keeps its leading zeros). Systems write it into CSV files for references and sometimes amounts.
_TEXT_FORMULA = r'^="((?:[^"]|"")*)"$'


def text_formulas_unwrapped(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (raw text cells) with each cell written as Excel's ``="..."`` replaced by the text it
    shows (``="000123"`` -> ``000123``, a doubled quote inside as one): the value the member sees in
    Excel. Any other formula is left as written (and is unreadable where a value is expected). One
    kernel per column; a column without such a cell is left untouched."""
    unwrapped = {}
    for column in frame.columns:
        text = arrow_text(frame[column])
        if not pc.any(pc.starts_with(text, '="')).as_py():
            continue
        cells = pd.Series(frame[column].array, index=frame.index, dtype="string")
        inner = cells.str.replace(_TEXT_FORMULA, r"\1", regex=True).str.replace('""', '"', regex=False)
        unwrapped[column] = inner.where(cells.str.fullmatch(_TEXT_FORMULA, na=False), cells)
    return frame.assign(**unwrapped) if unwrapped else frame

"""Cells a spreadsheet would run as a formula, made inert before a member's values go back to them.

A problem CSV quotes what the member's file held; opened in Excel, a value such as ``=HYPERLINK(...)``
or ``@SUM(...)`` would run as a formula (CSV injection). A value starting with a formula character is
written with a leading apostrophe, the spreadsheet convention for "this is text", unless it is plainly
a number (``-250.00`` stays a negative amount).
"""

from __future__ import annotations

import re

# What Excel, LibreOffice and Google Sheets treat as the start of a formula (tab and carriage return too:
# a cell may begin with them before the formula character).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?£?\d[\d,]*(\.\d+)?$")


def inert(value: object) -> object:
    """``value``, or its text with a leading apostrophe when a spreadsheet would read it as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS) or _PLAIN_NUMBER.match(value):
        return value
    return "'" + value

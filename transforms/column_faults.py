"""Faults of a whole column, made by the export rather than by the data: said once, with the fix.

When the date column of a quarter lost its format, every row holds "00:00:00"; telling the member so
on 3,836 rows hides the one thing they need to know: what went wrong in the export and how to redo it.
Here each column the file sent is looked at as a whole, on its raw text, before any row is checked.
A fault is reported only when (nearly) every row has it in the same way; a few bad values are still
row problems, so a member is never told their export is broken because of one typo.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.raw_table import arrow_text
from transforms.re2_classes import WHITESPACE
from transforms.return_types import ReturnType

# "Nearly every row": the share of a column's rows that must show the same fault.
NEARLY_ALL = 0.9
# Below this many faulty values, row-by-row reasons say it well enough.
MIN_AFFECTED = 5

FaultKind = Literal[
    "time_only", "excel_serial", "spreadsheet_error", "all_blank", "month_first", "decimal_comma"
]

_TIME_ONLY = rf"\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:{WHITESPACE}*[AaPp][Mm])?"
# Excel counts days from 30/12/1899: 10000 is 1927, 99999 is 2173; real payment dates sit in between.
_EXCEL_SERIAL = r"\d{5}(?:\.\d+)?"
_EXCEL_EPOCH = date(1899, 12, 30)
# A date written with numbers alone, perhaps with a time after it: which of the first two is the day?
_NUMERIC_DATE = r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-](?:[0-9]{2}|[0-9]{4})(?:[ T].*)?"
# An amount with a decimal comma ('1.234,56', '12,50', '1 234,5'): a comma before one or two last digits
# is never a thousands separator, which always has three after it.
_DECIMAL_COMMA = r"[-(]?[£€]?(?:[0-9]{1,3}(?:[. '][0-9]{3})+|[0-9]+),[0-9]{1,2}\)?-?"
_SPREADSHEET_ERROR = (
    r"#(?:VALUE!|REF!|N/?A|DIV/0!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|UNKNOWN!)"
)


@dataclass(frozen=True)
class ColumnFault:
    column: str
    kind: FaultKind
    affected: int  # rows showing the fault
    rows: int  # rows of the table
    example: str
    reason: str
    how_to_fix: str


def whole_column_fault(frame: pd.DataFrame, return_type: ReturnType) -> ColumnFault | None:
    """The first column whose values (nearly) all show one export fault, or None.

    ``frame`` holds the raw text cells under canonical column names (``RawTable.frame``). Columns are
    looked at in the return type's order, so a broken required column is named before an optional one.
    """
    rows = len(frame)
    if rows < MIN_AFFECTED:
        return None
    # A fault needs all but a tenth of the rows: once more than a tenth do not show it, it cannot be one.
    # So each check first looks at the column's first tenth (and one row), and at the rest only if that
    # first tenth shows the fault somewhere: a sound column costs a tenth of a full look.
    most_sound = rows - max(MIN_AFFECTED, math.ceil(NEARLY_ALL * rows))
    for column, spec in return_type.columns.items():
        if column not in frame.columns:
            continue
        checks = checks_for(spec.kind, spec.required)
        head = frame[column].iloc[: most_sound + 1]
        checks = may_show(checks, head)
        if not checks:
            continue
        head = column_text(head)
        checks = [check for check in checks if (check.on_the_head or check.find)(head) is not None]
        if not checks:
            continue
        text = head if len(head) == rows else column_text(frame[column])
        found = [fault for check in checks if (fault := check.find(text)) is not None]
        if not found:
            continue
        kind, affected, example = max(found, key=lambda fault: fault[1])
        if affected >= MIN_AFFECTED and affected >= NEARLY_ALL * rows:
            label = spec.label or column
            reason, how_to_fix = _MESSAGES[kind](label, affected, rows, example)
            return ColumnFault(column, kind, affected, rows, example, reason, how_to_fix)
    return None


def may_show(checks: list[FaultCheck], head: pd.Series) -> list[FaultCheck]:
    """The checks whose fault a column's first tenth could show, by one Arrow kernel each over its text
    (``FaultCheck.may_show``). Every column in which a check finds something passes its kernel, so a
    sound column costs a kernel per check instead of the checks' pandas calls (35 of a 4,000-row
    workforce file's 230 ms went to sound columns)."""
    text = pc.utf8_trim_whitespace(arrow_text(head))
    return [check for check in checks if check.may_show(text)]


def column_text(raw: pd.Series) -> pd.Series:
    """A column's cells as the checks read them: text without its edges' whitespace, a missing cell blank."""
    return raw.astype("string").str.strip().fillna("")


def _first(text: pd.Series, mask: pd.Series) -> tuple[int, str] | None:
    affected = int(mask.sum())
    return (affected, str(text[mask].iloc[0])) if affected else None


def _time_only(text: pd.Series) -> tuple[FaultKind, int, str] | None:
    found = _first(text, text.str.fullmatch(_TIME_ONLY))
    return ("time_only", *found) if found else None


def _excel_serials(text: pd.Series) -> tuple[FaultKind, int, str] | None:
    found = _first(text, text.str.fullmatch(_EXCEL_SERIAL))
    return ("excel_serial", *found) if found else None


def _decimal_commas(text: pd.Series) -> tuple[FaultKind, int, str] | None:
    found = _first(text, text.str.fullmatch(_DECIMAL_COMMA))
    return ("decimal_comma", *found) if found else None


def _spreadsheet_errors(text: pd.Series) -> tuple[FaultKind, int, str] | None:
    found = _first(text, text.str.upper().str.fullmatch(_SPREADSHEET_ERROR))
    return ("spreadsheet_error", *found) if found else None


def _month_first_possible(text: pd.Series) -> tuple[FaultKind, int, str] | None:
    """What the first tenth can show of month-first dates: numeric dates, none with a day first."""
    firsts = _numeric_date_parts(text)[0]
    return ("month_first", len(firsts), "") if len(firsts) and firsts.max() <= 12 else None


def _numeric_date_parts(text: pd.Series) -> pd.DataFrame:
    """The first two numbers of each distinct numeric date, by the distinct value: a quarter's dates
    repeat, and cut to their first ten characters (the date, not a time after it) they are few."""
    distinct = pd.Series(text.str.slice(0, 10).unique(), dtype=text.dtype)
    parts = distinct.str.extract(f"^{_NUMERIC_DATE}$").dropna().astype(int)
    parts.index = distinct[parts.index]
    return parts


def _month_first(text: pd.Series) -> tuple[FaultKind, int, str] | None:
    """Numeric dates, the first number never above 12 and the second above 12 somewhere: written month
    first (the American way) throughout, so read day first each would be another date or none. A column
    of day-first dates has its day first whenever it is above 12, so it never shows this; one whose
    days are all 12 or less gives no evidence either way and is left alone."""
    parts = _numeric_date_parts(text)
    if parts.empty or not (parts[0].min() >= 1 and parts[0].max() <= 12 < parts[1].max() <= 31):
        return None
    shaped = text.str.fullmatch(_NUMERIC_DATE)
    return "month_first", int(shaped.sum()), str(parts[1].idxmax()).strip()


def _blank(text: pd.Series) -> tuple[FaultKind, int, str] | None:
    affected = int((text == "").sum())
    return ("all_blank", affected, "") if affected else None


def _any(found: pa.ChunkedArray) -> bool:
    return pc.any(found).as_py() is True


@dataclass(frozen=True)
class FaultCheck:
    """One kind of whole-column fault, looked for in three steps of growing cost.

    ``may_show`` is one Arrow kernel over the trimmed text of a column's first tenth, true for every
    such text in which the fault could be found (it asks less: a spreadsheet error holds a '#', a time
    of day a ':'); ``on_the_head`` is what the first tenth must show for the fault to be there (the
    fault itself, unless said otherwise); ``find`` counts the fault over the whole column.
    """

    kind: FaultKind
    find: Callable[[pd.Series], tuple[FaultKind, int, str] | None]
    may_show: Callable[[pa.ChunkedArray], bool]
    # Month-first dates are shown by a day above 12, which the first tenth may not hold.
    on_the_head: Callable[[pd.Series], tuple[FaultKind, int, str] | None] | None = None


CHECKS: dict[FaultKind, FaultCheck] = {
    check.kind: check
    for check in (
        FaultCheck(
            "spreadsheet_error", _spreadsheet_errors, lambda text: _any(pc.match_substring(text, "#"))
        ),
        FaultCheck("time_only", _time_only, lambda text: _any(pc.match_substring(text, ":"))),
        FaultCheck(
            "excel_serial", _excel_serials, lambda text: _any(pc.match_substring_regex(text, r"^\p{Nd}{5}"))
        ),
        FaultCheck(
            "month_first",
            _month_first,
            lambda text: _any(pc.match_substring_regex(text, r"^[0-9]{1,2}[/.-][0-9]{1,2}[/.-]")),
            on_the_head=_month_first_possible,
        ),
        FaultCheck(
            "decimal_comma",
            _decimal_commas,
            lambda text: _any(pc.match_substring_regex(text, r",[0-9]{1,2}\)?-?$")),
        ),
        FaultCheck("all_blank", _blank, lambda text: bool(text.null_count) or _any(pc.equal(text, ""))),
    )
}


def checks_for(kind: str, required: bool) -> list[FaultCheck]:
    """The faults a column of this kind can have: any column a spreadsheet error, dates their own, amounts
    a decimal comma, a required column all blanks."""
    kinds: list[FaultKind] = ["spreadsheet_error"]
    if kind == "date":
        kinds += ["time_only", "excel_serial", "month_first"]
    if kind == "money":
        kinds.append("decimal_comma")
    if required:
        kinds.append("all_blank")
    return [CHECKS[k] for k in kinds]


def _share(affected: int, rows: int) -> str:
    return f"every one of the {rows:,} rows" if affected == rows else f"{affected:,} of the {rows:,} rows"


def _time_only_message(label: str, affected: int, rows: int, example: str) -> tuple[str, str]:
    return (
        f"The {label} column holds a time of day and no date on {_share(affected, rows)} (e.g. '{example}'): "
        "the dates were lost when the file was exported, so no row can be placed in the period.",
        f"Format the {label} column as a date (dd/mm/yyyy) in your system's export or in Excel before saving, "
        "check that the dates show, and send the whole file again.",
    )


def _excel_serial_message(label: str, affected: int, rows: int, example: str) -> tuple[str, str]:
    as_date = (_EXCEL_EPOCH + timedelta(days=int(float(example)))).strftime("%d/%m/%Y")
    return (
        f"The {label} column holds numbers instead of dates on {_share(affected, rows)} (e.g. '{example}'): "
        f"these are Excel's internal day numbers ({example.split('.')[0]} is {as_date}), which appear when a "
        "date column is saved as a number.",
        f"In Excel select the {label} column, choose Format Cells > Date (dd/mm/yyyy), save the file again "
        "and send it.",
    )


def _spreadsheet_error_message(label: str, affected: int, rows: int, example: str) -> tuple[str, str]:
    return (
        f"The {label} column holds the spreadsheet error '{example}' on {_share(affected, rows)}: the "
        "formulas behind the column broke before the file was saved, so its values are lost.",
        f"Open the workbook, fix the formulas in the {label} column (or paste the column as values once "
        "they show correctly) and send the file again.",
    )


def _blank_message(label: str, affected: int, rows: int, example: str) -> tuple[str, str]:
    return (
        f"The {label} column is empty on {_share(affected, rows)}: the export lost the column's values "
        "(a filter, a hidden column or a formula that was not saved can do this).",
        f"Check that the export includes the {label} of every row and send the whole file again.",
    )


def _month_first_message(label: str, affected: int, rows: int, example: str) -> tuple[str, str]:
    month, day = (int(part) for part in re.match(_NUMERIC_DATE, example).groups())  # type: ignore[union-attr]
    return (
        f"The {label} column has its dates month first on {_share(affected, rows)} (e.g. '{example}', "
        f"which can only be {day} {calendar.month_name[month]}): the system that wrote the file uses the "
        "American order, so read day first every date would be another date or none at all.",
        f"Set the export, or Excel's Format Cells > Date for the {label} column, to day first "
        "(dd/mm/yyyy) and send the whole file again.",
    )


def _decimal_comma_message(label: str, affected: int, rows: int, example: str) -> tuple[str, str]:
    pounds = float(re.sub(r"[^0-9,]", "", example).replace(",", "."))
    return (
        f"The {label} column writes its amounts with a decimal comma on {_share(affected, rows)} (e.g. "
        f"'{example}', which would be {pounds:,.2f}): the file was saved with European number settings, "
        "so its amounts cannot be read as pounds.",
        f"Save the file again with a decimal point in the {label} column (your system's export settings, "
        "or the region's number format in Windows or Excel: 1,234.56) and send it.",
    )


_MESSAGES = {
    "time_only": _time_only_message,
    "excel_serial": _excel_serial_message,
    "spreadsheet_error": _spreadsheet_error_message,
    "all_blank": _blank_message,
    "month_first": _month_first_message,
    "decimal_comma": _decimal_comma_message,
}

"""Give raw text cells their types, column at a time, and say exactly which cells could not be read.

Only *reading* happens here (is "£1,234.50" a number? is "31/02/2025" a date?). Whether a readable
value is acceptable (inside the period, a known size band, a well-formed postcode) is a content rule
and lives in the Great Expectations suite, so the two kinds of problem never hide each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, partial
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.re2_classes import WHITESPACE
from transforms.return_types import ColumnSpec, ReturnType

DATE_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %B %Y",
    "%Y/%m/%d",
    # Rarer, each unambiguous: a two-digit year, or a month by name written first.
    "%d-%m-%y",
    "%d.%m.%y",
    "%d %b %y",
    "%b %d, %Y",
    "%B %d, %Y",
)
# An ISO 8601 date and time, as databases and APIs write them ('2025-08-14T09:30:00Z', SQL Server's
# '2025-08-14 09:30:00.000', with or without a UTC offset): read as the date written. The time, and the
# zone it was written in, do not change the day the payment was recorded on.
ISO_DATE_TIME = (
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
PROBLEM_COLUMNS = ["row", "column", "value", "reason", "rule"]
PERSONAL_VALUE = "(not shown: personal data)"
Parsed = TypeVar("Parsed", pd.Series, pd.DataFrame)


def trimmed_text(raw: pd.Series) -> pd.Series:
    """Cells as text without their edges' whitespace; a blank cell is missing, not an empty string."""
    cleaned = raw.astype("string").str.strip()
    return cleaned.mask(cleaned == "")


# What a copy or a spreadsheet leaves in a cell around its value: invisible format characters (a byte-order
# mark or zero-width space pasted in, direction marks) and Excel's leading apostrophe, which marks a cell
# as text and is not part of it. Minus signs typeset as dashes (U+2212, an en dash from autocorrect, the
# full-width hyphen-minus) are a minus.
_INVISIBLE = r"\p{Cf}"
_DASHES = r"[\x{2012}-\x{2015}\x{2212}\x{FE63}\x{FF0D}]"


def without_cell_marks(text: pd.Series) -> pd.Series:
    """Trimmed text without invisible characters, a leading apostrophe, and with typeset minus signs as
    '-': only ever applied to values that did not read as they were, so no reading changes."""
    text = text.str.replace(_INVISIBLE, "", regex=True).str.strip()
    return text.str.replace(r"^'", "", regex=True).str.replace(_DASHES, "-", regex=True)


# r",(?!\d{3}(?!\d))" spelled without lookaheads, so pyarrow's RE2 runs it instead of Python per value.
_DIGIT, _NOT_DIGIT = r"\p{Nd}", r"[^\p{Nd}]"
_DECIMAL_COMMA = rf",(?:$|{_NOT_DIGIT}|{_DIGIT}$|{_DIGIT}{_NOT_DIGIT}|{_DIGIT}{{2}}$|{_DIGIT}{{2}}{_NOT_DIGIT}|{_DIGIT}{{4}})"
# Every ',' before exactly three digits and then ',', '.' or the end: thousands separators, nothing else.
_SIMPLE_AMOUNT = r"-?£?[0-9]+(?:,[0-9]{3})*(?:\.[0-9]{1,2})?"


def _to_float(cleaned: pd.Series) -> pd.Series:
    """``pd.to_numeric(errors="coerce")`` as float64; short plain decimals are cast by Arrow (the same
    correctly rounded doubles, without a Python object per value), and only the others go through
    pandas (a file's few 'TBC's no longer send the whole column there)."""
    plain = cleaned.str.fullmatch(r"-?[0-9]{1,11}(?:\.[0-9]{1,2})?", na=False).to_numpy(dtype=bool)
    values = np.full(len(cleaned), np.nan)
    if plain.any():
        text = pa.chunked_array(pa.array(cleaned.array, from_pandas=True)).combine_chunks()
        values[plain] = pc.cast(text.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
    rest = ~plain & cleaned.notna().to_numpy(dtype=bool)
    if rest.any():
        values[rest] = pd.to_numeric(cleaned[rest], errors="coerce").astype("float64").to_numpy()
    return pd.Series(values, index=cleaned.index)


def parse_money(raw: pd.Series) -> pd.Series:
    """Pounds from finance-system text: '£1,234.56', '-£250', '(250.00)', '250.00-', '1 234,56' is not."""
    text = trimmed_text(raw)
    # Most amounts look like '1234.56' or '-£1,234.56': for those the rules below come down to dropping
    # '£' and ','. Only the others (and the blanks) go through them, by position, in NumPy arrays: the
    # same result, a fraction of the regex work and no masked assignment into the text column.
    simple = text.str.fullmatch(_SIMPLE_AMOUNT, na=False).to_numpy(dtype=bool)
    cleaned = text.str.replace("£", "", regex=False).str.replace(",", "", regex=False)
    values = _to_float(cleaned).to_numpy(copy=True)
    others = np.flatnonzero(~simple)
    if len(others):
        rest = without_cell_marks(text.iloc[others])
        # A comma is a thousands separator only before a group of exactly three digits; '12,50' or
        # '1.234,56' use a decimal comma, and dropping it would multiply the amount by 100.
        decimal_comma = rest.str.contains(_DECIMAL_COMMA, regex=True, na=False)
        rest = rest.str.replace(rf"[£,]|{WHITESPACE}|GBP", "", regex=True).mask(decimal_comma)
        # Ledger suffixes in any case: 'CR' (a credit) is negative, 'DR' (a debit) the amount as written.
        negative = rest.str.match(r"^\(.*\)$|^.*-$|^.*[Cc][Rr]\.?$", na=False).to_numpy(dtype=bool)
        rest = rest.str.replace(
            r"^\((.*)\)$|^(.*)-$|^(.*)[Cc][Rr]\.?$|^(.*)[Dd][Rr]\.?$", r"\1\2\3\4", regex=True
        )
        found = _to_float(rest).to_numpy()
        values[others] = np.where(negative, -np.abs(found), found)
    values[~np.isfinite(values)] = np.nan
    return pd.Series(np.round(values, 2), index=text.index)


def parse_dates(raw: pd.Series) -> pd.Series:
    """Dates the way UK systems write them: day first, in any of the usual layouts (and ISO 8601 date-times
    by the date written).

    Each layout is tried on the values no earlier layout read; the bookkeeping is in NumPy arrays (a
    value no layout reads, such as '31/02/2025', is tried once per layout, each try a few pandas calls
    less than with masked assignments).
    """
    text = _iso_dates_cut(trimmed_text(raw))
    values = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    pending = _read_dates(text, np.flatnonzero(text.notna().to_numpy(dtype=bool)), values)
    if len(pending):
        # What no layout read, once more without what exports write around a date.
        plain = _iso_dates_cut(plain_date_text(text.iloc[pending]))
        text = pd.Series(pd.NA, index=text.index, dtype=text.dtype)
        text.iloc[pending] = plain.to_numpy()
        _read_dates(text, pending, values)
    return pd.Series(values, index=raw.index).dt.normalize()


def _iso_dates_cut(text: pd.Series) -> pd.Series:
    """ISO 8601 date-times cut to the date written."""
    iso = text.str.fullmatch(ISO_DATE_TIME, na=False)
    return text.where(~iso, text.str.slice(0, 10)) if iso.any() else text


def _read_dates(text: pd.Series, pending: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Read the ``pending`` positions of ``text`` into ``values`` by the first layout that fits each; the
    positions none fits."""
    for fmt in DATE_FORMATS:
        if not len(pending):
            break
        parsed = pd.to_datetime(text.iloc[pending], format=fmt, errors="coerce")
        found = parsed.notna().to_numpy(dtype=bool)
        if found.any():
            values[pending[found]] = parsed.to_numpy()[found].astype("datetime64[us]")
            pending = pending[~found]
    return pending


_WEEKDAY = r"(?i:mon|tue|wed|thu|fri|sat|sun)[A-Za-z]*\.?,?"
_TIME_OF_DAY = (
    rf"{WHITESPACE}+(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{{1,9}})?)?"
    rf"(?:{WHITESPACE}*(?i:[ap]\.?m\.?))?(?:{WHITESPACE}*(?i:z|utc|gmt|bst|[+-][0-9]{{2}}:?[0-9]{{2}}))?"
)


def plain_date_text(text: pd.Series) -> pd.Series:
    """A date as the layouts know it, without what exports write around it: the cell marks
    (``without_cell_marks``), a day of the week before it ('Thursday, 14 August 2025'), a time of day
    after it ('14/08/2025 12:00:00 AM', Excel's text for a date-time), ordinal days ('14th'), 'Sept',
    a month name between slashes or dots ('14/AUG/2025', Oracle's way) and the compact ISO form
    ('20250814', SAP's way, read only with a year from 1900 to 2099 and a real month and day)."""
    text = without_cell_marks(text)
    text = text.str.replace(rf"^{_WEEKDAY}{WHITESPACE}*", "", regex=True)
    text = text.str.replace(rf"{_TIME_OF_DAY}$", "", regex=True)
    text = text.str.replace(r"(^|[^0-9])([0-9]{1,2})(?i:st|nd|rd|th)([^A-Za-z]|$)", r"\1\2\3", regex=True)
    text = text.str.replace(r"(^|[^A-Za-z])(?i:sept)([^A-Za-z]|$)", r"\1Sep\2", regex=True)
    text = text.str.replace(r"^([0-9]{1,2})[/.]([A-Za-z]{3,9})[/.]([0-9]{2,4})$", r"\1 \2 \3", regex=True)
    return text.str.replace(
        r"^((?:19|20)[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$", r"\1-\2-\3", regex=True
    )


def parse_bools(raw: pd.Series) -> pd.Series:
    words = trimmed_text(raw).str.lower()
    result = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    result[words.isin(TRUE_WORDS)] = True
    result[words.isin(FALSE_WORDS)] = False
    return result


def normalise_postcodes(raw: pd.Series) -> pd.Series:
    """'se17pb' -> 'SE1 7PB'; format is checked by the suite, not here."""
    compact = trimmed_text(raw).str.upper().str.replace(f"{WHITESPACE}+", "", regex=True)
    spaced = compact.str.slice(0, -3) + " " + compact.str.slice(-3)
    return spaced.where(compact.str.len() >= 5, compact)


def normalise_enum(raw: pd.Series, spec: ColumnSpec) -> pd.Series:
    values = trimmed_text(raw).str.lower().str.replace(f"(?:{WHITESPACE}|[_-])+", " ", regex=True)
    if spec.synonyms:
        values = values.replace(dict(spec.synonyms))
    if spec.default is not None:
        values = values.fillna(spec.default)
    return values


def _unreadable(
    raw: pd.Series, parsed: pd.Series, column: str, reason: str, personal: bool = False
) -> pd.DataFrame:
    """Cells with text that did not parse; personal values are never echoed back (feedback is a file too)."""
    # Only a missing or unreadable value can be unreadable: look at the text of those alone, by position.
    bad = np.flatnonzero(parsed.isna().to_numpy(dtype=bool))
    if len(bad):
        bad = bad[trimmed_text(raw.iloc[bad]).notna().to_numpy(dtype=bool)]
    if not len(bad):
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    values = raw.iloc[bad].astype(str)
    shown = [PERSONAL_VALUE] * len(values) if personal else values.to_list()
    return pd.DataFrame(
        {
            "row": values.index.astype(int),
            "column": column,
            "value": shown,
            "reason": [
                reason.replace("'{value}'", "This value") if personal else reason.format(value=v)
                for v in values
            ],
            "rule": f"{column}:unreadable",
        }
    )


def parse_numbers(raw: pd.Series) -> pd.Series:
    text = trimmed_text(raw)
    values = _numbers(text)
    unread = (values.isna() & text.notna()).to_numpy(dtype=bool)
    if unread.any():  # once more without the cell marks (``without_cell_marks``)
        values[unread] = _numbers(without_cell_marks(text[unread])).to_numpy()
    return values


def _numbers(text: pd.Series) -> pd.Series:
    values = pd.to_numeric(text.str.replace(f",|{WHITESPACE}", "", regex=True), errors="coerce").astype(
        "float64"
    )
    return values.where(np.isfinite(values))


_READERS = {
    "money": (parse_money, "'{value}' is not an amount in pounds; write it as a number such as 1234.56"),
    "number": (parse_numbers, "'{value}' is not a number; write it like 37.5"),
    "date": (parse_dates, "'{value}' is not a date we can read; write dates day first, e.g. 14/08/2025"),
    "bool": (parse_bools, "'{value}' should be Yes or No"),
}


def by_value(parse: Callable[[pd.Series], Parsed], raw: pd.Series) -> Parsed:
    """``parse(raw)``, computed once per distinct value: exports repeat dates, names, postcodes and sizes.

    Every parser here works value by value, so this changes the cost, never the result. A parser may
    return several columns (a frame, one row per value) as well as one.
    """
    if len(raw) < 4096 or raw.iloc[:: len(raw) // 2000].nunique(dropna=False) > 1000:
        return parse(raw)  # small, or mostly distinct values (amounts, references): nothing to gain
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    if len(uniques) > len(raw) // 4:
        return parse(raw)
    values = pd.Series(uniques, dtype=raw.dtype)
    distinct = parse(pd.concat([values, pd.Series([None], dtype=raw.dtype)], ignore_index=True))
    codes[codes < 0] = len(uniques)  # missing values take the parse of a missing value
    result = distinct.iloc[codes]
    result.index = raw.index
    return result


def _parser(spec: ColumnSpec) -> Callable[[pd.Series], pd.Series]:
    """The reader of a column of this kind: its own, or the one for its kind."""
    if spec.reader is not None and spec.kind in ("text", "enum"):
        return spec.reader
    if spec.kind in _READERS:
        return _READERS[spec.kind][0]
    if spec.kind == "postcode":
        return normalise_postcodes
    if spec.kind == "enum":
        return partial(normalise_enum, spec=spec)
    return trimmed_text


@cache
def _missing(spec: ColumnSpec) -> pd.Series:
    """The parse of one missing value (a default, or missing): what every row of a column the file did
    not send holds. Computed once per column spec and process, not once per file: a parse costs
    milliseconds whatever its length, and a workforce return leaves out half of its columns."""
    return _parser(spec)(pd.Series([pd.NA], dtype=object))


def _absent(spec: ColumnSpec, index: pd.Index) -> pd.Series:
    """A column the file did not send: every row takes the parse of one missing value."""
    result = _missing(spec).iloc[np.zeros(len(index), dtype=np.intp)]
    result.index = index
    return result


def without_unit(raw: pd.Series, unit: str) -> pd.Series:
    """Values without the column's own unit after their number ('£12.60/hr' -> '£12.60'); the others as
    they are. The unreadable cells are still reported as the member wrote them."""
    text = raw.astype("string")
    return text.str.replace(rf"(?i)^(.*[0-9]){WHITESPACE}*{unit}\.?{WHITESPACE}*$", r"\1", regex=True)


def whole_of_parts(debit: pd.Series, credit: pd.Series) -> pd.Series:
    """A ledger's amount from its Debit and Credit columns: the debit less the credit, a credit taken off
    whether the ledger wrote it positive or negative; missing only when both are."""
    whole = debit.fillna(0) - credit.abs().fillna(0)
    return whole.mask(debit.isna() & credit.isna()).round(2)


def coerce_return(raw: pd.DataFrame, return_type: ReturnType) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frame (all canonical columns, absent ones null) and the cells that could not be read."""
    typed: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = []
    for column, spec in return_type.columns.items():
        own_reader = spec.reader is not None and spec.kind in ("text", "enum")
        if column not in raw.columns:  # nothing to read, so nothing unreadable
            typed[column] = _absent(spec, raw.index)
        else:
            parse = _parser(spec)
            source = without_unit(raw[column], spec.unit) if spec.unit else raw[column]
            # Plain text is a few Arrow kernels over the whole column: reading each distinct value once
            # costs more than it saves, factorising and re-expanding 100,000 texts (a column of seven
            # categories 10 ms that way, 4 ms read whole).
            typed[column] = parse(source) if parse is trimmed_text else by_value(parse, source)
            if not own_reader and spec.kind in _READERS:
                reason = _READERS[spec.kind][1]
                problems.append(_unreadable(raw[column], typed[column], column, reason, spec.personal))
        if not own_reader and spec.kind == "bool" and spec.default is not None:
            typed[column] = typed[column].fillna(spec.default in TRUE_WORDS)
    for whole, (first, second) in return_type.in_two_parts.items():
        if whole not in raw.columns and first in raw.columns:
            typed[whole] = whole_of_parts(typed[first], typed[second])
    frame = pd.DataFrame(typed, index=raw.index)
    found = [p for p in problems if not p.empty]
    problem_frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=PROBLEM_COLUMNS)
    return frame, problem_frame


# Legal forms at the end of a name ("Ltd", "Limited", "PLC", "(UK) Ltd") and a leading "The"; only at the
# edges, so "The Company Shop" keeps "company" and "The Co-operative Group" keeps "co operative".
# Written with a plain space, not \s, and literal accents, not \u escapes: by the time they run the text
# holds only a-z, 0-9 and single spaces, and pandas hands such patterns to Arrow (RE2) for the whole
# column instead of calling Python's re once per value (twice as fast on a register of five million names).
_LEGAL_SUFFIXES = re.compile(r"(?: (?:limited|ltd|plc|llp|llc|inc|co|company|uk|group|cic))+$")
_LEADING_THE = re.compile(r"^the ")
_ACCENTS_AND_DOTS = "[\u0300-\u036f'’`.]"  # combining accents (after NFKD), apostrophes, full stops


def supplier_name_key(names: pd.Series) -> pd.Series:
    """Fold the ways one supplier's name is written: case, punctuation, '&'/'and', legal suffixes."""
    folded = names.astype("string").str.normalize("NFKD").str.replace(_ACCENTS_AND_DOTS, "", regex=True)
    folded = folded.str.lower().str.replace("&", " and ", regex=False)
    folded = folded.str.replace(r"[^a-z0-9 ]", " ", regex=True).str.replace(" +", " ", regex=True).str.strip()
    stripped = folded.str.replace(_LEGAL_SUFFIXES.pattern, "", regex=True).str.replace(
        _LEADING_THE.pattern, "", regex=True
    )
    # A name that is nothing but legal words ("The Company") keeps its folded form rather than vanishing.
    return stripped.where(stripped.str.len() > 0, folded)


def postcode_parts(postcodes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Postcode area ('SE') and district ('SE1') of normalised postcodes."""
    text = postcodes.astype("string")
    district = text.str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ", expand=False)
    area = district.str.extract(r"^([A-Z]{1,2})", expand=False)
    return area, district

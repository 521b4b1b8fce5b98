"""Will each value fit where the warehouse keeps it? Checked before a file is accepted, not at the load.

``anchor validate`` must say "accepted" only if the load will succeed, on SQLite and on PostgreSQL
alike, and a value the warehouse cannot hold must be one row's problem, never a failed load. The
warehouse says what each column holds (``warehouse.capacity`` reads it from the tables); here every
typed value is checked against it: text no longer than its column, no NUL character (PostgreSQL cannot
store one), decimals within their column's digits, whole numbers within their column's range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.coercion import PERSONAL_VALUE, PROBLEM_COLUMNS
from transforms.return_types import ReturnType

SHOWN_CHARS = 60


@dataclass(frozen=True)
class ColumnCapacity:
    """What one warehouse column holds: text of at most ``max_chars``; decimals of ``integer_digits``
    digits before the point and ``scale`` after it; whole numbers within ``integer_range``."""

    max_chars: int | None = None
    integer_digits: int | None = None
    scale: int = 0
    integer_range: tuple[int, int] | None = None

    @property
    def max_magnitude(self) -> float | None:
        """Every value held is smaller than this (in size), once rounded to ``scale`` decimals."""
        return None if self.integer_digits is None else 10.0**self.integer_digits

    @property
    def largest(self) -> str:
        """The largest value held, as people write it: '999,999,999,999.99'."""
        whole = f"{int('9' * (self.integer_digits or 1)):,}"
        return whole + ("." + "9" * self.scale if self.scale else "")


def _label(return_type: ReturnType, column: str) -> str:
    spec = return_type.columns.get(column)
    return ((spec.label or column) if spec else column).lower()


def _shown(value: object, personal: bool) -> str:
    if personal:
        return PERSONAL_VALUE
    text = "" if value is None or value is pd.NA else str(value).replace("\x00", "")
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


_NO_PROBLEMS = pd.DataFrame(columns=PROBLEM_COLUMNS)


def surely_fits(values: pd.Series, max_chars: int | None) -> bool:
    """True when text held by Arrow has no NUL byte and no value longer than ``max_chars`` *bytes* (so
    none longer in characters either): the usual column, cleared from Arrow's buffers in a millisecond
    instead of value by value. False only means "look value by value"."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return False
    arrow = pa.array(values.array)
    for chunk in arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]:
        if max_chars is not None and (pc.max(pc.binary_length(chunk)).as_py() or 0) > max_chars:
            return False
        # The values' bytes (a slice's neighbours' too: a NUL there is only a false alarm).
        data = chunk.buffers()[2]
        if data is not None and not np.frombuffer(data, dtype=np.uint8).all():
            return False
    return True


def _problems(
    rows: pd.Index, column: str, shown: pd.Series, reasons: list[str], rule: str, personal: bool
) -> pd.DataFrame:
    if rows.empty:  # the usual case, without building a frame (most of this check's cost on a clean file)
        return _NO_PROBLEMS
    return pd.DataFrame(
        {
            "row": rows.astype(int),
            "column": column,
            "value": [_shown(v, personal) for v in shown.loc[rows]],
            "reason": reasons,
            "rule": f"{column}:{rule}",
        }
    )


def _number_problems(
    values: pd.Series, column: str, label: str, capacity: ColumnCapacity, shown: pd.Series, personal: bool
) -> list[pd.DataFrame]:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    present = numbers.notna()
    frames = []
    if capacity.max_magnitude is not None:
        over = (present & ~(numbers.round(capacity.scale).abs() < capacity.max_magnitude)).to_numpy()
        reason = (
            f"This {label} is too large to be right: the network records values up to {capacity.largest}. "
            "Check the value (a misplaced decimal point, or a reference in the wrong column)."
        )
        frames.append(
            _problems(values.index[over], column, shown, [reason] * int(over.sum()), "too_large", personal)
        )
    if capacity.integer_range is not None:
        low, high = capacity.integer_range
        over = (present & ((numbers < low) | (numbers > high))).to_numpy()
        reason = f"This {label} is outside what the network records ({low:,} to {high:,})."
        frames.append(
            _problems(values.index[over], column, shown, [reason] * int(over.sum()), "out_of_range", personal)
        )
    return frames


def _text_problems(
    values: pd.Series, column: str, label: str, capacity: ColumnCapacity, shown: pd.Series, personal: bool
) -> list[pd.DataFrame]:
    if surely_fits(values, capacity.max_chars):
        return []
    text = values.astype("string")
    nul = text.str.contains("\x00", regex=False, na=False).to_numpy()
    reason = (
        f"This {label} holds an invisible NUL character (often left by a conversion from another system). "
        "Delete and retype the value, or export the file again."
    )
    frames = [
        _problems(values.index[nul], column, shown, [reason] * int(nul.sum()), "nul_character", personal)
    ]
    if capacity.max_chars is not None:
        lengths = text.str.len().fillna(0).to_numpy()
        long = (lengths > capacity.max_chars) & ~nul
        reasons = [
            f"This {label} is {int(n):,} characters long, more than the {capacity.max_chars:,} the network "
            "records. Check the value is in the right column, or shorten it."
            for n in lengths[long]
        ]
        frames.append(_problems(values.index[long], column, shown, reasons, "too_long", personal))
    return frames


def capacity_problems(
    typed: pd.DataFrame,
    return_type: ReturnType,
    capacities: dict[str, ColumnCapacity],
    raw: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A problem for each value its warehouse column cannot hold (row, column, value, reason, rule).

    Values are shown as the member wrote them (``raw``) where the file had the column.
    """
    frames: list[pd.DataFrame] = []
    for column, capacity in capacities.items():
        if column not in typed.columns:
            continue
        values = typed[column]
        shown = raw[column] if raw is not None and column in raw.columns else values
        spec = return_type.columns.get(column)
        personal = bool(spec and spec.personal)
        label = _label(return_type, column)
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
            continue
        if pd.api.types.is_numeric_dtype(dtype):
            frames += _number_problems(values, column, label, capacity, shown, personal)
        else:
            frames += _text_problems(values, column, label, capacity, shown, personal)
    found = [f for f in frames if not f.empty]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=PROBLEM_COLUMNS)


def over_long_fields(raw: pd.DataFrame, return_type: ReturnType, max_chars: int, reason: str) -> pd.DataFrame:
    """Cells (as read, before typing) longer than the network's limit on one value."""
    frames = []
    for column in raw.columns:
        if surely_fits(raw[column], max_chars):  # the usual column: nothing too long, or unusual
            continue
        lengths = raw[column].astype("string").str.len().fillna(0).to_numpy()
        long = lengths > max_chars
        if not long.any():
            continue
        spec = return_type.columns.get(column)
        frames.append(
            _problems(
                raw.index[long],
                column,
                raw[column],
                [reason] * int(long.sum()),
                "field_too_long",
                bool(spec and spec.personal),
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PROBLEM_COLUMNS)

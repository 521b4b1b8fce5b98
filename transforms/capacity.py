"""Will each value fit where the warehouse keeps it? Checked before a file is accepted, not at the load.

``anchor validate`` must say "accepted" only if the load will succeed, on SQLite and on PostgreSQL
alike, and a value the warehouse cannot hold must be one row's problem, never a failed load. The
warehouse says what each column holds (``warehouse.capacity`` reads it from the tables); here every
typed value is checked against it: text no longer than its column, no NUL character (PostgreSQL cannot
store one), numbers within their column's digits, dates within what the warehouse stores.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from transforms.coercion import PERSONAL_VALUE, PROBLEM_COLUMNS
from transforms.return_types import ReturnType

SHOWN_CHARS = 60


@dataclass(frozen=True)
class ColumnCapacity:
    """What one warehouse column holds: text of at most ``max_chars``; numbers below ``max_magnitude``
    once rounded to ``scale`` decimals; whole numbers within ``integer_range``."""

    max_chars: int | None = None
    max_magnitude: float | None = None
    scale: int | None = None
    integer_range: tuple[int, int] | None = None


def _label(return_type: ReturnType, column: str) -> str:
    spec = return_type.columns.get(column)
    return (spec.label or column) if spec else column


def _shown(value: object, personal: bool) -> str:
    if personal:
        return PERSONAL_VALUE
    text = "" if value is None else str(value).replace("\x00", "")
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _problems(
    rows: pd.Index, column: str, values: pd.Series, reasons: list[str], rule: str, personal: bool
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": rows.astype(int),
            "column": column,
            "value": [_shown(v, personal) for v in values.loc[rows]],
            "reason": reasons,
            "rule": f"{column}:{rule}",
        }
    )


def capacity_problems(
    typed: pd.DataFrame, return_type: ReturnType, capacities: dict[str, ColumnCapacity]
) -> pd.DataFrame:
    """A problem for each value its warehouse column cannot hold (row, column, value, reason, rule)."""
    frames = []
    for column, capacity in capacities.items():
        if column not in typed.columns:
            continue
        values = typed[column]
        personal = bool(return_type.columns.get(column) and return_type.columns[column].personal)
        label = _label(return_type, column)
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            present = numbers.notna()
            if capacity.max_magnitude is not None:
                rounded = numbers.round(capacity.scale or 0)
                over = present & ~(rounded.abs() < capacity.max_magnitude)
                limit = f"{capacity.max_magnitude - 10 ** -(capacity.scale or 0):,.{capacity.scale or 0}f}"
                reasons = [
                    f"This {label.lower()} is too large to be right: the network records values up to {limit}. "
                    "Check the value (a misplaced decimal point, or a reference in the wrong column)."
                ] * int(over.sum())
                frames.append(
                    _problems(values.index[over.to_numpy()], column, values, reasons, "too_large", personal)
                )
            if capacity.integer_range is not None:
                low, high = capacity.integer_range
                over = present & ((numbers < low) | (numbers > high))
                reasons = [
                    f"This {label.lower()} is outside what the network records ({low:,} to {high:,})."
                ] * int(over.sum())
                frames.append(
                    _problems(
                        values.index[over.to_numpy()], column, values, reasons, "out_of_range", personal
                    )
                )
            continue
        if pd.api.types.is_datetime64_any_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            continue
        text = values.astype("string")
        nul = text.str.contains("\x00", regex=False, na=False).to_numpy()
        if nul.any():
            reasons = [
                f"This {label.lower()} holds an invisible NUL character (often left by a conversion from "
                "another system). Delete and retype the value, or export the file again."
            ] * int(nul.sum())
            frames.append(_problems(values.index[nul], column, values, reasons, "nul_character", personal))
        if capacity.max_chars is not None:
            lengths = text.str.len().fillna(0).to_numpy()
            long = (lengths > capacity.max_chars) & ~nul
            if long.any():
                reasons = [
                    f"This {label.lower()} is {int(n):,} characters long, more than the {capacity.max_chars:,} "
                    "the network records. Check the value is in the right column, or shorten it."
                    for n in lengths[long]
                ]
                frames.append(_problems(values.index[long], column, values, reasons, "too_long", personal))
    found = [f for f in frames if not f.empty]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=PROBLEM_COLUMNS)


def over_long_fields(raw: pd.DataFrame, return_type: ReturnType, max_chars: int, reason: str) -> pd.DataFrame:
    """Cells (as read, before typing) longer than the network's limit on one value."""
    frames = []
    for column in raw.columns:
        lengths = raw[column].astype("string").str.len().fillna(0).to_numpy()
        long = lengths > max_chars
        if not long.any():
            continue
        personal = bool(return_type.columns.get(column) and return_type.columns[column].personal)
        frames.append(
            _problems(
                raw.index[long], column, raw[column], [reason] * int(long.sum()), "field_too_long", personal
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PROBLEM_COLUMNS)

"""What each fact column can hold, read from the tables in ``warehouse.schema`` (never restated).

``transforms.capacity`` checks a return's values against these before a file is accepted, and
:func:`facts_that_do_not_fit` checks the built facts once more just before the load, so a value the
warehouse cannot hold is a row's problem or a clear error, never a failed transaction on one backend
and silent truncation on the other.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger, String, Table

from transforms.capacity import ColumnCapacity
from warehouse.schema import FACT_TABLES

_INTEGER_RANGES = (
    (SmallInteger, (-(2**15), 2**15 - 1)),
    (BigInteger, (-(2**63), 2**63 - 1)),
    (Integer, (-(2**31), 2**31 - 1)),
)


def column_capacity(column_type: object) -> ColumnCapacity | None:
    if isinstance(column_type, Numeric):
        if column_type.precision is None:
            return None
        scale = column_type.scale or 0
        return ColumnCapacity(integer_digits=column_type.precision - scale, scale=scale)
    for kind, bounds in _INTEGER_RANGES:
        if isinstance(column_type, kind):
            return ColumnCapacity(integer_range=bounds)
    if isinstance(column_type, String):  # Text too: no length, but no NUL either
        return ColumnCapacity(max_chars=column_type.length)
    return None


def table_capacities(table: Table) -> dict[str, ColumnCapacity]:
    found = {}
    for column in table.columns:
        capacity = column_capacity(column.type)
        if capacity is not None:
            found[column.name] = capacity
    return found


def fact_capacities(return_type: str) -> dict[str, ColumnCapacity]:
    """What each column of a return type's fact table holds, by column name (= the canonical column)."""
    return table_capacities(FACT_TABLES[return_type])


def facts_that_do_not_fit(return_type: str, facts: pa.Table) -> list[str]:
    """Each fact column with a value its warehouse column cannot hold (a guard just before the load).

    Cheap on facts that fit, the only kind it should ever see: a column whose longest value in *bytes*
    fits has no value too long in characters, and a column whose bytes hold no NUL anywhere has no
    value with one; only a column that fails either bound is measured value by value.
    """
    problems = []
    for name, capacity in fact_capacities(return_type).items():
        if name not in facts.column_names:
            continue
        values = facts.column(name)
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            continue  # numbers: casting to the column's decimal type already refused any too large
        if (
            capacity.max_chars is not None
            and (pc.max(pc.binary_length(values)).as_py() or 0) > capacity.max_chars
        ):
            longest = pc.max(pc.utf8_length(values)).as_py() or 0
            if longest > capacity.max_chars:
                problems.append(
                    f"{name}: a value of {longest} characters (the column holds {capacity.max_chars})"
                )
        if _may_hold_nul(values) and pc.any(pc.match_substring(values, "\x00")).as_py():
            problems.append(f"{name}: a NUL character")
    return problems


def _may_hold_nul(values: pa.ChunkedArray) -> bool:
    """Whether a NUL byte is anywhere in the text buffers behind ``values`` (a slice's neighbours too)."""
    for chunk in values.chunks:
        data = chunk.buffers()[2]
        if data is not None and data.size and not np.frombuffer(data, dtype=np.uint8).all():
            return True
    return False

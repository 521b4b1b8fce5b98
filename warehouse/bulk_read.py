"""The rows of a query as an Arrow table, in bulk, for the KPI step's big reads (PostgreSQL).

The KPI step reads every staff row of the snapshots it recomputes (200,000 at 50 members of 4,000).
Fetched as rows, each value becomes a Python object (a ``Decimal``, a ``date``, a ``str``) that the
step then turns back into columns: about 0.9 s of a 2.2 s KPI step. On PostgreSQL the same rows come
out of ``COPY (query) TO STDOUT`` as CSV, which pyarrow's C reader types column by column: about a
quarter of the time, with no Python object per value. SQLite has no bulk way out (its only other
reader, the ADBC driver, carries its own copy of SQLite and must never open the warehouse:
``warehouse.bulk``), so there the rows are fetched as usual.

Values arrive as the KPI maths takes them: text as text, dates as dates, flags as flags, integers as
64-bit integers, and exact numbers (``NUMERIC``) as doubles, parsed from the server's decimal text
(correctly rounded, the same double as ``float(Decimal)`` of the fetched value).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Select, types


class NoBulkType(TypeError):
    """A selected column of a type this reader does not map to Arrow."""


def arrow_type(column_type: types.TypeEngine) -> pa.DataType:
    """The Arrow type a selected column is read as."""
    if isinstance(column_type, types.Boolean):
        return pa.bool_()
    if isinstance(column_type, types.Integer):
        return pa.int64()
    if isinstance(column_type, types.Numeric):  # Float included
        return pa.float64()
    if isinstance(column_type, types.Date) and not isinstance(column_type, types.DateTime):
        return pa.date32()
    if isinstance(column_type, types.String):
        return pa.string()
    raise NoBulkType(f"no bulk read for a column of type {column_type!r}")


def copy_out(conn: Connection, query: Select) -> pa.Table:
    """PostgreSQL: the rows of ``query`` (named by its labels) as an Arrow table, on ``conn``'s
    connection and transaction. NULL and the empty text stay apart (CSV writes NULL unquoted, an empty
    text as ``""``)."""
    schema = {column.name: arrow_type(column.type) for column in query.selected_columns}
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    raw = conn.connection.driver_connection
    chunks: list[bytes] = []
    with raw.cursor() as cursor:
        # ENCODING: the bytes are UTF-8 whatever the connection's client encoding.
        statement = f"COPY ({compiled}) TO STDOUT (FORMAT csv, ENCODING 'UTF8')"
        # Parameters bound by psycopg (always given, so a doubled % in the statement reads as one).
        with cursor.copy(statement, compiled.params) as copy:
            chunks.extend(bytes(chunk) for chunk in copy)
    data = b"".join(chunks)
    if not data:
        return pa.table({name: pa.array([], type=kind) for name, kind in schema.items()})
    return pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(column_names=list(schema)),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),  # a quoted value may span lines
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )

"""The I/O floor on the same files: pyarrow CSV read + Parquet write + PostgreSQL COPY, nothing else.

Per file, one stream, as a lower bound for what any pipeline must spend moving these bytes: read the
CSV with pyarrow (header found, types inferred), write the table to Parquet (zstd, like the lake) and
COPY it (written as CSV by pyarrow, like the pipeline's load) into an unindexed table of text columns in
a throwaway PostgreSQL database. No checking, no typing rules, no indexes, no feedback.
"""

from __future__ import annotations

import io
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench.server_cpu import process_cpu


def _header_line(data: bytes, delimiter: bytes) -> int:
    """0-based index of the first line with as many delimiters as the last data line (skips a preamble)."""
    lines = data[:65536].splitlines()
    wanted = data.rstrip(b"\r\n, ").splitlines()[-1].count(delimiter)
    return next((i for i, line in enumerate(lines) if line.count(delimiter) >= wanted), 0)


def read_table(data: bytes) -> pa.Table:
    encoding = "utf8"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data[:1_000_000].decode("utf-8")
    except UnicodeDecodeError:
        encoding = "cp1252"
    delimiter = b";" if data[:4096].count(b";") > data[:4096].count(b",") else b","
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(skip_rows=_header_line(data, delimiter), encoding=encoding),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter.decode(), invalid_row_handler=lambda row: "skip"
        ),
    )


def measure(paths: list[Path], pg_url: str) -> dict[str, Any]:
    """Seconds per step over all files, and rows."""
    import psycopg

    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"anchor_bench_floor_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    totals = {"read": 0.0, "parquet": 0.0, "copy": 0.0, "rows": 0, "bytes": 0}
    try:
        with psycopg.connect(url) as conn, tempfile.TemporaryDirectory(prefix="anchor-floor-") as tmp:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            server_before, client_before = process_cpu(backend), time.process_time()
            for n, path in enumerate(paths):
                data = path.read_bytes()
                totals["bytes"] += len(data)
                started = time.perf_counter()
                table = read_table(data)
                read_done = time.perf_counter()
                pq.write_table(table, f"{tmp}/{n}.parquet", compression="zstd")
                parquet_done = time.perf_counter()
                columns = ", ".join(f"c{i} text" for i in range(table.num_columns))
                conn.execute(f"CREATE TABLE f{n} ({columns})")
                buffer = io.BytesIO()
                pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
                with conn.cursor() as cursor, cursor.copy(f"COPY f{n} FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
                conn.commit()
                copy_done = time.perf_counter()
                totals["read"] += read_done - started
                totals["parquet"] += parquet_done - read_done
                totals["copy"] += copy_done - parquet_done
                totals["rows"] += table.num_rows
            totals["client_cpu"] = time.process_time() - client_before
            server_after = process_cpu(backend)
            if server_before is not None and server_after is not None:
                totals["server_cpu"] = server_after - server_before
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    totals["total"] = totals["read"] + totals["parquet"] + totals["copy"]
    return totals

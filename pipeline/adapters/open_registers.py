"""Read the bulk open-data files a network downloads itself (the Companies House "basic company data"
file, the charity register's text extract) block by block, as the publisher serves them (a zip or the
file itself), so a five-million-row register never sits in memory whole.

Only reading: which columns to take and what they mean is ``transforms.supplier_matching``'s job.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

BLOCK_BYTES = 4 << 20  # about 10,000 Companies House rows (400 bytes each) a block
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class RegisterFileError(ValueError):
    """A register file is not in the layout expected; the message says which columns are missing."""


@contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    """The file itself, or the one data file inside the publisher's zip."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith((".csv", ".txt"))]
            if len(members) != 1:
                raise RegisterFileError(f"{path.name} should hold one .csv or .txt file; it holds {members}")
            with archive.open(members[0]) as stream:
                yield stream
    else:
        with path.open("rb") as stream:
            yield stream


def _header(path: Path, delimiter: str) -> list[str]:
    with _open(path) as stream:
        first = stream.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]


@dataclass
class ReadStats:
    """Rows read and malformed rows skipped, per file, for the command's summary."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)


def stream_columns(
    path: Path,
    wanted: Iterable[str],
    delimiter: str = ",",
    quoted: bool = True,
    block_bytes: int = BLOCK_BYTES,
    stats: ReadStats | None = None,
) -> Iterator[pd.DataFrame]:
    """Blocks of the named columns, as text, from a large delimited file (names compared stripped:
    the Companies House header has ' CompanyNumber'). Malformed rows are skipped and counted."""
    header = _header(path, delimiter)
    wanted = list(wanted)
    missing = [c for c in wanted if c not in header]
    if missing:
        raise RegisterFileError(
            f"{path.name} lacks the columns {missing}; its header has {header[:12]}{'...' if len(header) > 12 else ''}"
        )
    # Our own names by position: a byte-order mark or stray space in the real header cannot hide a column.
    names = [f"c{i}" for i in range(len(header))]
    positions = {f"c{header.index(c)}": c for c in wanted}
    stats = stats if stats is not None else ReadStats()
    stats.rows[path.name] = stats.skipped[path.name] = 0

    def skip(_row: object) -> str:
        stats.skipped[path.name] += 1
        return "skip"

    options = {
        "read_options": pacsv.ReadOptions(
            column_names=names, skip_rows=1, block_size=block_bytes, use_threads=False, encoding="utf8"
        ),
        "parse_options": pacsv.ParseOptions(
            delimiter=delimiter, quote_char='"' if quoted else False, invalid_row_handler=skip
        ),
        "convert_options": pacsv.ConvertOptions(
            include_columns=list(positions),
            column_types={name: pa.string() for name in positions},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }
    with _open(path) as stream:
        try:
            reader = pacsv.open_csv(stream, **options)
            for batch in reader:
                stats.rows[path.name] += batch.num_rows
                yield batch.to_pandas().rename(columns=positions)
        except pa.ArrowInvalid as exc:
            raise RegisterFileError(
                f"{path.name} could not be read after {stats.rows[path.name]:,} rows ({exc}). The registers "
                "are published as UTF-8 text: download the file again rather than re-saving it from a "
                "spreadsheet."
            ) from None


def extract_date(path: Path) -> str | None:
    """The snapshot date in the publisher's file name (``BasicCompanyDataAsOneFile-2025-11-01.zip``)."""
    found = _DATE_IN_NAME.search(path.name)
    return found.group(1) if found else None

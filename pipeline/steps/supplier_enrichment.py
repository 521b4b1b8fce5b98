"""Suppliers seen in the warehouse matched against the open registers a network downloads itself.

``anchor suppliers match --companies-house FILE [--charities FILE]`` calls :func:`match_suppliers` and
:func:`write_proposals`; ``anchor suppliers approve FILE`` calls :func:`approve_proposals` and writes the
register it returns to the bucket's ``reference/suppliers.csv`` (loaded at the next ingest run).

The Companies House file has about five million rows (2.5 GB as CSV): it is read in blocks with
pyarrow's streaming CSV reader, only the columns the matcher needs, and each block is matched and
dropped before the next is read, so memory stays that of one block and the best candidates so far.
Both registers may be given as the zip the publisher serves or as the unzipped file.
"""

from __future__ import annotations

import csv
import io
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
from sqlalchemy import Engine, func, select

from pipeline.network import Network
from transforms.supplier_matching import (
    CHARITY_COLUMNS,
    CHARITY_REGISTER,
    COMPANIES_HOUSE,
    COMPANIES_HOUSE_COLUMNS,
    FUZZY_THRESHOLD,
    PROPOSAL_COLUMNS,
    REGISTER_COLUMNS,
    apply_approved,
    charity_candidates,
    companies_house_candidates,
    keep_best,
    match_chunk,
    prepare_suppliers,
    proposals,
    score_candidates,
)
from warehouse.schema import fact_spend, suppliers

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


def companies_house_chunks(
    path: Path, block_bytes: int = BLOCK_BYTES, stats: ReadStats | None = None
) -> Iterator[pd.DataFrame]:
    """Candidates from a BasicCompanyData file (the whole register or one of its parts)."""
    for raw in stream_columns(path, COMPANIES_HOUSE_COLUMNS, ",", True, block_bytes, stats):
        yield companies_house_candidates(raw)


def charity_chunks(
    path: Path, block_bytes: int = BLOCK_BYTES, stats: ReadStats | None = None
) -> Iterator[pd.DataFrame]:
    """Candidates from the charity register's ``publicextract.charity`` text extract (tab-separated, unquoted)."""
    for raw in stream_columns(path, CHARITY_COLUMNS, "\t", False, block_bytes, stats):
        yield charity_candidates(raw)


def extract_date(path: Path) -> str | None:
    """The snapshot date in the publisher's file name (``BasicCompanyDataAsOneFile-2025-11-01.zip``)."""
    found = _DATE_IN_NAME.search(path.name)
    return found.group(1) if found else None


def suppliers_seen(engine: Engine, only_unknown: bool = True) -> pd.DataFrame:
    """In-scope suppliers in the warehouse, one per normalised name, with their spend (largest first).

    With ``only_unknown`` a supplier whose size the returns or the register already give is left out.
    """
    f = fact_spend
    query = (
        select(
            f.c.supplier_name_key,
            f.c.supplier_id,
            f.c.supplier_name,
            f.c.supplier_postcode,
            func.sum(f.c.amount_gbp).label("spend"),
            func.count(f.c.supplier_size).label("sized_lines"),
            func.count().label("lines"),
        )
        .where(f.c.out_of_scope.is_(None) & f.c.supplier_name_key.is_not(None))
        .group_by(f.c.supplier_name_key, f.c.supplier_id, f.c.supplier_name, f.c.supplier_postcode)
    )
    with engine.connect() as conn:
        rows = pd.DataFrame(
            conn.execute(query).all(),
            columns=["name_key", "supplier_id", "supplier_name", "postcode", "spend", "sized_lines", "lines"],
        )
        sized = pd.DataFrame(
            conn.execute(
                select(suppliers.c.name_key, suppliers.c.supplier_id).where(suppliers.c.size.is_not(None))
            ).all(),
            columns=["name_key", "supplier_id"],
        )
    rows["spend"] = rows["spend"].astype("float64")
    ranked = rows.sort_values("spend", ascending=False, kind="stable")
    per_name = ranked.groupby("name_key", sort=False).agg(
        supplier_id=("supplier_id", "first"),
        supplier_name=("supplier_name", "first"),
        postcode=("postcode", lambda v: v.dropna().iloc[0] if v.notna().any() else None),
        spend_gbp=("spend", "sum"),
        sized_lines=("sized_lines", "sum"),
        lines=("lines", "sum"),
    )
    per_name = per_name.reset_index()
    if only_unknown:
        known = (
            (per_name["sized_lines"] == per_name["lines"])
            | per_name["name_key"].isin(sized["name_key"].dropna())
            | per_name["supplier_id"].isin(sized["supplier_id"].dropna())
        )
        per_name = per_name[~known]
    return per_name.sort_values("spend_gbp", ascending=False, ignore_index=True)[
        ["supplier_id", "supplier_name", "postcode", "spend_gbp"]
    ]


def match_suppliers(
    seen: pd.DataFrame,
    companies_house: Iterable[Path] = (),
    charities: Iterable[Path] = (),
    local_areas: list[str] | None = None,
    local_districts: list[str] | None = None,
    threshold: int = FUZZY_THRESHOLD,
    per_supplier: int = 3,
    block_bytes: int = BLOCK_BYTES,
    stats: ReadStats | None = None,
) -> pd.DataFrame:
    """Proposals (``PROPOSAL_COLUMNS``) for the suppliers in ``seen`` from the registers' files."""
    index = prepare_suppliers(seen)
    best = pd.DataFrame()
    as_of: dict[str, str] = {}
    sources = [(Path(p), COMPANIES_HOUSE, companies_house_chunks) for p in companies_house]
    sources += [(Path(p), CHARITY_REGISTER, charity_chunks) for p in charities]
    for path, source, chunks in sources:
        date = extract_date(path)
        if date:
            as_of[source] = max(as_of.get(source, date), date)
        for chunk in chunks(path, block_bytes, stats):
            found = score_candidates(index, match_chunk(index, chunk, threshold))
            if not found.empty:
                best = keep_best(pd.concat([best, found], ignore_index=True), per_supplier)
    return proposals(index, best, local_areas or [], local_districts or [], as_of)


def write_proposals(frame: pd.DataFrame, path: Path) -> Path:
    """The CSV a data engineer reviews: fill ``decision`` with approve or reject."""
    frame[PROPOSAL_COLUMNS].to_csv(path, index=False)
    return path


def read_proposals(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in PROPOSAL_COLUMNS if c not in frame]
    if missing:
        raise RegisterFileError(f"{path.name} is not a proposals file: it lacks {missing}")
    return frame


def approve_proposals(
    proposals_file: Path, register: pd.DataFrame | None = None, accept_suggested: bool = False
) -> pd.DataFrame:
    """The register with the approved proposals applied; write it to ``reference/suppliers.csv``."""
    current = register if register is not None else pd.DataFrame(columns=REGISTER_COLUMNS)
    return apply_approved(read_proposals(proposals_file), current, accept_suggested)


def match_network_suppliers(
    network: Network,
    companies_house: Iterable[Path] = (),
    charities: Iterable[Path] = (),
    threshold: int = FUZZY_THRESHOLD,
    stats: ReadStats | None = None,
) -> pd.DataFrame:
    """``anchor suppliers match``: the network's suppliers of unknown size against the registers' files."""
    area = network.cfg.local_area
    return match_suppliers(
        suppliers_seen(network.engine),
        companies_house,
        charities,
        area.postcode_areas,
        area.postcode_districts,
        threshold=threshold,
        stats=stats,
    )


def approve_into_register(
    network: Network, proposals_file: Path, accept_suggested: bool = False
) -> dict[str, int]:
    """``anchor suppliers approve``: the bucket's supplier register with the approved proposals applied,
    written back; the next ingest run loads it (``pipeline.steps.ingest.refresh_supplier_register``)."""
    path = network.cfg.reference.supplier_register
    current = (
        pd.read_csv(
            io.BytesIO(network.bucket.read(path)), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        if network.bucket.exists(path)
        else pd.DataFrame(columns=REGISTER_COLUMNS)
    )
    updated = approve_proposals(proposals_file, current, accept_suggested)
    buffer = io.StringIO()
    updated.to_csv(buffer, index=False)
    network.bucket.write(path, buffer.getvalue().encode("utf-8"))
    return {"before": len(current), "after": len(updated)}

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

import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from pipeline.adapters.open_registers import (
    BLOCK_BYTES,
    ReadStats,
    RegisterFileError,
    extract_date,
    stream_columns,
)
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
from warehouse import queries


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
        queries.suppliers_of_unknown_size(network.engine),
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

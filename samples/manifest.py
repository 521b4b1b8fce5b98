"""What a sample run wrote: one entry per file, with the lines of the rows planted to be rejected (and of
the totals rows, which are set aside without being rejected).

The demo and the end-to-end tests check the pipeline's feedback against these entries, so every
generator (spend, workforce, measures) reports its files in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_PERIODS = ("2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2")


@dataclass(frozen=True)
class SampleFile:
    path: str  # inside the bucket, e.g. "incoming/kingsbridge-council/spend_2025-26-Q3.csv"
    member_id: str
    return_type: str
    period: str
    data_rows: int  # non-blank records after the header, bad rows and any totals row included
    bad_rows: tuple[tuple[int, str], ...]  # (file line / sheet row, kind) of every planted bad record
    received_at: datetime | None = None  # when the sample says the member sent it (the file's mtime)
    # Totals rows ("Grand Total"): not loaded, but not problems either, so not among ``bad_rows``.
    set_aside_rows: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class SampleManifest:
    files: tuple[SampleFile, ...]
    supplier_register: str
    register_suppliers: int
    pool_suppliers: int


# (bucket path, bytes, manifest entry): what each return type's generator hands the orchestrator.
GeneratedFile = tuple[str, bytes, SampleFile]

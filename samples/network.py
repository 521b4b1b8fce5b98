"""A whole sample network in its ingest bucket: the supplier register and every member's returns.

The orchestrator only: the suppliers (``samples.suppliers``), the spend returns (``samples.spend``),
the staff snapshots (``samples.workforce``) and the measures returns (``samples.measures``) each come
from their own generator, all written the way real systems export (``samples.export_style``). Each
generator seeds its own ``random.Random`` from the seed, never from the clock, so the same seed gives
byte-identical files, the xlsx workbooks included, and leaving one return out changes no other file.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import random
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

import fsspec
from fsspec.implementations.local import LocalFileSystem

from pipeline.config import NetworkConfig
from samples.manifest import DEFAULT_PERIODS, SampleFile, SampleManifest
from samples.measures import measures_files
from samples.recruitment import recruitment_files
from samples.recruitment import reference_files as recruitment_reference_files
from samples.spend import spend_files
from samples.suppliers import build_pool, register_csv, registered
from samples.workforce import workforce_files
from transforms.periods import Period

__all__ = ["DEFAULT_PERIODS", "SampleFile", "SampleManifest", "generate_sample"]


def generate_sample(
    cfg: NetworkConfig,
    periods: Sequence[str] = DEFAULT_PERIODS,
    seed: int = 2025,
    lines_per_file: int = 120,
    skip: Collection[tuple[str, str]] = (("hearthstone-bs", "2026-27-Q2"),),
    staff_per_member: int = 40,
    skip_workforce: Collection[tuple[str, str]] | None = None,
) -> SampleManifest:
    """Write the supplier register and every member's returns into the network's bucket.

    ``skip`` lists (member, period) pairs that get no file, so reports and chasers show a missing
    return. Files already in the bucket at the same paths are overwritten; nothing else is removed.

    When the network has ``[returns.workforce]``, each member's staff snapshots are written too
    (``incoming/<member>/workforce_<period>.csv``), after the spend files in the manifest, and then
    any measures returns; the spend files are the same either way. ``skip_workforce`` lists the
    (member, period) pairs with no snapshot; ``None`` (the default) means the same pairs as ``skip``.
    """
    if lines_per_file < 1:
        raise ValueError(f"lines_per_file must be at least 1, not {lines_per_file}")
    if staff_per_member < 1:
        raise ValueError(f"staff_per_member must be at least 1, not {staff_per_member}")
    fs, root = fsspec.core.url_to_fs(cfg.bucket_url)
    root = root.rstrip("/")

    def write(path: str, data: bytes) -> None:
        full = f"{root}/{path}"
        fs.makedirs(posixpath.dirname(full), exist_ok=True)
        fs.pipe_file(full, data)

    pool = build_pool(cfg, random.Random(seed))
    register = registered(pool, seed)
    write(cfg.reference.supplier_register, register_csv(register))

    for path, data in recruitment_reference_files(cfg):
        write(path, data)
    missing = _pairs(skip)
    missing_snapshots = missing if skip_workforce is None else _pairs(skip_workforce)
    files: list[SampleFile] = []
    for generated, left_out in (
        (spend_files(cfg, pool, periods, seed, lines_per_file), missing),
        (workforce_files(cfg, periods, seed, staff_per_member), missing_snapshots),
        (measures_files(cfg, periods, seed), missing),
        (recruitment_files(cfg, periods, seed), missing),
    ):
        for path, data, entry in generated:
            if (entry.member_id, entry.period) not in left_out:
                write(path, data)
                received = received_on(cfg, entry, seed)
                if isinstance(fs, LocalFileSystem):
                    # The bucket's modification time is when a return was received (``anchor status``).
                    os.utime(f"{root}/{path}", (received.timestamp(), received.timestamp()))
                files.append(dataclasses.replace(entry, received_at=received))
    return SampleManifest(
        files=tuple(files),
        supplier_register=cfg.reference.supplier_register,
        register_suppliers=len(register),
        pool_suppliers=len(pool),
    )


# How returns arrive in a real network: most a week or three after the quarter ends, before the due
# date; about one in five after it; one member's return not at all (``generate_sample``'s ``skip``).
LATE_SHARE = 0.2


def received_on(cfg: NetworkConfig, entry: SampleFile, seed: int, now: datetime | None = None) -> datetime:
    """When the sample return was received: on a plausible day after its period ended, before its due
    date or (about one in five) after it; never in the future. Seeded by the return, never the clock."""
    period = Period.parse(entry.period)
    due_days = cfg.returns[entry.return_type].due_days_after_period_end
    rng = random.Random(f"{seed}/received/{entry.member_id}/{entry.return_type}/{entry.period}")
    late = rng.random() < LATE_SHARE
    days = rng.randint(due_days + 1, due_days + 21) if late else rng.randint(min(3, due_days), due_days)
    day = period.end + timedelta(days=days)
    moment = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=UTC)
    return min(moment, (now or datetime.now(UTC)) - timedelta(minutes=5))


def _pairs(pairs: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """(member, period key) pairs, periods normalised so "2025/26 Q3" and "2025-26-Q3" agree."""
    return {(member, Period.parse(period).key) for member, period in pairs}

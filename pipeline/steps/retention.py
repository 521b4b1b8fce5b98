"""Delete the original files the network keeps no longer than its retention setting (issue 17).

``archive/`` and ``quarantine/`` keep every original byte for byte. For special-category returns
(recruitment) the network sets ``[returns.<type>] keep_raw_days``; once an original is that old it is
deleted, from a folder or an S3 bucket alike, and the step logs and returns every path it deleted. The
facts already loaded stay (they hold only coarse answers); the member can resend a file if it must be
processed again. ``transforms.retention`` plans which paths are due; this step adds what only the bucket
and the warehouse know, so that nothing a submission still needs is deleted:

- **One archive copy serves several submissions.** ``archive/<member>/<hash>/<name>`` is written once and
  reused when the same member sends the same bytes under the same name again (a duplicate, or the same
  file resent after a fault); the copy is as old as the *latest* submission naming it, not as the file.
- **An answer still owed** (a crash between the load and the feedback): the file's copies stay until the
  member has been answered; the next daily run deletes them.
- **A file being taken right now**: ingest reuses an existing archive copy before the submission that
  names it is recorded, so a copy whose member has a file of the same name in ``incoming/`` is kept
  until that file has been taken (a day at most).

Nothing re-reads ``archive/`` or ``quarantine/`` today: supersede works on the warehouse's facts, answers
are paid from ``owed/`` and ``feedback/``, and a retried ingest reads the file from ``incoming/``. The
rules above hold for the day a re-processing command reads the archive.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline.network import Network
from pipeline.steps.incoming import safe_file_name
from transforms.retention import RAW_FOLDERS, raw_files_past_retention
from warehouse import queries

log = logging.getLogger(__name__)


@dataclass
class RetentionRun:
    """What one run deleted (or, with ``dry_run``, would delete) and what it kept back, and why."""

    dry_run: bool
    deleted: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)  # path, reason
    failed: list[dict[str, str]] = field(default_factory=list)  # path, error

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _holds(
    holds: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, datetime], dict[str, datetime], set[str], set[str]]:
    """(archive path -> latest receipt, submission id -> receipt, archive paths owed, submissions owed)."""
    archive_latest: dict[str, datetime] = {}
    received: dict[str, datetime] = {}
    archive_owed: set[str] = set()
    owed: set[str] = set()
    for row in holds:
        at = _utc(row["received_at"])
        received[row["submission_id"]] = at
        path = row["archive_path"]
        if path:
            archive_latest[path] = max(at, archive_latest.get(path, at))
        if row["answer_status"] == "owed":
            owed.add(row["submission_id"])
            if path:
                archive_owed.add(path)
    return archive_latest, received, archive_owed, owed


def _quarantine_submission(path: str) -> str | None:
    """``quarantine/<member>/<submission>/<name>`` -> the submission id."""
    parts = path.split("/")
    return parts[2] if len(parts) == 4 else None


def plan_retention(network: Network, now: datetime | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """(paths due for deletion, paths past the setting but kept, with the reason)."""
    now = _utc(now or datetime.now(UTC))
    keep = {name: schedule.keep_raw_days for name, schedule in network.cfg.returns.items()}
    if all(days is None for days in keep.values()):
        return [], []  # no return type sets a retention: originals are kept for good, nothing to list
    archive_latest, received, archive_owed, owed = _holds(queries.raw_file_holds(network.engine))
    files = []
    for folder in RAW_FOLDERS:
        for entry in network.bucket.list_files(folder):
            path = entry["path"]
            newest = _utc(entry["modified"])
            if path.startswith("archive/") and path in archive_latest:
                newest = max(newest, archive_latest[path])
            elif (submission := _quarantine_submission(path)) in received:
                newest = max(newest, received[submission])
            files.append({**entry, "modified": newest})
    in_flight = {
        (entry["path"].split("/")[1], safe_file_name(posixpath.basename(entry["path"])))
        for entry in network.bucket.list_files("incoming")
        if entry["path"].count("/") == 2
    }
    due, kept = [], []
    for path in raw_files_past_retention(files, keep, now):
        parts = path.split("/")
        if path in archive_owed or (path.startswith("quarantine/") and _quarantine_submission(path) in owed):
            kept.append({"path": path, "reason": "its member's answer is still owed"})
        elif parts[0] == "archive" and len(parts) == 4 and (parts[1], parts[3]) in in_flight:
            kept.append({"path": path, "reason": "a file of the same name is waiting in incoming/"})
        else:
            due.append(path)
    return due, kept


def delete_raw_files(network: Network, now: datetime | None = None, dry_run: bool = False) -> RetentionRun:
    """Delete the originals past the network's retention setting; log and return every path deleted.

    A path that cannot be deleted (the bucket refused) is reported in ``failed`` and the others are still
    deleted; the caller decides whether that fails the run (the DAG task and the CLI do).
    """
    due, kept = plan_retention(network, now)
    run = RetentionRun(dry_run=dry_run, kept=kept)
    for item in kept:
        log.info("retention: kept %s (%s)", item["path"], item["reason"])
    for path in due:
        if dry_run:
            run.deleted.append(path)
            continue
        try:
            network.bucket.remove(path)
            network.bucket.prune_folders(posixpath.dirname(path), stop=path.split("/", 1)[0])
        except OSError as exc:
            log.error("retention: could not delete %s: %s", path, exc)
            run.failed.append({"path": path, "error": str(exc)})
            continue
        log.info("retention: deleted %s", path)
        run.deleted.append(path)
    log.info(
        "retention: %s %d raw file(s), kept %d past the setting, %d failed",
        "would delete" if dry_run else "deleted",
        len(run.deleted),
        len(run.kept),
        len(run.failed),
    )
    return run

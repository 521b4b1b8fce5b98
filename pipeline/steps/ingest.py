"""Ingest: find new files in the bucket, check each one, and archive, stage, load and answer it.

Every file ends in exactly one place the member can see (a receipt or a rejection in ``feedback/``)
and the original is always kept in ``archive/``. The warehouse changes in one transaction per file,
after the lake copy is written, so a crash at any point leaves the file in ``incoming/`` to be taken
again on the next run, and taking it again changes nothing twice (the content hash is the key).

:func:`ingest_files` is the one loop over files: the DAG's mapped tasks, ``anchor ingest`` and the tests
all go through it, and a file that fails never stops the others.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy.exc import IntegrityError

from pipeline.adapters.bucket import bucket_errors, content_hash
from pipeline.adapters.secrets import pseudonym_key
from pipeline.network import Network
from pipeline.steps.checking import ReturnCheck, check_return, network_rules
from pipeline.steps.feedback import email_feedback, feedback_base, write_feedback
from pipeline.steps.reference_data import refresh_reference_data
from pipeline.steps.spend_scope import network_scope_rules
from pipeline.steps.submission_rules import (
    INCOMING,
    file_name_problem,
    member_problem,
    parse_file_name,
    submission_problem,
)
from transforms.coercion import PROBLEM_COLUMNS
from transforms.measures import measure_facts
from transforms.periods import Period
from transforms.reading import count_rows
from transforms.recruitment import recruitment_facts
from transforms.return_types import RETURN_TYPES, SPEND
from transforms.spend import spend_facts
from transforms.workforce import workforce_facts
from warehouse.load import record_submission, register_periods
from warehouse.queries import find_submission

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    """A file found in ``incoming/<member_id>/``; small and JSON-friendly so it can travel through XCom."""

    path: str
    member_id: str
    file_name: str
    size: int
    received_at: str  # ISO 8601, UTC: the bucket's modification time
    content_hash: str

    @property
    def submission_id(self) -> str:
        return self.content_hash[:16]


@dataclass(frozen=True)
class FileOutcome:
    submission_id: str
    member_id: str
    file_name: str
    return_type: str
    period: str
    status: str  # accepted | quarantined | superseded | duplicate | skipped | failed
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    feedback_path: str | None
    warehouse_changed: bool
    message: str = ""
    email: str = ""  # the feedback e-mail: sent | failed | already sent | disabled | no recipient


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


def scan_incoming(network: Network, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every stable file waiting in ``incoming/``, hashed, oldest first.

    A file modified within the network's settle time may still be being written, so it is left for the
    next run (``process_file`` also skips a file whose content changed since this scan).
    """
    now = now or datetime.now(UTC)
    settle = timedelta(seconds=network.cfg.settle_seconds)
    found = []
    with bucket_errors(network.bucket, "list"):
        entries = network.bucket.list_files(INCOMING)
    for entry in entries:
        parts = entry["path"].split("/")
        if posixpath.basename(entry["path"]).startswith(".") or ".tmp-" in entry["path"]:
            continue
        if settle and now - entry["modified"] < settle:
            log.info("%s was modified less than %s ago; leaving it for the next run", entry["path"], settle)
            continue
        member_id = parts[1] if len(parts) >= 3 else ""
        try:
            with bucket_errors(network.bucket, "read"):
                data = network.bucket.read(entry["path"])
        except FileNotFoundError:  # taken by a parallel run since the listing
            continue
        found.append(
            IncomingFile(
                path=entry["path"],
                member_id=member_id,
                file_name=parts[-1],
                size=entry["size"],
                received_at=entry["modified"].isoformat(),
                content_hash=content_hash(data),
            )
        )
    found.sort(key=lambda f: (f.received_at, f.path))
    return [asdict(f) for f in found]


def build_facts(
    network: Network,
    return_type: str,
    accepted: pd.DataFrame,
    submission_id: str,
    member_id: str,
    period: str,
) -> pa.Table:
    """Typed fact rows for the lake and warehouse; workforce references are pseudonymised here, before any write."""
    if return_type == "workforce":
        key = pseudonym_key(network.cfg.pseudonym_key_file)
        return workforce_facts(accepted, submission_id, member_id, period, key)
    if return_type == "measures":
        units = {m.code: m.unit for m in network.cfg.measures}
        return measure_facts(accepted, submission_id, member_id, period, units)
    if return_type == "recruitment":
        return recruitment_facts(accepted, submission_id, member_id, period)
    return spend_facts(accepted, submission_id, member_id, period, network_scope_rules(network))


def _archive(network: Network, incoming: IncomingFile, data: bytes) -> str:
    path = f"archive/{incoming.member_id or '_unknown'}/{incoming.content_hash}/{incoming.file_name}"
    if not network.bucket.exists(path):
        network.bucket.write(path, data)
    return path


def _skipped(incoming: IncomingFile, why: str) -> dict[str, Any]:
    return asdict(
        FileOutcome(
            incoming.submission_id,
            incoming.member_id,
            incoming.file_name,
            "",
            "",
            "skipped",
            0,
            0,
            0,
            None,
            False,
            why,
        )
    )


def _duplicate(network: Network, incoming: IncomingFile, earlier: dict[str, Any]) -> FileOutcome:
    """The same bytes again: nothing changes, but the member is told rather than left wondering."""
    feedback, email = None, ""
    if earlier["file_name"] != incoming.file_name or earlier["member_id"] != incoming.member_id:
        when = pd.Timestamp(earlier["received_at"]).strftime("%d %B %Y")
        submission = {
            **earlier,
            "member_id": incoming.member_id,
            "submission_id": incoming.submission_id,
            "status": "duplicate",
            "file_name": incoming.file_name,
            "received_at": incoming.received_at,
            "rows_loaded": 0,
            "rows_rejected": 0,
            "rows_read": earlier["rows_read"],
            "reason": f"This file has exactly the same content as '{earlier['file_name']}', received on {when} "
            f"(status: {earlier['status']}).",
        }
        feedback = write_feedback(network, submission, _no_problems(), None)
        email = email_feedback(network, submission, feedback)
    network.bucket.remove(incoming.path)
    return FileOutcome(
        earlier["submission_id"],
        incoming.member_id,
        incoming.file_name,
        earlier["return_type"],
        earlier["period"],
        "duplicate",
        earlier["rows_read"],
        0,
        0,
        feedback,
        False,
        f"same content as {earlier['file_name']} ({earlier['submission_id']})",
        email,
    )


def _check(network: Network, incoming: IncomingFile, data: bytes) -> tuple[str, str, ReturnCheck]:
    """(return type, period, verdict) of a file: its file-level rules first, then its content."""
    name = parse_file_name(incoming.file_name)
    return_type = name.return_type if name else "unknown"
    period = name.period if name else "unknown"
    problem = member_problem(network.cfg, incoming.member_id) or (
        submission_problem(network.cfg, incoming.member_id, return_type, period, name.extension)
        if name
        else file_name_problem(incoming.file_name)
    )
    if problem is not None:
        rows_read = count_rows(data, incoming.file_name, RETURN_TYPES.get(return_type, SPEND))
        check = ReturnCheck(
            "quarantined", rows_read, pd.DataFrame(), _no_problems(), problem.reason, problem.how_to_fix
        )
        return return_type, period, check
    member = network.cfg.member(incoming.member_id)
    check = check_return(
        data,
        incoming.file_name,
        RETURN_TYPES[return_type],
        Period.parse(period),
        member_column_map=member.column_map if member else None,
        tolerance=network.cfg.rejected_row_tolerance,
        rules=network_rules(network.cfg, return_type),
    )
    return return_type, period, check


def process_file(network: Network, incoming_dict: dict[str, Any]) -> dict[str, Any]:
    """Take one incoming file all the way: archive, check, stage and load (or quarantine), answer, clear."""
    incoming = IncomingFile(**incoming_dict)
    if not network.bucket.exists(incoming.path):
        return _skipped(incoming, "file no longer in incoming/")
    data = network.bucket.read(incoming.path)
    if content_hash(data) != incoming.content_hash:
        # Still being written (or replaced) since the scan: take it on the next run, once it is stable.
        return _skipped(incoming, "file changed since it was found")
    earlier = find_submission(network.engine, incoming.content_hash)
    if earlier is not None:
        return asdict(_duplicate(network, incoming, earlier))

    archive_path = _archive(network, incoming, data)
    return_type, period, check = _check(network, incoming, data)
    try:
        return asdict(_store(network, incoming, data, archive_path, return_type, period, check))
    except IntegrityError:
        # The same content under another name, taken by a parallel task a moment ago: a duplicate.
        earlier = find_submission(network.engine, incoming.content_hash)
        if earlier is None:
            raise
        return asdict(_duplicate(network, incoming, earlier))


def _store(
    network: Network,
    incoming: IncomingFile,
    data: bytes,
    archive_path: str,
    return_type: str,
    period: str,
    check: ReturnCheck,
) -> FileOutcome:
    submission_id = incoming.submission_id
    base = feedback_base(incoming.member_id, period, incoming.file_name, submission_id)
    submission: dict[str, Any] = {
        "submission_id": submission_id,
        "content_hash": incoming.content_hash,
        "member_id": incoming.member_id,
        "return_type": return_type,
        "period": period,
        "file_name": incoming.file_name,
        "received_at": datetime.fromisoformat(incoming.received_at),
        "processed_at": datetime.now(UTC),
        "status": check.status,
        "rows_read": check.rows_read,
        "rows_loaded": check.rows_accepted,
        "rows_rejected": check.rows_rejected,
        "accepted_total_gbp": check.accepted_total_gbp if check.status == "accepted" else None,
        "reason": check.file_reason,
        "superseded_by": None,
        "shape": check.shape,
        "encoding": check.raw.encoding if check.raw else None,
        "archive_path": archive_path,
        "lake_path": None,
        "feedback_path": f"{base}.html",
    }
    facts = None
    if check.status == "accepted":
        register_periods(network.engine, [period])
        facts = build_facts(network, return_type, check.accepted, submission_id, incoming.member_id, period)
        lake_path = f"{return_type}/period={period}/member={incoming.member_id}/{submission_id}.parquet"
        network.lake.write_parquet(lake_path, facts)
        submission["lake_path"] = lake_path
    else:
        network.bucket.write(
            f"quarantine/{incoming.member_id or '_unknown'}/{submission_id}_{incoming.file_name}", data
        )
    stored = record_submission(network.engine, submission, facts)
    if stored["status"] == "superseded":
        stored["reason"] = (
            f"A newer file with the same name was received on "
            f"{pd.Timestamp(stored['received_at']).strftime('%d %B %Y')}; its figures are used instead."
        )
    feedback = write_feedback(network, stored, check.problems, check.how_to_fix, check.warnings)
    # Before the file leaves incoming/: a crash here means the re-run finds the submission and does not re-send.
    email = email_feedback(network, stored, feedback)
    network.bucket.remove(incoming.path)
    log.info(
        "%s %s: %s (%s read, %s loaded, %s rejected)",
        incoming.member_id,
        incoming.file_name,
        stored["status"],
        check.rows_read,
        stored["rows_loaded"],
        stored["rows_rejected"],
    )
    return FileOutcome(
        submission_id,
        incoming.member_id,
        incoming.file_name,
        return_type,
        period,
        stored["status"],
        check.rows_read,
        stored["rows_loaded"],
        stored["rows_rejected"],
        feedback,
        stored["status"] == "accepted",
        check.file_reason or "",
        email,
    )


def _failed(incoming: dict[str, Any], exc: Exception) -> dict[str, Any]:
    name = parse_file_name(incoming["file_name"])
    return asdict(
        FileOutcome(
            incoming["content_hash"][:16],
            incoming["member_id"],
            incoming["file_name"],
            name.return_type if name else "",
            name.period if name else "",
            "failed",
            0,
            0,
            0,
            None,
            False,
            f"{exc.__class__.__name__}: {exc}",
        )
    )


def ingest_files(
    network: Network,
    files: Iterable[dict[str, Any]],
    on_file: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Take each file all the way, one at a time; a file that fails is logged and the others go on.

    Returns an outcome per file (``status`` "failed" for a file that raised). A failed file stays in
    ``incoming/`` (nothing is removed before its outcome is stored), so the next run takes it again.
    """
    outcomes = []
    for incoming in files:
        try:
            outcome = process_file(network, incoming)
        except Exception as exc:
            log.exception("%s could not be processed", incoming["path"])
            outcome = _failed(incoming, exc)
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)
    return outcomes


def failures(outcomes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in outcomes if o["status"] == "failed"]


def ingest(network: Network, on_file: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """The whole ingest in one process: reference data, then every waiting file."""
    refresh_reference_data(network)
    return ingest_files(network, scan_incoming(network), on_file)

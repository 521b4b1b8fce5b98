"""Ingest: find new files in the bucket, check each one, and archive, stage, load and answer it.

Every file ends in exactly one place the member can see (a receipt or a rejection in ``feedback/``)
and the original is always kept in ``archive/``. The warehouse changes in one transaction per file,
after the lake copy is written, so a crash at any point leaves the file in ``incoming/`` to be taken
again on the next run, and taking it again changes nothing twice (the content hash is the key).
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy.exc import IntegrityError

from pipeline.checking import ReturnCheck, check_return, network_rules
from pipeline.feedback import feedback_html, problems_csv
from pipeline.feedback_email import email_feedback
from pipeline.privacy import pseudonym_key
from pipeline.runtime import Network
from transforms.coercion import PROBLEM_COLUMNS
from transforms.measures import measure_facts
from transforms.periods import Period, PeriodError
from transforms.reading import count_rows
from transforms.recruitment import recruitment_facts
from transforms.return_types import RETURN_TYPES, SPEND
from transforms.spend import spend_facts, supplier_register
from transforms.workforce import workforce_facts
from warehouse.load import find_submission, record_submission, reference_hash, replace_supplier_register

log = logging.getLogger(__name__)

INCOMING = "incoming"
_FILE_NAME_RE = re.compile(
    r"^(?P<return_type>[a-z]+)_(?P<period>\d{4}-\d{2}(?:-Q[1-4])?)(?P<part>[ _\-.(][^/]*)?\.(?P<ext>[A-Za-z0-9]+)$",
    re.IGNORECASE,
)


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
    status: str  # accepted | quarantined | superseded | duplicate | skipped
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    feedback_path: str | None
    warehouse_changed: bool
    message: str = ""
    email: str = ""  # the feedback e-mail: sent | failed | already sent | disabled | no recipient


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BucketUnreachable(OSError):
    """The bucket cannot be listed or read; nothing was moved, and the task should be retried."""


@contextmanager
def bucket_errors(network: Network, doing: str) -> Iterator[None]:
    """Turn a storage client's error into one line an engineer can act on (which bucket, what failed)."""
    try:
        yield
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise BucketUnreachable(
            f"Could not {doing} the ingest bucket {network.cfg.bucket_url}: {exc.__class__.__name__}: {exc}. "
            "Nothing was moved; the task will be retried."
        ) from exc


def scan_incoming(network: Network, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every stable file waiting in ``incoming/``, hashed, oldest first.

    A file modified within the network's settle time may still be being written, so it is left for the
    next run (``process_file`` also skips a file whose content changed since this scan).
    """
    now = now or datetime.now(UTC)
    settle = timedelta(seconds=network.cfg.settle_seconds)
    found = []
    with bucket_errors(network, "list"):
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
            with bucket_errors(network, "read"):
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


def refresh_supplier_register(network: Network) -> dict[str, Any]:
    """Load the core team's supplier register into the warehouse when its content has changed."""
    path = network.cfg.reference.supplier_register
    with bucket_errors(network, "read"):
        if not network.bucket.exists(path):
            return {"path": path, "status": "missing", "rows": 0}
        data = network.bucket.read(path)
    digest = content_hash(data)
    if reference_hash(network.engine, path) == digest:
        return {"path": path, "status": "unchanged", "rows": None}
    import io

    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = {"supplier_id", "supplier_name", "postcode", "size", "is_vcse", "is_diverse_owned"} - set(
        raw.columns
    )
    if missing:
        raise ValueError(f"supplier register {path} lacks columns {sorted(missing)}")
    for column in ("employees", "turnover_gbp", "source", "as_of"):
        if column not in raw.columns:
            raw[column] = ""
    table = supplier_register(raw)
    replace_supplier_register(network.engine, table, path, digest)
    return {"path": path, "status": "loaded", "rows": table.num_rows}


def _file_level_problem(network: Network, incoming: IncomingFile) -> tuple[str, str, str, str] | None:
    """(reason, how to fix, return type, period) when the name or folder alone make the file unusable."""
    match = _FILE_NAME_RE.match(incoming.file_name)
    member = network.cfg.member(incoming.member_id)
    example = "spend_2025-26-Q2.csv"
    return_type = match["return_type"].lower() if match else "unknown"
    period = match["period"] if match else "unknown"
    if member is None:
        return (
            f"The folder '{incoming.member_id}' is not a member of {network.cfg.name}.",
            "Drop files into incoming/<your member id>/; the core team can tell you your id.",
            return_type,
            period,
        )
    if not match:
        return (
            f"The file name '{incoming.file_name}' does not say which return and period it is.",
            f"Name the file <return type>_<period>.csv, for example {example}.",
            return_type,
            period,
        )
    expected = network.cfg.expected_returns(member)
    if return_type not in expected:
        return (
            f"'{return_type}' is not a return your organisation sends to this network.",
            f"Use one of: {', '.join(expected)} (e.g. {example}).",
            return_type,
            period,
        )
    try:
        parsed = Period.parse(period)
    except PeriodError as exc:
        return (str(exc), f"Name the file like {example}.", return_type, period)
    frequency = network.cfg.returns[return_type].frequency
    if frequency == "quarterly" and parsed.quarter is None:
        return (
            f"{return_type} returns are quarterly, but the file name gives the whole year {period}.",
            f"Send one file per quarter, named like {return_type}_{period}-Q1.csv.",
            return_type,
            period,
        )
    suffix = match["ext"].lower()
    if suffix not in ("csv", "xlsx", "txt"):
        spreadsheet = suffix in ("xls", "xlsm", "xlsb", "ods", "numbers")
        return (
            f"Files of type '.{suffix}' are not accepted"
            + (" (an older or other spreadsheet format we cannot read)." if spreadsheet else "."),
            "Open the file and use File > Save As > 'Excel Workbook (*.xlsx)' or 'CSV UTF-8', then send it again."
            if spreadsheet
            else "Send the return as a CSV file (.csv) or an Excel workbook (.xlsx).",
            return_type,
            period,
        )
    return None


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
        return workforce_facts(accepted, submission_id, member_id, period, pseudonym_key(network.cfg))
    if return_type == "measures":
        units = {m.code: m.unit for m in network.cfg.measures}
        return measure_facts(accepted, submission_id, member_id, period, units)
    if return_type == "recruitment":
        return recruitment_facts(accepted, submission_id, member_id, period)
    return spend_facts(accepted, submission_id, member_id, period)


def _feedback_base(incoming: IncomingFile, period: str) -> str:
    stem = incoming.file_name.rsplit(".", 1)[0]
    return f"feedback/{incoming.member_id}/{period}/{stem}.{incoming.submission_id}"


def _write_feedback(
    network: Network,
    incoming: IncomingFile,
    submission: dict[str, Any],
    problems: pd.DataFrame,
    how_to_fix: str | None,
    warnings: pd.DataFrame | None = None,
) -> str:
    member = network.cfg.member(incoming.member_id)
    labels = {
        "accepted": "Accepted",
        "quarantined": "Held back",
        "superseded": "Accepted, but a newer file with the same name replaces it",
        "duplicate": "Already received",
    }
    view = {
        **submission,
        "status_label": labels.get(submission["status"], submission["status"]),
        "received_at_label": pd.Timestamp(submission["received_at"]).strftime("%d %B %Y %H:%M UTC"),
    }
    base = _feedback_base(incoming, submission["period"])
    html = feedback_html(
        network_name=network.cfg.name,
        member_name=member.name if member else incoming.member_id,
        submission=view,
        problems=problems,
        how_to_fix=how_to_fix,
        generated_at=datetime.now(UTC),
        warnings=warnings,
    )
    network.bucket.write(f"{base}.html", html.encode("utf-8"))
    network.bucket.write(f"{base}.csv", problems_csv(problems))
    return f"{base}.html"


def _archive(network: Network, incoming: IncomingFile, data: bytes) -> str:
    path = f"archive/{incoming.member_id or '_unknown'}/{incoming.content_hash}/{incoming.file_name}"
    if not network.bucket.exists(path):
        network.bucket.write(path, data)
    return path


def _duplicate(network: Network, incoming: IncomingFile, earlier: dict[str, Any]) -> FileOutcome:
    """The same bytes again: nothing changes, but the member is told rather than left wondering."""
    feedback, email = None, ""
    if earlier["file_name"] != incoming.file_name or earlier["member_id"] != incoming.member_id:
        when = pd.Timestamp(earlier["received_at"]).strftime("%d %B %Y")
        submission = {
            **earlier,
            "status": "duplicate",
            "file_name": incoming.file_name,
            "received_at": incoming.received_at,
            "rows_loaded": 0,
            "rows_rejected": 0,
            "rows_read": earlier["rows_read"],
            "reason": f"This file has exactly the same content as '{earlier['file_name']}', received on {when} "
            f"(status: {earlier['status']}).",
        }
        feedback = _write_feedback(network, incoming, submission, _no_problems(), None)
        email = email_feedback(network, {**submission, "member_id": incoming.member_id}, feedback)
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


def process_file(network: Network, incoming_dict: dict[str, Any]) -> dict[str, Any]:
    """Take one incoming file all the way: archive, check, stage and load (or quarantine), answer, clear."""
    incoming = IncomingFile(**incoming_dict)
    if not network.bucket.exists(incoming.path):
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
                "file no longer in incoming/",
            )
        )
    data = network.bucket.read(incoming.path)
    if content_hash(data) != incoming.content_hash:
        # Still being written (or replaced) since the scan: take it on the next run, once it is stable.
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
                "file changed since it was found",
            )
        )
    earlier = find_submission(network.engine, incoming.content_hash)
    if earlier is not None:
        return asdict(_duplicate(network, incoming, earlier))

    archive_path = _archive(network, incoming, data)
    problem = _file_level_problem(network, incoming)
    if problem is not None:
        reason, how_to_fix, return_type, period = problem
        rows_read = count_rows(data, incoming.file_name, RETURN_TYPES.get(return_type, SPEND))
        check = ReturnCheck("quarantined", rows_read, pd.DataFrame(), _no_problems(), reason, how_to_fix)
    else:
        match = _FILE_NAME_RE.match(incoming.file_name)
        assert match is not None
        return_type, period = match["return_type"].lower(), match["period"]
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
    base = _feedback_base(incoming, period)
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
        network.register_periods([period])
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
    feedback = _write_feedback(network, incoming, stored, check.problems, check.how_to_fix, check.warnings)
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


def ingest(network: Network, on_file: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """The whole ingest in one process (the CLI path; the DAG maps ``process_file`` over the scan)."""
    refresh_supplier_register(network)
    outcomes = []
    for incoming in scan_incoming(network):
        outcome = process_file(network, incoming)
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)
    return outcomes

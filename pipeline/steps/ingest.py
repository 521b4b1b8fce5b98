"""Ingest: find new files in the bucket, check each one, and archive, stage, load and answer it.

Every file ends in exactly one place the member can see (a receipt or a rejection in ``feedback/``)
and the original is always kept in ``archive/``. A file is taken in three steps: checked (nothing
stored), recorded (the lake copy, then one warehouse transaction holding its audit row, its facts and
the answer its member is owed), answered (``pipeline.steps.answers``). A crash before the transaction
leaves the file in ``incoming/`` for the next run and no lake file behind; a crash after it leaves the
answer owed, and the next run pays it. The file leaves ``incoming/`` only once answered, and only if it
is still the version that was processed: a correction sent meanwhile waits for the next scan.

:func:`ingest_files` is the one loop over files: the DAG's mapped tasks, ``anchor ingest`` and the tests
all go through it. A file that raises is quarantined with a plain answer to its member and an alert to
the engineers, and the others go on (docs/design.md#one-ingest-path).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy.exc import IntegrityError

from pipeline.adapters.bucket import content_hash
from pipeline.adapters.secrets import pseudonym_key
from pipeline.network import Network
from pipeline.presentation.feedback_pages import answer_content
from pipeline.steps.answers import owe_answer, pay_answer, pay_owed_answers
from pipeline.steps.checking import ReturnCheck, check_return, network_rules
from pipeline.steps.column_maps import column_map_for, recorded_column_maps
from pipeline.steps.feedback import email_feedback, feedback_base, write_feedback
from pipeline.steps.incoming import IncomingFile, safe_file_name, scan
from pipeline.steps.ingest_alerts import alert_skipped, alert_unprocessable
from pipeline.steps.reference_data import refresh_reference_data
from pipeline.steps.spend_scope import network_scope_rules
from pipeline.steps.submission_rules import (
    file_name_problem,
    ingest_period_problem,
    member_problem,
    parse_file_name,
    submission_problem,
)
from transforms.coercion import PROBLEM_COLUMNS
from transforms.column_maps import RecordedMapping
from transforms.headers import mapping_summary
from transforms.limits import file_too_big
from transforms.measures import measure_facts
from transforms.periods import Period
from transforms.reading import count_rows
from transforms.recruitment import recruitment_facts
from transforms.return_types import RETURN_TYPES, SPEND
from transforms.spend import spend_facts
from transforms.workforce import workforce_facts
from warehouse import queries
from warehouse.capacity import facts_that_do_not_fit
from warehouse.load import record_submission, register_periods

log = logging.getLogger(__name__)

__all__ = ["IncomingFile", "ingest", "ingest_files", "process_file", "scan_incoming"]

COULD_NOT_PROCESS = (
    "We could not process this file; the data team has been told and will look into it. "
    "Nothing from it has been used yet."
)
COULD_NOT_PROCESS_FIX = (
    "You do not need to do anything now: the data team will contact you if they need the file again."
)
# A lake file no submission names is removed once it is this old (younger ones may belong to a load
# still in flight in another task).
ORPHAN_AGE = timedelta(hours=1)


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
    email: str = ""  # the feedback e-mail: sent | failed | already sent | disabled | no recipient | owed
    error: str = ""  # for engineers: why the file could not be processed (it was quarantined)
    # Rows set aside (totals, headings, notes): rows_read = loaded + rejected + set aside.
    rows_set_aside: int = 0


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


def scan_incoming(network: Network, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every stable file waiting in ``incoming/``, hashed, oldest first; files left are reported.

    A file modified within the network's settle time may still be being written, so it is left for the
    next run (``process_file`` also skips a file whose content changed since this scan). Links, hidden
    and temporary files are never read; the engineers are told about them (once per set of them).
    """
    found = scan(network.bucket, network.cfg.settle_seconds, now)
    alert_skipped(network, found.skipped)
    return found.files


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


def _archive_path(incoming: IncomingFile) -> str:
    return f"archive/{incoming.member_id}/{incoming.content_hash}/{safe_file_name(incoming.file_name)}"


def _quarantine_path(incoming: IncomingFile) -> str:
    return f"quarantine/{incoming.member_id}/{incoming.submission_id}/{safe_file_name(incoming.file_name)}"


def _archive(network: Network, incoming: IncomingFile, data: bytes | None) -> str:
    """Keep the original before anything else happens (by copy when it was not read: too big)."""
    path = _archive_path(incoming)
    if not network.bucket.exists(path):
        if data is None:
            network.bucket.copy(incoming.path, path)
        else:
            network.bucket.write(path, data)
    return path


def _clear(network: Network, incoming: IncomingFile) -> None:
    """Remove the file from incoming/, unless a newer version has replaced it meanwhile (it then waits)."""
    if not incoming.version:  # never read (too big, or it raised): compare with what is there now
        try:
            incoming = replace(incoming, version=network.bucket.version_of(incoming.path)[1])
        except FileNotFoundError:
            return
    if not network.bucket.remove_version(incoming.path, incoming.version):
        log.info(
            "%s was replaced while it was processed; the new version waits for the next run", incoming.path
        )


def _skipped(incoming: IncomingFile, why: str) -> dict[str, Any]:
    return asdict(
        FileOutcome(
            incoming.submission_id,
            incoming.member_id,
            incoming.file_name,
            incoming.return_type,
            incoming.period,
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
    """The same bytes again for the same return: nothing changes, but the member is told rather than left
    wondering. ``earlier`` is always this member's own file (duplicates are per member, return and period)."""
    feedback, email = None, ""
    if earlier["file_name"] != incoming.file_name:
        when = pd.Timestamp(earlier["received_at"]).strftime("%d %B %Y")
        submission = {
            **earlier,
            "member_id": incoming.member_id,
            "status": "duplicate",
            "file_name": incoming.file_name,
            "received_at": incoming.received_at,
            "rows_loaded": 0,
            "rows_rejected": 0,
            "rows_set_aside": 0,
            "rows_read": earlier["rows_read"],
            "reason": f"This file has exactly the same content as '{earlier['file_name']}', received on {when} "
            f"(status: {earlier['status']}).",
        }
        feedback = write_feedback(network, submission, _no_problems(), None)
        email = email_feedback(network, submission, feedback)
    _clear(network, incoming)
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


def _check(
    network: Network,
    incoming: IncomingFile,
    data: bytes,
    column_maps: list[RecordedMapping],
    today: datetime,
) -> ReturnCheck:
    """The verdict on a file: its file-level rules first, then its content."""
    name = parse_file_name(incoming.file_name)
    return_type, period = incoming.return_type, incoming.period
    cfg = network.cfg
    limits = cfg.limits.read_limits()
    problem = member_problem(cfg, incoming.member_id) or (
        (
            submission_problem(cfg, incoming.member_id, return_type, period, name.extension)
            or ingest_period_problem(cfg, period, today.date())
        )
        if name
        else file_name_problem(incoming.file_name)
    )
    if problem is not None:
        rows_read = count_rows(data, incoming.file_name, RETURN_TYPES.get(return_type, SPEND), limits)
        return ReturnCheck(
            "quarantined", rows_read, pd.DataFrame(), _no_problems(), problem.reason, problem.how_to_fix
        )
    return check_return(
        data,
        incoming.file_name,
        RETURN_TYPES[return_type],
        Period.parse(period),
        member_column_map=column_map_for(cfg, column_maps, incoming.member_id, return_type),
        tolerance=cfg.rejected_row_tolerance,
        rules=network_rules(cfg, return_type),
        member_id=incoming.member_id,
    )


def process_file(
    network: Network,
    incoming_dict: dict[str, Any],
    column_maps: list[RecordedMapping] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Take one incoming file all the way: archive, check, record (lake and warehouse), answer, clear.

    Raises only before anything is recorded (the caller, :func:`ingest_files`, then quarantines the file
    with an answer); once the submission is stored, a failure to answer leaves the answer owed.
    """
    incoming = IncomingFile(**incoming_dict)
    now = now or datetime.now(UTC)
    limits = network.cfg.limits.read_limits()
    if incoming.size > limits.max_file_bytes:
        return asdict(_too_big(network, incoming, now))
    try:
        data, version = network.bucket.read_version(incoming.path)
    except FileNotFoundError:
        return _skipped(incoming, "file no longer in incoming/")
    if content_hash(data) != incoming.content_hash:
        # Still being written (or replaced) since the scan: take it on the next run, once it is stable.
        return _skipped(incoming, "file changed since it was found")
    if not incoming.version:
        incoming = replace(incoming, version=version)
    earlier = queries.submission(network.engine, incoming.submission_id)
    if earlier is not None and not earlier.get("error"):
        return asdict(_duplicate(network, incoming, earlier))

    archive_path = _archive(network, incoming, data)
    maps = recorded_column_maps(network) if column_maps is None else column_maps
    check = _check(network, incoming, data, maps, now)
    try:
        return asdict(_store(network, incoming, data, archive_path, check, now))
    except IntegrityError:
        # The same content for the same return, taken by a parallel task a moment ago: a duplicate.
        earlier = queries.submission(network.engine, incoming.submission_id)
        if earlier is None:
            raise
        return asdict(_duplicate(network, incoming, earlier))


def _submission_row(
    incoming: IncomingFile, check: ReturnCheck, archive_path: str, now: datetime
) -> dict[str, Any]:
    return {
        "submission_id": incoming.submission_id,
        "content_hash": incoming.content_hash,
        "member_id": incoming.member_id,
        "return_type": incoming.return_type,
        "period": incoming.period,
        "file_name": incoming.file_name,
        "received_at": datetime.fromisoformat(incoming.received_at),
        "processed_at": now,
        "status": check.status,
        "rows_read": check.rows_read,
        "rows_loaded": check.rows_accepted,
        "rows_rejected": check.rows_rejected,
        "rows_set_aside": check.rows_set_aside,
        "accepted_total_gbp": check.accepted_total_gbp if check.status == "accepted" else None,
        "reason": check.file_reason,
        "superseded_by": None,
        "shape": check.shape,
        "encoding": check.raw.encoding if check.raw else None,
        "archive_path": archive_path,
        "lake_path": None,
        "feedback_path": feedback_base(
            incoming.member_id, incoming.period, incoming.file_name, incoming.submission_id
        )
        + ".html",
        "answer_status": "owed",
        "error": None,
    }


def _mapping(check: ReturnCheck, return_type: str) -> list[str]:
    spec = RETURN_TYPES.get(return_type)
    if check.raw is None or spec is None:
        return []
    return mapping_summary(check.raw.header_matches, check.raw.ignored, spec)


def _store(
    network: Network,
    incoming: IncomingFile,
    data: bytes | None,
    archive_path: str,
    check: ReturnCheck,
    now: datetime,
) -> FileOutcome:
    """Record a checked file (lake and warehouse, all or nothing) with the answer it is owed, then pay it."""
    submission = _submission_row(incoming, check, archive_path, now)
    return_type, period = incoming.return_type, incoming.period
    facts = None
    if check.status == "accepted":
        register_periods(network.engine, [period])
        facts = build_facts(
            network, return_type, check.accepted, incoming.submission_id, incoming.member_id, period
        )
        unfit = facts_that_do_not_fit(return_type, facts)
        if unfit:  # the checks should have set these rows aside: refuse the load rather than fail it
            raise ValueError(f"facts that do not fit the warehouse: {'; '.join(unfit)}")
        submission["lake_path"] = (
            f"{return_type}/period={period}/member={incoming.member_id}/{incoming.submission_id}.parquet"
        )
    else:
        quarantine = _quarantine_path(incoming)
        if data is None:
            network.bucket.copy(incoming.path, quarantine)
        else:
            network.bucket.write(quarantine, data)
    content = answer_content(
        check.problems, check.warnings, return_type, check.how_to_fix, _mapping(check, return_type)
    )
    owe_answer(network, incoming.submission_id, content, check.problems)
    if facts is not None:
        network.lake.write_parquet(submission["lake_path"], facts)
    try:
        stored = record_submission(network.engine, submission, facts)
    except BaseException:
        if submission["lake_path"]:  # the lake and the warehouse change together or not at all
            network.lake.remove(submission["lake_path"])
        raise
    log.info(
        "%s %s: %s (%s read, %s loaded, %s rejected, %s set aside: totals, repeated headings or notes)",
        incoming.member_id,
        incoming.file_name,
        stored["status"],
        check.rows_read,
        stored["rows_loaded"],
        stored["rows_rejected"],
        stored["rows_set_aside"],
    )
    feedback, email = _answer(network, stored, incoming)
    return FileOutcome(
        incoming.submission_id,
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
        rows_set_aside=stored["rows_set_aside"],
    )


def _answer(network: Network, stored: dict[str, Any], incoming: IncomingFile) -> tuple[str | None, str]:
    """Pay the answer now; if that fails, it stays owed (the next run pays it) and the file stays too."""
    try:
        feedback, email = pay_answer(network, stored)
    except Exception:
        log.exception(
            "could not answer %s about %s yet; the answer stays owed", incoming.member_id, incoming.path
        )
        return None, "owed"
    _clear(network, incoming)
    return feedback, email


def _too_big(network: Network, incoming: IncomingFile, now: datetime) -> FileOutcome:
    """A file past the size limit is never read: archived and quarantined by copy, and answered."""
    earlier = queries.submission(network.engine, incoming.submission_id)
    if earlier is not None and not earlier.get("error"):
        return _duplicate(network, incoming, earlier)
    reason, how_to_fix = file_too_big(incoming.size, network.cfg.limits.read_limits())
    check = ReturnCheck("quarantined", 0, pd.DataFrame(), _no_problems(), reason, how_to_fix)
    return _store(network, incoming, None, _archive(network, incoming, None), check, now)


def _could_not_process(network: Network, incoming_dict: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """A file raised: quarantine it with a plain answer to its member and an alert to the engineers.

    If even that fails (the warehouse or the bucket is down), the file stays in incoming/ and the outcome
    is ``failed``: the next run, or the task's retry, takes it again.
    """
    error = f"{exc.__class__.__name__}: {exc}"
    try:
        incoming = IncomingFile(**incoming_dict)
        now = datetime.now(UTC)
        earlier = queries.submission(network.engine, incoming.submission_id)
        if earlier is not None and not earlier.get("error"):
            # Recorded before it raised: the answer is owed (or paid) already; the next scan clears the file.
            return asdict(
                FileOutcome(
                    incoming.submission_id,
                    incoming.member_id,
                    incoming.file_name,
                    earlier["return_type"],
                    earlier["period"],
                    earlier["status"],
                    earlier["rows_read"],
                    earlier["rows_loaded"],
                    earlier["rows_rejected"],
                    earlier["feedback_path"],
                    earlier["status"] == "accepted",
                    "recorded; answer owed",
                    "owed",
                    error,
                    rows_set_aside=earlier.get("rows_set_aside") or 0,
                )
            )
        archive_path = _archive(network, incoming, None)
        check = ReturnCheck(
            "quarantined", 0, pd.DataFrame(), _no_problems(), COULD_NOT_PROCESS, COULD_NOT_PROCESS_FIX
        )
        submission = {**_submission_row(incoming, check, archive_path, now), "error": error}
        quarantine = _quarantine_path(incoming)
        network.bucket.copy(incoming.path, quarantine)
        owe_answer(
            network,
            incoming.submission_id,
            answer_content(_no_problems(), None, incoming.return_type, COULD_NOT_PROCESS_FIX),
            _no_problems(),
        )
        stored = record_submission(network.engine, submission, None)
        alert_unprocessable(
            network, incoming.submission_id, incoming.member_id, incoming.path, error, quarantine
        )
        feedback, email = _answer(network, stored, incoming)
    except Exception:
        log.exception("%s could not be quarantined either; it stays in incoming/", incoming_dict.get("path"))
        return _failed(incoming_dict, exc)
    return asdict(
        FileOutcome(
            incoming.submission_id,
            incoming.member_id,
            incoming.file_name,
            incoming.return_type,
            incoming.period,
            "quarantined",
            0,
            0,
            0,
            feedback,
            False,
            "could not be processed; quarantined and the engineers told",
            email,
            error,
        )
    )


def _failed(incoming: dict[str, Any], exc: Exception) -> dict[str, Any]:
    name = parse_file_name(incoming.get("file_name", ""))
    return asdict(
        FileOutcome(
            incoming.get("content_hash", "")[:16],
            incoming.get("member_id", ""),
            incoming.get("file_name", ""),
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
    """Take each file all the way, one at a time; a file that raises is quarantined and the others go on.

    A file that raises is answered ("we could not process this file"), kept in quarantine/ and reported
    to the engineers, so it is not taken again and again. Only when even that is impossible (storage
    down) is the outcome ``failed``, with the file left in ``incoming/`` for the next run.
    """
    outcomes = []
    maps = recorded_column_maps(network)
    for incoming in files:
        try:
            outcome = process_file(network, incoming, maps)
        except Exception as exc:
            log.error(
                "%s could not be processed: %s",
                incoming.get("path"),
                "".join(traceback.format_exception(exc)),
            )
            outcome = _could_not_process(network, incoming, exc)
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)
    return outcomes


def failures(outcomes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in outcomes if o["status"] == "failed"]


def settle_earlier_runs(network: Network, now: datetime | None = None) -> dict[str, Any]:
    """What a crash may have left: answers owed (paid now) and lake files no submission names (removed)."""
    paid = pay_owed_answers(network)
    now = now or datetime.now(UTC)
    named = queries.lake_paths(network.engine)
    removed = []
    for entry in network.lake.list_files(""):
        if (
            entry["path"].endswith(".parquet")
            and entry["path"] not in named
            and now - entry["modified"] > ORPHAN_AGE
        ):
            network.lake.remove(entry["path"])
            removed.append(entry["path"])
    if removed:
        log.warning("removed %d lake file(s) that no submission names: %s", len(removed), removed)
    return {"answers_paid": len(paid), "orphan_lake_files_removed": len(removed)}


def ingest(network: Network, on_file: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """The whole ingest in one process: reference data, what earlier runs left, then every waiting file."""
    refresh_reference_data(network)
    settle_earlier_runs(network)
    return ingest_files(network, scan_incoming(network), on_file)

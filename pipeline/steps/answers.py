"""Every file's answer is owed, then paid: recorded with the submission, delivered after it.

The warehouse transaction that stores a submission also records that its member is owed an answer
(``submissions.answer_status = 'owed'``). What the answer says beyond the stored outcome (the problems
grouped, warnings, how to fix it, how the columns were read) and the full problem CSV are written to the
bucket's ``owed/`` folder just before that transaction, so paying needs nothing else: the feedback page
is rendered from the stored row (whose status may have changed since, e.g. superseded), the CSV copied
beside it, the e-mail sent through the ledger (never twice), and only then is the answer marked paid.
A crash anywhere in between leaves it owed, and the next run pays it (:func:`pay_owed_answers`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd

from pipeline.network import Network
from pipeline.presentation.feedback_pages import problems_csv
from pipeline.steps.feedback import email_feedback, feedback_base, write_feedback_page
from warehouse import queries
from warehouse.load import mark_answer_paid

log = logging.getLogger(__name__)

OWED = "owed"


def _owed_paths(submission_id: str) -> tuple[str, str]:
    return f"{OWED}/{submission_id}.json", f"{OWED}/{submission_id}.csv"


def owe_answer(network: Network, submission_id: str, content: dict[str, Any], problems: pd.DataFrame) -> None:
    """Keep what the answer will say until it is paid (written before the submission is stored)."""
    content_path, csv_path = _owed_paths(submission_id)
    network.bucket.write(csv_path, problems_csv(problems))
    network.bucket.write(content_path, json.dumps(content, ensure_ascii=False, default=str).encode("utf-8"))


def _superseded_reason(network: Network, stored: dict[str, Any]) -> str:
    newer = (
        queries.submission(network.engine, stored["superseded_by"]) if stored.get("superseded_by") else None
    )
    when = pd.Timestamp((newer or stored)["received_at"]).strftime("%d %B %Y")
    return f"A newer file with the same name was received on {when}; its figures are used instead."


def pay_answer(network: Network, stored: dict[str, Any]) -> tuple[str, str]:
    """Write the feedback page and problem CSV of a stored submission and e-mail them; mark the answer paid.

    Returns (feedback page path, e-mail status). Safe to run twice: files are rewritten, the e-mail
    ledger sends nothing twice.
    """
    submission = dict(stored)
    if submission["status"] == "superseded" and not submission.get("reason"):
        submission["reason"] = _superseded_reason(network, submission)
    content_path, csv_path = _owed_paths(submission["submission_id"])
    content: dict[str, Any] = {}
    if network.bucket.exists(content_path):
        content = json.loads(network.bucket.read(content_path))
    base = feedback_base(
        submission["member_id"], submission["period"], submission["file_name"], submission["submission_id"]
    )
    if network.bucket.exists(csv_path):
        network.bucket.copy(csv_path, f"{base}.csv")
    elif not network.bucket.exists(f"{base}.csv"):
        network.bucket.write(
            f"{base}.csv", problems_csv(pd.DataFrame(columns=["row", "column", "value", "reason"]))
        )
    page = write_feedback_page(network, submission, content)
    email = email_feedback(network, submission, page)
    mark_answer_paid(network.engine, submission["submission_id"])
    for path in (content_path, csv_path):
        network.bucket.remove(path)
    return page, email


def pay_owed_answers(network: Network) -> list[dict[str, Any]]:
    """Pay every answer a crash left owed; one that cannot be paid now stays owed for the next run."""
    paid = []
    for stored in queries.owed_answers(network.engine):
        try:
            page, email = pay_answer(network, stored)
        except Exception:
            log.exception(
                "could not answer %s about %s; it stays owed", stored["member_id"], stored["file_name"]
            )
            continue
        log.info(
            "answered %s about %s (owed since a crash): %s", stored["member_id"], stored["file_name"], page
        )
        paid.append({"submission_id": stored["submission_id"], "feedback_path": page, "email": email})
    return paid

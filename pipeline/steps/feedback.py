"""Answer the member about every file: a feedback page and a CSV of problem rows in the bucket's
``feedback/``, and the same page by e-mail to the member's contact.

The e-mail body is the feedback page itself (a receipt or a rejection with the problems grouped); the
CSV of every problem row is attached when there is one. Sending is best-effort by design:
``delivery.deliver`` records a failure instead of raising, so a file's outcome never depends on the
mail server, and failed e-mails are retried daily.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pipeline.adapters.mail import MemberMail
from pipeline.network import Network
from pipeline.presentation.feedback_pages import answer_content, feedback_html, problems_csv
from pipeline.presentation.messages import feedback_subject
from pipeline.steps.delivery import deliver
from pipeline.steps.incoming import safe_stem
from warehouse import queries
from warehouse.emails import emails

STATUS_LABELS = {
    "accepted": "Accepted",
    "quarantined": "Held back",
    "superseded": "Accepted, but a newer file with the same name replaces it",
    "duplicate": "Already received",
}


def feedback_base(member_id: str, period: str, file_name: str, submission_id: str) -> str:
    """Where a file's answer goes: ``feedback/<member>/<period>/<file stem>.<submission id>`` (the stem
    shortened when a long name would not fit the file system)."""
    return f"feedback/{member_id or '_unknown'}/{period}/{safe_stem(file_name)}.{submission_id}"


def write_feedback_page(network: Network, submission: dict[str, Any], content: dict[str, Any]) -> str:
    """The feedback page of one processed file (``content``: ``answer_content``); returns its path."""
    member = network.cfg.member(submission["member_id"])
    view = {
        **submission,
        "status_label": STATUS_LABELS.get(submission["status"], submission["status"]),
        "received_at_label": pd.Timestamp(submission["received_at"]).strftime("%d %B %Y %H:%M UTC"),
    }
    base = feedback_base(
        submission["member_id"], submission["period"], submission["file_name"], submission["submission_id"]
    )
    html = feedback_html(
        network_name=network.cfg.name,
        member_name=member.name if member else submission["member_id"],
        submission=view,
        content=content,
        generated_at=datetime.now(UTC),
    )
    network.bucket.write(f"{base}.html", html.encode("utf-8"))
    return f"{base}.html"


def write_feedback(
    network: Network,
    submission: dict[str, Any],
    problems: pd.DataFrame,
    how_to_fix: str | None,
    warnings: pd.DataFrame | None = None,
    mapping: list[str] | None = None,
) -> str:
    """The feedback page and problem CSV of one processed file; returns the page's path in the bucket."""
    base = feedback_base(
        submission["member_id"], submission["period"], submission["file_name"], submission["submission_id"]
    )
    network.bucket.write(f"{base}.csv", problems_csv(problems))
    content = answer_content(problems, warnings, submission["return_type"], how_to_fix, mapping)
    return write_feedback_page(network, submission, content)


def email_feedback(
    network: Network, submission: dict[str, Any], feedback_path: str | None, key: str | None = None
) -> str:
    """Send the feedback for one processed file; returns the delivery status (see ``delivery.deliver``).

    ``key`` is the ledger key of an earlier, failed attempt being retried.
    """
    if not network.cfg.email_enabled or not feedback_path:
        return "disabled"
    member = network.cfg.member(submission["member_id"])
    if member is None:  # a folder that is not a member: there is nobody to write to
        return "no recipient"
    html = network.bucket.read(feedback_path).decode("utf-8")
    attachments = {}
    problems_path = feedback_path.removesuffix(".html") + ".csv"
    # Rows set aside (totals, repeated headings, notes) are listed in the CSV too: the member can find every line not loaded.
    listed = submission.get("rows_rejected") or submission.get("rows_set_aside")
    if listed and network.bucket.exists(problems_path):
        stem = safe_stem(submission["file_name"], 80)
        attachments[f"{stem}-problems.csv"] = network.bucket.read(problems_path)
    name_digest = hashlib.sha1(f"{member.id}/{submission['file_name']}".encode()).hexdigest()[:12]
    mail = MemberMail(
        # A file answered "could not process" and taken again later is answered again.
        key=key
        or f"feedback/{submission['submission_id']}/{name_digest}"
        + ("/could-not-process" if submission.get("error") else ""),
        kind="feedback",
        member_id=member.id,
        to=member.contact_email,
        subject=feedback_subject(network.cfg.name, submission),
        html=html,
        about=f"{submission['file_name']} ({submission['status']})",
        attachments=attachments,
    )
    return deliver(network, mail)


MAX_ATTEMPTS = 5


def resend_failed_feedback(network: Network) -> list[dict[str, Any]]:
    """Retry feedback e-mails that failed (the mail server was down when the file was processed).

    The message is rebuilt from the submission and its feedback page in the bucket, under the failed
    attempt's ledger key, so a retry that succeeds is recorded there and never sent twice. After
    ``MAX_ATTEMPTS`` a message is left failed, for someone to look at the ledger's error.
    """
    if not network.cfg.email_enabled:
        return []
    results = []
    for row in emails(network.engine, kind="feedback", status="failed"):
        if row["attempts"] >= MAX_ATTEMPTS:
            continue
        submission_id = row["key"].split("/")[1]
        stored = queries.submission(network.engine, submission_id)
        if (
            stored is None
            or not stored["feedback_path"]
            or not network.bucket.exists(stored["feedback_path"])
        ):
            continue
        status = email_feedback(network, dict(stored), stored["feedback_path"], key=row["key"])
        results.append({"key": row["key"], "member_id": row["member_id"], "status": status})
        if status == "failed" and row["attempts"] + 1 >= MAX_ATTEMPTS:
            _give_up(network, row, dict(stored))
    return results


def _give_up(network: Network, row: dict[str, Any], submission: dict[str, Any]) -> None:
    """The last attempt failed: tell the data engineers, who can reach the member another way."""
    from pipeline.steps.alerts import tell

    [latest] = emails(network.engine, key=row["key"])
    tell(
        network.cfg,
        f"feedback to {row['member_id']} could not be delivered",
        {
            "Member": row["member_id"],
            "Recipient": row["recipient"],
            "File": submission["file_name"],
            "Outcome": submission["status"],
            "Attempts": str(latest["attempts"]),
            "Last error": latest["error"] or "not recorded",
        },
        "The member has not been told the outcome of this file by e-mail; its feedback is in the bucket "
        f"at {submission['feedback_path']}. Check the contact address in the network config, or send "
        "the feedback another way.",
        key=f"alert/{row['key']}",
    )

"""E-mail each file's feedback to the member's contact, so nobody has to look in the bucket for it.

The message body is the same HTML page that is written to ``feedback/`` (a receipt or a rejection with
the problems grouped); the CSV of every problem row is attached when there is one. Sending is
best-effort by design: ``mailer.deliver`` records a failure instead of raising, so the file's outcome
never depends on the mail server.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from pipeline.adapters.mail import MemberMail, deliver
from pipeline.network import Network
from pipeline.presentation.messages import feedback_subject
from warehouse.emails import emails
from warehouse.schema import submissions


def email_feedback(
    network: Network, submission: dict[str, Any], feedback_path: str | None, key: str | None = None
) -> str:
    """Send the feedback for one processed file; returns the delivery status (see ``mailer.deliver``).

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
    if submission.get("rows_rejected") and network.bucket.exists(problems_path):
        stem = submission["file_name"].rsplit(".", 1)[0]
        attachments[f"{stem}-problems.csv"] = network.bucket.read(problems_path)
    name_digest = hashlib.sha1(f"{member.id}/{submission['file_name']}".encode()).hexdigest()[:12]
    mail = MemberMail(
        key=key or f"feedback/{submission['submission_id']}/{name_digest}",
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
        with network.engine.connect() as conn:
            stored = (
                conn.execute(select(submissions).where(submissions.c.submission_id == submission_id))
                .mappings()
                .first()
            )
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

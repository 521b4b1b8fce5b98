"""E-mail each file's feedback to the member's contact, so nobody has to look in the bucket for it.

The message body is the same HTML page that is written to ``feedback/`` (a receipt or a rejection with
the problems grouped); the CSV of every problem row is attached when there is one. Sending is
best-effort by design: ``mailer.deliver`` records a failure instead of raising, so the file's outcome
never depends on the mail server.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pipeline.mailer import MemberMail, deliver
from pipeline.runtime import Network
from transforms.return_types import RETURN_TYPES

SUBJECT_PREFIX = {
    "accepted": "Accepted",
    "quarantined": "Held back, action needed",
    "superseded": "Accepted, replaced by a newer file",
    "duplicate": "Already received",
}


def feedback_subject(network_name: str, submission: dict[str, Any]) -> str:
    return_type = RETURN_TYPES.get(submission["return_type"])
    label = return_type.label.lower() if return_type else "return"
    prefix = SUBJECT_PREFIX.get(submission["status"], submission["status"].capitalize())
    if submission["status"] == "accepted" and submission.get("rows_rejected"):
        prefix = f"Accepted with {submission['rows_rejected']} row(s) to check"
    return (
        f"{prefix}: your {label} return {submission['period']} ({submission['file_name']}) - {network_name}"
    )


def email_feedback(network: Network, submission: dict[str, Any], feedback_path: str | None) -> str:
    """Send the feedback for one processed file; returns the delivery status (see ``mailer.deliver``)."""
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
        key=f"feedback/{submission['submission_id']}/{name_digest}",
        kind="feedback",
        member_id=member.id,
        to=member.contact_email,
        subject=feedback_subject(network.cfg.name, submission),
        html=html,
        about=f"{submission['file_name']} ({submission['status']})",
        attachments=attachments,
    )
    return deliver(network, mail)

"""Send an e-mail at most once and record how it went, in the warehouse's ``member_emails`` ledger.

Claiming the message's key first is what makes a re-run of a task or a DAG send nothing twice. A failed
send is logged and recorded with its error; it never raises into the step that asked for it, because an
unsent e-mail must not lose or hold back a member's file.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from pipeline.adapters.mail import MemberMail, send_smtp
from pipeline.network import Network
from warehouse.emails import claim_email, finish_email

log = logging.getLogger(__name__)


def deliver(network: Network, mail: MemberMail, today: date | None = None) -> str:
    """``sent``, ``failed``, ``already sent`` or ``disabled`` (the network has no e-mail configured)."""
    settings = network.cfg.email
    if not network.cfg.email_enabled:
        return "disabled"
    row = {
        "key": mail.key,
        "kind": mail.kind,
        "member_id": mail.member_id,
        "recipient": mail.to,
        "subject": mail.subject[:300],
        "about": mail.about,
    }
    if not claim_email(network.engine, row, today or datetime.now(UTC).date()):
        return "already sent"
    try:
        send_smtp(settings, mail)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        log.error("e-mail %s to %s (%s) failed: %s", mail.key, mail.to, mail.member_id, error)
        finish_email(network.engine, mail.key, "failed", error[:2000])
        return "failed"
    finish_email(network.engine, mail.key, "sent")
    log.info("e-mail %s sent to %s", mail.key, mail.to)
    return "sent"

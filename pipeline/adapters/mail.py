"""Send one e-mail to a member at most once, through the Airflow SMTP provider, and record the outcome.

The same code runs inside Airflow tasks and from the CLI: ``SmtpHook`` resolves the network's
``email.smtp_conn_id`` from Airflow's connections (metadata DB, secrets backend, or an
``AIRFLOW_CONN_<ID>`` environment variable, which is what the CLI uses). A failed send is logged and
recorded in ``member_emails`` with the error; it never raises into the step that asked for it, because
an unsent e-mail must not lose or hold back a member's file.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.config import Email
from pipeline.network import Network
from warehouse.emails import claim_email, finish_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberMail:
    key: str  # idempotency key: the same key is never sent twice
    kind: str  # feedback | reminder | overdue
    member_id: str
    to: str
    subject: str
    html: str
    about: str
    attachments: dict[str, bytes] = field(default_factory=dict)
    text: str | None = None  # a plain-text alternative to ``html``, when given


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


def send_smtp(settings: Email, mail: MemberMail) -> None:
    """One message through the SMTP connection (the hook attaches files from disk, hence the temp folder)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    headers = {"Reply-To": settings.reply_to} if settings.reply_to else None
    with tempfile.TemporaryDirectory(prefix="anchor-mail-") as folder:
        files = []
        for name, data in mail.attachments.items():
            path = Path(folder) / name
            path.write_bytes(data)
            files.append(str(path))
        with SmtpHook(smtp_conn_id=settings.smtp_conn_id) as hook:
            if mail.text is not None:
                _send_with_text(hook, settings, mail, headers)
                return
            hook.send_email_smtp(
                to=mail.to,
                subject=mail.subject,
                html_content=mail.html,
                from_email=settings.from_address,
                files=files,
                custom_headers=headers,
            )


def _send_with_text(hook, settings: Email, mail: MemberMail, headers: dict[str, str] | None) -> None:  # type: ignore[no-untyped-def]
    """Plain text and HTML as alternatives, plus attachments. The hook's own message builder only does
    HTML, so the message is built here and sent through the hook's connected, authenticated client."""
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = settings.from_address
    recipients = [a.strip() for a in mail.to.replace(";", ",").split(",") if a.strip()]
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.from_address.split("@", 1)[1])
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(mail.text or "")
    message.add_alternative(mail.html, subtype="html")
    for name, data in mail.attachments.items():
        subtype = "pdf" if name.endswith(".pdf") else "octet-stream"
        message.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    client = hook._smtp_client  # opened and authenticated by the hook's context manager
    if client is None:
        raise RuntimeError("the SMTP hook did not open a connection")
    client.send_message(message, from_addr=settings.from_address, to_addrs=recipients)

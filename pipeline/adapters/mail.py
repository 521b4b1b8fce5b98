"""One e-mail through the Airflow SMTP provider: text and HTML alternatives, attachments, Reply-To.

The same code runs inside Airflow tasks and from the CLI: the hook resolves the network's
``email.smtp_conn_id`` from Airflow's connections (metadata DB, secrets backend, or an
``AIRFLOW_CONN_<ID>`` environment variable, which is what the CLI uses). Sending at most once, and
recording the outcome, is ``pipeline.steps.delivery``'s job.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.adapters import airflow
from pipeline.config import Email

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


def send_smtp(settings: Email, mail: MemberMail) -> None:
    """One message through the SMTP connection (the hook attaches files from disk, hence the temp folder)."""
    headers = {"Reply-To": settings.reply_to} if settings.reply_to else None
    with tempfile.TemporaryDirectory(prefix="anchor-mail-") as folder:
        files = []
        for name, data in mail.attachments.items():
            path = Path(folder) / name
            path.write_bytes(data)
            files.append(str(path))
        with airflow.smtp_hook(settings.smtp_conn_id) as hook:
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

"""The ``member_emails`` ledger: claim a message before sending it, record how it went.

Claiming first (a row keyed by the message's idempotency key) is what makes a re-run of a task or a
DAG send nothing twice: a message already sent, or being sent by another process, is never claimed
again. A failed message may be claimed again, so a later run retries it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from warehouse.schema import member_emails


def claim_email(engine: Engine, row: dict[str, Any], sent_on: date) -> bool:
    """True when this process should send the message now; False when it was sent (or is being sent)."""
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            current = conn.execute(
                select(member_emails.c.status).where(member_emails.c.key == row["key"])
            ).scalar()
            if current is None:
                conn.execute(
                    insert(member_emails).values(
                        **row, sent_on=sent_on, status="sending", attempts=1, error=None, updated_at=now
                    )
                )
                return True
            if current != "failed":
                return False
            claimed = conn.execute(
                update(member_emails)
                .where((member_emails.c.key == row["key"]) & (member_emails.c.status == "failed"))
                .values(
                    status="sending",
                    attempts=member_emails.c.attempts + 1,
                    sent_on=sent_on,
                    subject=row["subject"],
                    updated_at=now,
                )
            )
            return claimed.rowcount == 1
    except IntegrityError:  # another process claimed the same key at the same moment
        return False


def finish_email(engine: Engine, key: str, status: str, error: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(member_emails)
            .where(member_emails.c.key == key)
            .values(status=status, error=error, updated_at=datetime.now(UTC))
        )


def emails(engine: Engine, **filters: Any) -> list[dict[str, Any]]:
    """Ledger rows, oldest first, optionally filtered by column (e.g. ``kind="overdue"``)."""
    query = select(member_emails).order_by(member_emails.c.updated_at, member_emails.c.key)
    for column, value in filters.items():
        query = query.where(member_emails.c[column] == value)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]

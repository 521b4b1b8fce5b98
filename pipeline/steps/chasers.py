"""Remind members about returns they have not sent: shortly before the due date, and once it has passed.

One e-mail per member per day at most, listing every return that member still owes; the message's key
``chaser/<member>/<day>`` in ``member_emails`` makes a re-run of the same day send nothing. A return
counts as owed when nothing usable has arrived: no file at all, or only files that were held back. A
file still waiting in ``incoming/`` is not chased (it will be checked within minutes).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from pipeline.adapters.mail import MemberMail
from pipeline.network import Network
from pipeline.presentation.messages import chaser_html
from pipeline.steps.delivery import deliver
from pipeline.steps.returns_tracker import ReturnStatus, due_date, track_returns
from pipeline.steps.run_dates import run_day
from transforms.periods import Period, period_containing
from transforms.return_types import RETURN_TYPES
from warehouse import queries

log = logging.getLogger(__name__)


def open_periods(network: Network, today: date) -> list[str]:
    """Periods with a return whose chasing window (reminder before, overdue after) contains ``today``."""
    settings = network.cfg.email
    earliest = today - timedelta(days=settings.chase_overdue_for_days)
    latest = today + timedelta(days=settings.remind_days_before_due)
    keys: set[str] = set()
    longest_due = max(s.due_days_after_period_end for s in network.cfg.returns.values())
    quarter = period_containing(earliest - timedelta(days=longest_due + 1))
    while quarter.start <= today:
        for return_type, schedule in network.cfg.returns.items():
            period = quarter if schedule.frequency == "quarterly" else quarter.financial_year
            if earliest <= due_date(network.cfg, return_type, period) <= latest:
                keys.add(period.key)
        quarter = quarter.next()
    return sorted(keys, key=Period.parse)


def owed_returns(network: Network, today: date) -> dict[str, list[ReturnStatus]]:
    """Member id -> the returns to chase today, oldest due date first."""
    settings = network.cfg.email
    owed: dict[str, list[ReturnStatus]] = defaultdict(list)
    periods = open_periods(network, today)
    for row in track_returns(network, periods, today, include_incoming=True):
        if row.status not in ("missing", "quarantined"):
            continue
        days_left = (row.due_date - today).days
        if -settings.chase_overdue_for_days <= days_left <= settings.remind_days_before_due:
            owed[row.member_id].append(row)
    return {m: sorted(rows, key=lambda r: (r.due_date, r.return_type)) for m, rows in owed.items()}


def chaser_mail(network: Network, member_id: str, rows: list[ReturnStatus], today: date) -> MemberMail:
    overdue = [r for r in rows if r.overdue]
    kind = "overdue" if overdue else "reminder"
    first = rows[0]
    label = RETURN_TYPES[first.return_type].label.lower()
    if len(rows) == 1:
        when = f"was due on {first.due_date:%d %B %Y}" if overdue else f"is due on {first.due_date:%d %B %Y}"
        subject = f"{'Overdue' if overdue else 'Reminder'}: your {label} return for {first.period} {when}"
    else:
        subject = (
            f"Overdue: {len(rows)} returns to send, {len(overdue)} past their due date"
            if overdue
            else f"Reminder: {len(rows)} returns due by {max(r.due_date for r in rows):%d %B %Y}"
        )
    html = chaser_html(network.cfg.name, first.member_name, member_id, rows, today)
    return MemberMail(
        key=f"chaser/{member_id}/{today.isoformat()}",
        kind=kind,
        member_id=member_id,
        to=first.contact_email,
        subject=f"{subject} - {network.cfg.name}",
        html=html,
        about=", ".join(f"{r.return_type} {r.period}" for r in rows),
    )


def send_chasers(network: Network, today: date) -> list[dict[str, Any]]:
    """Send today's chasers (at most one per member); returns what happened for each member owing returns."""
    if not network.cfg.email_enabled:
        log.info("e-mail is not enabled for %s; no chasers sent", network.cfg.id)
        return []
    if queries.count_submissions(network.engine) == 0:
        # A stack that has loaded nothing yet (just deployed, or pointed at the wrong bucket) would
        # tell every member their returns are overdue, including those sent before it existed.
        log.warning("no return has been loaded for %s yet; no chasers sent", network.cfg.id)
        return []
    results = []
    for member_id, rows in sorted(owed_returns(network, today).items()):
        mail = chaser_mail(network, member_id, rows, today)
        status = deliver(network, mail, today)
        results.append(
            {
                "member_id": member_id,
                "kind": mail.kind,
                "returns": mail.about,
                "status": status,
                "to": mail.to,
            }
        )
    return results


def chase_day(context: dict[str, Any]) -> date:
    """The day a chaser run stands for: its ``as_of`` param, else the day the run was due, else today."""
    return run_day(context)

"""Which returns each member owes for a period, and where each one stands.

Expected returns come from the config (members x return types, at each type's frequency), due dates
from ``due_days_after_period_end``; what arrived comes from the warehouse's ``submissions`` (and,
optionally, from files still waiting in ``incoming/``). The City Hall report, ``anchor status`` and the
chaser DAG all read this one module, so they can never disagree about who is missing or late.

Statuses: ``accepted`` (on time), ``late`` (accepted, but the first usable file came after the due
date), ``quarantined`` (files came, all held back), ``received`` (a file is waiting to be checked) and
``missing`` (nothing yet). ``overdue`` says the due date has passed without an accepted file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.config import NetworkConfig
from pipeline.network import Network
from pipeline.steps.incoming import SkippedFile, list_incoming
from pipeline.steps.submission_rules import parse_file_name
from transforms.periods import Period
from warehouse import queries

STATUSES = ("accepted", "late", "quarantined", "received", "missing")


@dataclass(frozen=True)
class ReturnStatus:
    member_id: str
    member_name: str
    contact_email: str
    return_type: str
    period: str
    due_date: date
    status: str
    overdue: bool
    files: int  # current files: accepted or held back, not replaced by a newer one
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    first_received_at: datetime | None
    last_received_at: datetime | None
    waiting: int = 0  # files in incoming/ not yet checked
    # Rows set aside (totals, headings, notes) of the current files: not among rows_rejected.
    rows_set_aside: int = 0

    def as_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["due_date"] = self.due_date.isoformat()
        for key in ("first_received_at", "last_received_at"):
            record[key] = record[key].isoformat() if record[key] else None
        return record


def due_date(cfg: NetworkConfig, return_type: str, period: Period) -> date:
    return period.end + timedelta(days=cfg.returns[return_type].due_days_after_period_end)


def return_periods(cfg: NetworkConfig, return_type: str, period: Period) -> list[Period]:
    """The periods of one return type that fall in ``period`` (a year holds four quarterly returns)."""
    if cfg.returns[return_type].frequency == "quarterly":
        return period.quarters()
    return [period] if period.quarter is None else []


def _submissions(network: Network, keys: list[str]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    rows = queries.submissions_for(network.engine, keys).to_dict("records")
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[(row["member_id"], row["return_type"], row["period"])].append(dict(row))
    return grouped


def _waiting(network: Network) -> dict[tuple[str, str, str], int]:
    """Files in incoming/ that ingest will take, by (member, return type, period), read from their names
    only: an editor's lock file or an unfinished download named like a return is not a return received."""
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    take, left = list_incoming(
        network.bucket, datetime.now(UTC), timedelta(seconds=network.cfg.settle_seconds)
    )
    paths = [e["path"] for e in take] + [s.path for s in left if not s.report]  # still uploading: received
    for path in paths:
        parts = path.split("/")
        name = parse_file_name(parts[-1]) if len(parts) >= 3 else None
        if name:
            counts[(parts[1], name.return_type, name.period)] += 1
    return counts


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def track_returns(
    network: Network, period_keys: list[str], today: date | None = None, include_incoming: bool = False
) -> list[ReturnStatus]:
    """Every expected return in the given periods, member by member, in config order."""
    today = today or datetime.now(UTC).date()
    cfg = network.cfg
    expected: list[tuple[str, Period]] = []
    for key in period_keys:
        period = Period.parse(key)
        for return_type in cfg.returns:
            expected.extend((return_type, p) for p in return_periods(cfg, return_type, period))
    subs = _submissions(network, sorted({p.key for _, p in expected}))
    waiting = _waiting(network) if include_incoming else {}
    result = []
    for member in cfg.members:
        owed = set(cfg.expected_returns(member))
        for return_type, period in expected:
            if return_type not in owed:
                continue
            due = due_date(cfg, return_type, period)
            mine = subs.get((member.id, return_type, period.key), [])
            # The files that count: the accepted ones when any is (a quarantined replacement does not
            # replace them, so its rows are not this return's), else the quarantined ones.
            accepted_now = [s for s in mine if s["status"] == "accepted"]
            current = accepted_now or [s for s in mine if s["status"] == "quarantined"]
            ever_accepted = [s for s in mine if s["status"] in ("accepted", "superseded")]
            received = sorted(_utc(s["received_at"]) for s in mine)
            pending = waiting.get((member.id, return_type, period.key), 0)
            if any(s["status"] == "accepted" for s in current):
                first_usable = min(_utc(s["received_at"]) for s in ever_accepted)
                status = "late" if first_usable.date() > due else "accepted"
            elif current:
                status = "quarantined"
            elif pending:
                status = "received"
            else:
                status = "missing"
            result.append(
                ReturnStatus(
                    member_id=member.id,
                    member_name=member.name,
                    contact_email=member.contact_email,
                    return_type=return_type,
                    period=period.key,
                    due_date=due,
                    status=status,
                    overdue=status not in ("accepted", "late") and today > due,
                    files=len(current),
                    rows_read=sum(s["rows_read"] for s in current),
                    rows_loaded=sum(s["rows_loaded"] for s in current),
                    rows_rejected=sum(s["rows_rejected"] for s in current),
                    first_received_at=received[0] if received else None,
                    last_received_at=received[-1] if received else None,
                    waiting=pending,
                    rows_set_aside=sum(s.get("rows_set_aside") or 0 for s in current),
                )
            )
    return result


def files_left(network: Network, now: datetime | None = None) -> list[SkippedFile]:
    """Files in incoming/ that ingest does not take, each with the reason (links, hidden and temporary
    files, files outside a member's folder, files still uploading)."""
    now = now or datetime.now(UTC)
    return list_incoming(network.bucket, now, timedelta(seconds=network.cfg.settle_seconds))[1]

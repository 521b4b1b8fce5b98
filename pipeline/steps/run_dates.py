"""What day a DAG run stands for, and whether a scheduled run is for a slot that has long passed.

Runs must be idempotent over time: a backfill, a rerun or a late run does the work of *its* day, not of
the day it happens to execute on. And some runs must not act at all when late: the scheduler runs the
most recent missed slot when a DAG is first unpaused (``catchup=False`` still does that) or after it was
down, and a reminder e-mailed for a slot from before the stack was running is wrong. Plain functions of
the task context (a dict), so they need no Airflow import and are tested without a scheduler.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

# A scheduled slot run later than this after its time is a missed slot, not a run on time.
LATE_AFTER = timedelta(hours=6)


def run_moment(context: dict[str, Any]) -> datetime | None:
    """When the run's slot was: its logical date, else when it was due to run (manual runs may have
    no logical date in Airflow 3)."""
    return context.get("logical_date") or context.get("run_after")


def run_day(context: dict[str, Any], param: str = "as_of") -> date:
    """The day a run stands for: its ``as_of`` param, else the day of its slot, else today."""
    params = context.get("params") or {}
    if params.get(param):
        return date.fromisoformat(params[param])
    moment = run_moment(context) or datetime.now(UTC)
    return moment.date()


def run_type(context: dict[str, Any]) -> str:
    """``scheduled``, ``manual``, ``backfill`` or ``asset_triggered`` (``unknown`` outside a run)."""
    kind = getattr(context.get("dag_run"), "run_type", None)
    return str(getattr(kind, "value", kind) or "unknown")


def late_slot(context: dict[str, Any], now: datetime | None = None) -> str | None:
    """Why a *scheduled* run should not act because its slot passed long ago; None when it is on time.

    Only scheduled runs are judged: a manual run, a backfill or a run given an ``as_of`` day was asked
    for by someone, on purpose."""
    if run_type(context) != "scheduled" or (context.get("params") or {}).get("as_of"):
        return None
    moment = run_moment(context)
    if moment is None:
        return None
    now = now or datetime.now(UTC)
    if now - moment > LATE_AFTER:
        return (
            f"this run is for the slot of {moment:%Y-%m-%d %H:%M} UTC, {now - moment} ago: a missed slot "
            "(first unpause, or the scheduler was down), not acted on; the next slot runs on time"
        )
    return None

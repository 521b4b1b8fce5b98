"""Tell the data engineers by e-mail when a task has failed for good (after its retries).

Called from the DAGs' failure callback. Best effort: an alert that cannot be sent is logged, never
raised, so it cannot hide the task's own error.
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.adapters.mail import MemberMail, send_smtp
from pipeline.config import NetworkConfig, load_config
from pipeline.presentation.messages import fact_sheet

log = logging.getLogger(__name__)

NEXT_STEPS = (
    "Nothing was lost: a file stays in incoming/ until its outcome is stored, and every load is one "
    "transaction. Fix the cause (the error above, and the task's log), then clear the task in Airflow "
    "or wait for the next scheduled run."
)


def failure_facts(context: dict[str, Any]) -> dict[str, str]:
    ti = context.get("task_instance") or context.get("ti")
    return {
        "DAG": str(getattr(ti, "dag_id", "?")),
        "Task": str(getattr(ti, "task_id", "?")),
        "Run": str(getattr(ti, "run_id", "?")),
        "Try": str(getattr(ti, "try_number", "?")),
        "Error": str(context.get("exception") or "not given"),
    }


def email_engineers(context: dict[str, Any]) -> str:
    """A failed task: ``sent``, ``disabled`` (no e-mail or no engineers configured) or ``failed``."""
    params = context.get("params") or {}
    try:
        cfg = load_config(params.get("config") or None)
    except Exception as exc:  # a broken config may be why the task failed
        log.error("could not read the network config to alert the data engineers: %s", exc)
        return "failed"
    facts = failure_facts(context)
    return tell(
        cfg,
        f"{facts['DAG']}.{facts['Task']} failed",
        facts,
        NEXT_STEPS,
        key=f"alert/{facts['DAG']}/{facts['Task']}/{facts['Run']}/{facts['Try']}",
    )


def tell(cfg: NetworkConfig, what: str, facts: dict[str, str], next_steps: str, key: str) -> str:
    """E-mail the network's data engineers one fact sheet: ``sent``, ``disabled`` or ``failed``."""
    if not cfg.email_enabled or not cfg.email.engineers:
        return "disabled"
    text, body = fact_sheet(facts, next_steps)
    mail = MemberMail(
        key=key,
        kind="alert",
        member_id=cfg.id,
        to=", ".join(cfg.email.engineers),
        subject=f"[{cfg.id}] anchor-pipeline: {what}",
        html=body,
        text=text,
        about=what,
    )
    try:
        send_smtp(cfg.email, mail)
    except Exception as exc:
        log.error("could not e-mail the data engineers %s: %s", cfg.email.engineers, exc)
        return "failed"
    return "sent"

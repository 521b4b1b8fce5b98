"""Tell the data engineers by e-mail when a DAG run has failed (its tasks' retries spent).

Called from the DAGs' run-level failure callback: one e-mail per failed run. Best effort: an alert
that cannot be sent is logged, never raised, so it cannot hide the run's own error.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from pipeline.adapters.mail import MemberMail, send_smtp
from pipeline.config import NetworkConfig, load_config
from pipeline.presentation.messages import fact_sheet

log = logging.getLogger(__name__)

NEXT_STEPS = (
    "Nothing was lost: a file stays in incoming/ until its outcome is stored, and every load is one "
    "transaction. Fix the cause (the failed task's log has the error), then clear the failed tasks in "
    "Airflow or wait for the next scheduled run."
)


def _run_conf(context: dict[str, Any]) -> dict[str, Any]:
    """The run's params: from the context, else the DAG run's conf (a DAG callback's context may only
    carry the run)."""
    params = context.get("params")
    if params:
        return dict(params)
    dag_run = context.get("dag_run")
    return dict(getattr(dag_run, "conf", None) or {})


def failure_facts(context: dict[str, Any]) -> dict[str, str]:
    """What failed: the run, and the last task that failed in it (a DAG callback names that one)."""
    ti = context.get("task_instance") or context.get("ti")
    dag = context.get("dag")
    facts = {
        "DAG": str(getattr(dag, "dag_id", None) or getattr(ti, "dag_id", "?")),
        "Run": str(context.get("run_id") or getattr(ti, "run_id", "?")),
        "Reason": str(context.get("reason") or "failed"),
    }
    if ti is not None:
        index = getattr(ti, "map_index", -1)
        facts["Last failed task"] = str(getattr(ti, "task_id", "?")) + (
            f" [{index}]" if isinstance(index, int) and index >= 0 else ""
        )
        facts["Tries"] = str(getattr(ti, "try_number", "?"))
        # The run's callback does not get the task's exception: its log has it, one click away.
        with contextlib.suppress(Exception):  # a context without a full task instance
            facts["Log"] = str(ti.log_url)
    if context.get("exception"):
        facts["Error"] = str(context["exception"])
    return facts


def email_engineers(context: dict[str, Any]) -> str:
    """A failed run: ``sent``, ``disabled`` (no e-mail or no engineers configured) or ``failed``.

    Called once per run by the DAGs' ``on_failure_callback``, so a run whose mapped tasks all failed
    sends one e-mail, not one per task."""
    try:
        cfg = load_config(_run_conf(context).get("config") or None)
    except Exception as exc:  # a broken config may be why the run failed
        log.error("could not read the network config to alert the data engineers: %s", exc)
        return "failed"
    facts = failure_facts(context)
    return tell(
        cfg,
        f"{facts['DAG']} run failed",
        facts,
        NEXT_STEPS,
        key=f"alert/{facts['DAG']}/{facts['Run']}",
    )


def alert_mail(
    cfg: NetworkConfig, what: str, facts: dict[str, str], next_steps: str, key: str
) -> MemberMail | None:
    """The fact sheet to the network's data engineers, or None when e-mail is off or names no engineer."""
    if not cfg.email_enabled or not cfg.email.engineers:
        return None
    text, body = fact_sheet(facts, next_steps)
    return MemberMail(
        key=key,
        kind="alert",
        member_id=cfg.id,
        to=", ".join(cfg.email.engineers),
        subject=f"[{cfg.id}] anchor-pipeline: {what}",
        html=body,
        text=text,
        about=what,
    )


def tell(cfg: NetworkConfig, what: str, facts: dict[str, str], next_steps: str, key: str) -> str:
    """E-mail the network's data engineers one fact sheet: ``sent``, ``disabled`` or ``failed``."""
    mail = alert_mail(cfg, what, facts, next_steps, key)
    if mail is None:
        return "disabled"
    try:
        send_smtp(cfg.email, mail)
    except Exception as exc:
        log.error("could not e-mail the data engineers %s: %s", cfg.email.engineers, exc)
        return "failed"
    return "sent"

"""What the DAG files share. Deliberately light: DAG files import it at parse time, so no pandas, no GX."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

WAREHOUSE_ASSET = "anchor_warehouse"
TAGS = ["anchor"]

log = logging.getLogger("anchor.orchestration")


def tell_engineers(context: dict[str, Any]) -> None:
    """Failure callback: one clear line in the task log naming what failed and where, and an e-mail to
    the network's ``[email] engineers`` when e-mail is on."""
    ti = context.get("task_instance") or context.get("ti")
    log.error(
        "anchor-pipeline task failed: dag=%s task=%s run=%s try=%s error=%s",
        getattr(ti, "dag_id", "?"),
        getattr(ti, "task_id", "?"),
        getattr(ti, "run_id", "?"),
        getattr(ti, "try_number", "?"),
        context.get("exception"),
    )
    try:
        from pipeline.steps.alerts import email_engineers

        email_engineers(context)
    except Exception as exc:  # never let the alert hide the task's own error
        log.error("could not e-mail the data engineers: %s", exc)


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "anchor-data-engineering",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "on_failure_callback": tell_engineers,
}


def network_from_context(context: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The network a run works on: the run's ``config`` param, else ``ANCHOR_CONFIG``, else the example."""
    from pipeline.network import open_network

    params = context.get("params") or {}
    return open_network(params.get("config") or None)

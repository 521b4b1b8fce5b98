"""What the DAG files share, and the embedded Airflow set-up the demo and the tests run the DAGs in.

Deliberately light: DAG files import it at parse time, so no pandas, no GX, and no Airflow import here
either (the DAG files import Airflow themselves; ``pipeline.adapters.airflow`` is the only other place).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

WAREHOUSE_ASSET = "anchor_warehouse"
# The DAG files, where they are installed (a folder of this package's distribution).
DAGS_FOLDER = Path(str(files("dags")))
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
    """The network a run works on: the deployment's (``ANCHOR_CONFIG``); a run's ``config`` param naming
    another network is refused before anything is touched (``pipeline.network.open_run_network``). Without
    ``ANCHOR_CONFIG`` (embedded demo, tests) the param, else the example network."""
    from pipeline.network import open_run_network

    params = context.get("params") or {}
    return open_run_network(params.get("config") or None)


def airflow_environment(home: Path, metadata_url: str | None = None) -> dict[str, str]:
    """The embedded set-up: a SQLite metadata DB under ``home``, this project's DAGs, no examples.

    Airflow reads its configuration when first imported, so these variables must be in the environment
    before anything imports ``airflow`` (the CLI sets them for its subprocesses; tests set them in conftest).
    A deployment's own settings win over these defaults.
    """
    home = home.resolve()
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url or f"sqlite:///{home}/airflow.db",
    }
    return {key: os.environ.get(key, value) for key, value in env.items()}

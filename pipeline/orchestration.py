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
# Updated when the KPIs were recomputed: the report DAG issues a newly due report on it.
KPIS_ASSET = "anchor_kpis"
# The DAG files, where they are installed (a folder of this package's distribution).
DAGS_FOLDER = Path(str(files("dags")))
TAGS = ["anchor"]

log = logging.getLogger("anchor.orchestration")


def log_task_failure(context: dict[str, Any]) -> None:
    """Task failure callback: one clear line in the task log naming what failed and where. No e-mail:
    a run with many mapped tasks would send one per task; the run's own callback sends one."""
    ti = context.get("task_instance") or context.get("ti")
    log.error(
        "anchor-pipeline task failed: dag=%s task=%s map_index=%s run=%s try=%s error=%s",
        getattr(ti, "dag_id", "?"),
        getattr(ti, "task_id", "?"),
        getattr(ti, "map_index", "?"),
        getattr(ti, "run_id", "?"),
        getattr(ti, "try_number", "?"),
        context.get("exception"),
    )


def tell_engineers(context: dict[str, Any]) -> None:
    """DAG failure callback: one e-mail per failed RUN to the network's ``[email] engineers`` (when
    e-mail is on), however many of its tasks or mapped task instances failed."""
    log.error(
        "anchor-pipeline run failed: dag=%s run=%s reason=%s",
        getattr(context.get("dag"), "dag_id", "?"),
        context.get("run_id"),
        context.get("reason"),
    )
    try:
        from pipeline.steps.alerts import email_engineers

        email_engineers(context)
    except Exception as exc:  # never let the alert hide the run's own error
        log.error("could not e-mail the data engineers: %s", exc)


# Task-level: retries with back-off, and a ceiling on any one task (a hung SMTP or S3 call must not hold
# the DAG's only active run for ever). The longest task is a batch of ingest (bench/README.md: seconds
# per file); each DAG also sets its own run timeout (RUN_TIMEOUTS).
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "anchor-data-engineering",
    "retries": 2,  # ANCHOR_TASK_RETRIES overrides it where the DAGs are parsed (dag_arguments)
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": log_task_failure,
}

# ``dagrun_timeout`` per DAG: a run that outlives it fails (and alerts), so a stuck run cannot block the
# next one behind ``max_active_runs=1`` for ever.
RUN_TIMEOUTS: dict[str, timedelta] = {
    "anchor_ingest": timedelta(hours=2),
    "anchor_kpis": timedelta(minutes=30),
    "anchor_report": timedelta(hours=1),
    "anchor_chasers": timedelta(hours=1),
}


def dag_arguments(dag_id: str) -> dict[str, Any]:
    """What every DAG sets the same way: task defaults, one run at a time, one alert per failed run,
    the run timeout."""
    return {
        "dag_id": dag_id,
        # Read each time a DAG file is parsed: fewer (or no) retries, e.g. while diagnosing a failing run.
        "default_args": {**DEFAULT_ARGS, "retries": int(os.environ.get("ANCHOR_TASK_RETRIES") or 2)},
        "on_failure_callback": tell_engineers,
        "dagrun_timeout": RUN_TIMEOUTS[dag_id],
        "max_active_runs": 1,
    }


def network_from_context(context: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The network a run works on: the deployment's (``ANCHOR_CONFIG``); a run's ``config`` param naming
    another network is refused before anything is touched (``pipeline.network.open_run_network``). Without
    ``ANCHOR_CONFIG`` (embedded demo, tests) the param, else the example network."""
    from pipeline.network import open_run_network

    params = context.get("params") or {}
    return open_run_network(params.get("config") or None)


# Libraries that log at INFO what an operator never needs: GX logs ~200 "Skipping registering function"
# lines when imported (most of an ingest task's log), Alembic names its dialect on every migration check.
# Airflow's ``[logging] namespace_levels`` only filters Airflow's own (structlog) loggers, not these
# standard-library ones, so their levels are set here: every DAG file imports this module, in the task
# process too, after Airflow configured logging and before the task runs.
QUIET_LOGGERS = ("great_expectations", "alembic", "botocore", "s3fs", "urllib3", "matplotlib", "fontTools")


def quiet_library_logs() -> None:
    """Library loggers at WARNING: their warnings and errors still show, their INFO chatter does not."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


quiet_library_logs()


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

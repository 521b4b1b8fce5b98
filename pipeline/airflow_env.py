"""The embedded Airflow set-up: a SQLite metadata DB under the project, this project's DAGs, no examples.

Airflow reads its configuration when first imported, so these variables must be in the environment
before anything imports ``airflow`` (the CLI sets them for its subprocesses; tests set them in conftest).
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.config import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"


def airflow_environment(home: Path | None = None, metadata_url: str | None = None) -> dict[str, str]:
    home = (home or PROJECT_ROOT / "var" / "airflow").resolve()
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url or f"sqlite:///{home}/airflow.db",
    }
    # A deployment's own settings win over the embedded defaults.
    return {key: os.environ.get(key, value) for key, value in env.items()}

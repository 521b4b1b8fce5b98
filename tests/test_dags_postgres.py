"""The whole DAG chain with PostgreSQL as Airflow's metadata DB *and* as the warehouse, the production layout.

Airflow reads its metadata DB setting when first imported, and this test process already uses the SQLite
one ``conftest.py`` configured, so the DAGs run in subprocesses (``airflow db migrate`` and ``airflow dags
test``, as ``anchor demo`` runs them) against a fresh PostgreSQL database of their own. The KPIs they store
are then checked against an independent reading of the raw files (``tests/test_dags.py``'s helpers).
Needs the server on 127.0.0.1:5432: skipped without it on a developer's machine, failed in CI.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.cli.demo import run_airflow
from pipeline.orchestration import DAGS_FOLDER
from samples.network import generate_sample
from tests.conftest import write_config
from tests.test_dags import expected_spend, expected_workforce, london_living_wage

PERIODS = ("2026-27-Q1", "2026-27-Q2")


@pytest.fixture
def airflow_metadata_db(pg_server: str) -> Iterator[str]:
    """A fresh database for Airflow's own tables, apart from the warehouse's (as the field notes advise)."""
    name = f"anchor_airflow_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _airflow(args: list[str], env: dict[str, str], log: Path) -> None:
    try:
        run_airflow(args, env, log)
    except RuntimeError as failure:
        pytest.fail(f"{failure}:\n{log.read_text()[-4000:]}")


@pytest.mark.airflow
@pytest.mark.postgres
def test_end_to_end_with_airflow_metadata_and_warehouse_on_postgresql(
    tmp_path: Path, pg_database: str, airflow_metadata_db: str
) -> None:
    from pipeline.network import open_network
    from pipeline.steps.kpis import read_kpis

    config = write_config(tmp_path, pg_database)
    network = open_network(config)
    manifest = generate_sample(network.cfg, periods=PERIODS, lines_per_file=80)
    bucket = Path(network.cfg.bucket_url)
    expected = expected_spend(bucket, manifest, network.cfg)
    staff = expected_workforce(bucket, manifest, PERIODS)

    home = tmp_path / "airflow"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_metadata_db,
        "ANCHOR_CONFIG": str(config),
    }
    log = tmp_path / "airflow.log"
    _airflow(["db", "migrate"], env, log)
    _airflow(["dags", "test", "anchor_ingest"], env, log)
    _airflow(["dags", "test", "anchor_kpis"], env, log)
    _airflow(["dags", "test", "anchor_report", "--conf", json.dumps({"period": PERIODS[-1]})], env, log)

    # The runs really were recorded in PostgreSQL, and nothing fell back to a SQLite file.
    metadata = create_engine(airflow_metadata_db)
    with metadata.connect() as conn:
        runs = dict(conn.execute(text("SELECT dag_id, state FROM dag_run")).all())
    metadata.dispose()
    assert runs == {"anchor_ingest": "success", "anchor_kpis": "success", "anchor_report": "success"}
    assert not list(home.glob("*.db"))

    for period in PERIODS:
        stored = read_kpis(network, period)
        values = {(None if r.scope == "network" else r.scope_id, r.kpi): r.value for r in stored.itertuples()}
        for (scope, p), sums in expected.items():
            if p != period:
                continue
            for kpi in ("spend_total", "spend_sme", "spend_local", "spend_diverse"):
                assert values[(scope, kpi)] == pytest.approx(sums[kpi], abs=0.01), (scope, period, kpi)
            assert values[(scope, "spend_small_or_diverse_pct")] == pytest.approx(
                100 * sums["small_or_diverse"] / sums["in_scope"], abs=1e-3
            ), (scope, period)

    # Workforce: Living Wage uplifts between the two snapshots and the share paid it in the latest one.
    values = {
        (None if r.scope == "network" else r.scope_id, r.kpi): r.value
        for r in read_kpis(network, PERIODS[-1]).itertuples()
    }
    rate = london_living_wage("2026-09-30")
    uplifts = 0
    for (member, period), people in staff.items():
        if period == PERIODS[-1]:
            before = staff.get((member, PERIODS[0]), {})
            uplifts += sum(
                1 for ref, (pay, _) in people.items() if ref in before and before[ref][0] < rate <= pay
            )
    assert uplifts > 0
    assert values[(None, "lw_uplifts")] == uplifts
    latest = [p for (_, period), people in staff.items() if period == PERIODS[-1] for p in people.values()]
    assert values[(None, "lw_paid_pct")] == pytest.approx(
        100 * sum(1 for pay, _ in latest if pay >= rate) / len(latest), abs=1e-3
    )
    report = Path(network.cfg.outbox_dir) / f"{network.cfg.id}-report-{PERIODS[-1]}.html"
    assert report.exists()

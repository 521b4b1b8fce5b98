"""Runs over time and their alerts: what day a run stands for, missed slots, one e-mail per failed run.

The day and the lateness are plain functions of the task context, tested on dicts; the alert goes
through Airflow itself (``dag.test()`` runs the DAG's failure callback as the DAG processor would) to a
real SMTP server on loopback.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.network import open_network
from pipeline.steps.incoming import files_waiting
from pipeline.steps.run_dates import LATE_AFTER, late_slot, run_day, run_type
from tests.conftest import write_config
from tests.servers import enable_email

ENGINEER = "data-team@network.example.org"


def _context(kind: str, moment: datetime | None, **params: str) -> dict:
    return {"dag_run": SimpleNamespace(run_type=kind), "logical_date": moment, "params": params}


def test_a_run_stands_for_its_param_else_its_slot_else_today() -> None:
    slot = datetime(2026, 3, 4, 6, tzinfo=UTC)
    assert run_day(_context("scheduled", slot)) == date(2026, 3, 4)
    assert run_day(_context("backfill", slot, as_of="2025-12-31")) == date(2025, 12, 31)
    manual = {"dag_run": SimpleNamespace(run_type="manual"), "run_after": slot, "params": {}}
    assert run_day(manual) == date(2026, 3, 4)  # Airflow 3 manual runs may have no logical date
    assert run_day({}) == datetime.now(UTC).date()
    assert run_type(_context("asset_triggered", None)) == "asset_triggered" and run_type({}) == "unknown"


def test_only_a_scheduled_run_long_after_its_slot_is_late() -> None:
    now = datetime(2026, 3, 5, 15, tzinfo=UTC)
    on_time = now - timedelta(minutes=3)
    missed = now - LATE_AFTER - timedelta(seconds=1)  # first unpause in the afternoon: 08:00's slot ran
    assert late_slot(_context("scheduled", on_time), now) is None
    assert late_slot(_context("scheduled", now - LATE_AFTER), now) is None
    reason = late_slot(_context("scheduled", missed), now)
    assert reason and "missed slot" in reason and f"{missed:%Y-%m-%d %H:%M}" in reason
    # Asked for on purpose: never late.
    assert late_slot(_context("manual", missed), now) is None
    assert late_slot(_context("backfill", missed), now) is None
    assert late_slot(_context("scheduled", missed, as_of="2026-03-01"), now) is None


def test_chasers_send_nothing_before_any_return_was_loaded(tmp_path: Path, mailbox) -> None:  # type: ignore[no-untyped-def]
    from pipeline.steps.chasers import owed_returns, send_chasers

    network = open_network(enable_email(write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")))
    day = date(2025, 11, 6)  # a week after 2025-26-Q2's returns were due: every member owes them
    assert len(owed_returns(network, day)) == len(network.cfg.members)
    assert send_chasers(network, day) == []
    assert mailbox.received == []


def test_the_ingest_gate_counts_only_settled_files_in_member_folders(tmp_path: Path) -> None:
    network = open_network(write_config(tmp_path))
    assert files_waiting(network.bucket, 0) == 0
    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", b"a,b\n1,2\n")
    network.bucket.write("incoming/stray.csv", b"a\n")  # not in a member's folder: never taken
    network.bucket.write("incoming/kingsbridge-council/.~lock.csv#", b"")
    assert files_waiting(network.bucket, 0) == 1
    # Still settling: not yet.
    assert files_waiting(network.bucket, 600) == 0
    later = datetime.now(UTC) + timedelta(seconds=601)
    assert files_waiting(network.bucket, 600, now=later) == 1


@pytest.mark.airflow
def test_a_failed_run_sends_one_alert_however_many_tasks_failed(
    tmp_path: Path, mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The KPI DAG on a warehouse that cannot be opened: its task fails, the run fails, and the engineers
    get one e-mail naming the run and the task; the task's own callback only logs."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState

    from pipeline.orchestration import DAGS_FOLDER

    monkeypatch.setenv("ANCHOR_TASK_RETRIES", "0")  # read at parse time: no 30 s retry waits here
    airflow_db.resetdb()
    (tmp_path / "a-file").write_text("not a folder")
    broken = tmp_path / "a-file" / "w.db"  # cannot be created: every task opening it fails at once
    config = enable_email(write_config(tmp_path, f"sqlite:///{broken}", upgrade=False), engineers=[ENGINEER])
    # Every failing task of the chasers' run (each opens the warehouse) goes into one run-level e-mail.
    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["anchor_chasers"]
    assert all(t.retries == 0 for t in dag.tasks)
    run = dag.test(run_conf={"config": str(config), "as_of": "2025-11-06"})
    assert run.state == DagRunState.FAILED
    assert {ti.state for ti in run.get_task_instances()} == {"failed"} and len(dag.tasks) >= 2
    [alert] = mailbox.to(ENGINEER)
    assert len(mailbox.received) == 1
    assert alert["Subject"] == "[london] anchor-pipeline: anchor_chasers run failed"
    body = alert.get_body(("plain",)).get_content()
    assert run.run_id in body and "task_failure" in body
    assert any(task in body for task in (t.task_id for t in dag.tasks))

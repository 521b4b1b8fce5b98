"""Nothing lost under faults: a process killed mid-load, files racing each other, files still being
written, the same file under two names, and a bucket that cannot be reached.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.adapters.bucket import BucketUnreachable
from pipeline.network import open_network
from pipeline.orchestration import DAGS_FOLDER
from pipeline.steps.ingest import ingest, process_file, scan_incoming
from tests.conftest import REPO_ROOT, spend_facts_total, stored_submissions, write_config
from tests.servers import enable_email, free_port, use_s3

GOOD = (
    "Payment Date,Supplier Name,Amount,Transaction ID\n"
    "01/08/2025,Brightwater Cleaning Ltd,1000.00,T1\n"
    "02/08/2025,Keystone Facilities Limited,250.50,T2\n"
)
NEWER = GOOD + "03/08/2025,Meridian Catering PLC,99.50,T3\n"
MEMBER = "kingsbridge-council"
ENGINEERS = "data-engineering@cityhall.example.org"


def _drop(network, path: str, content: str, received: datetime | None = None) -> None:  # type: ignore[no-untyped-def]
    network.bucket.write(path, content.encode())
    if received is not None:
        os.utime(network.bucket.full(path), (received.timestamp(), received.timestamp()))


# -- killed mid-load ---------------------------------------------------------------------------------
KILLABLE_INGEST = textwrap.dedent(
    """
    import sys, time, pathlib
    import warehouse.load as load

    real_bulk_insert = load.bulk_insert

    def slow_bulk_insert(conn, table, rows):
        real_bulk_insert(conn, table, rows)  # the facts are in the open transaction...
        pathlib.Path(sys.argv[2]).write_text("loading")
        time.sleep(600)  # ...when the process is killed

    load.bulk_insert = slow_bulk_insert
    from pipeline.steps.ingest import ingest
    from pipeline.network import open_network

    ingest(open_network(sys.argv[1]))
    """
)


def test_process_killed_during_the_warehouse_load(warehouse_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, warehouse_url)
    network = open_network(config)
    _drop(network, f"incoming/{MEMBER}/spend_2025-26-Q2.csv", GOOD)
    marker = tmp_path / "loading"
    script = tmp_path / "killable_ingest.py"
    script.write_text(KILLABLE_INGEST)
    process = subprocess.Popen(
        [sys.executable, str(script), str(config), str(marker)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, "the ingest ended before the load started"
            assert time.monotonic() < deadline, "the ingest never reached the load"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()

    # The warehouse is as it was: no half-loaded submission; the file waits in incoming/.
    assert spend_facts_total(network) == (0, Decimal("0.00"))
    assert stored_submissions(network) == []
    assert network.bucket.exists(f"incoming/{MEMBER}/spend_2025-26-Q2.csv")
    # The next run takes it, once.
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted"
    assert spend_facts_total(network) == (2, Decimal("1250.50"))
    assert ingest(network) == []
    assert len(network.bucket.list_files(f"archive/{MEMBER}")) == 1


# -- files racing each other ---------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["newest first", "at the same time"])
def test_two_files_for_the_same_return_arriving_together(
    warehouse_url: str, tmp_path: Path, order: str
) -> None:
    """Two uploads of the same return (e.g. a member's tool retried into dated folders): the later wins."""
    network = open_network(write_config(tmp_path, warehouse_url))
    sent = datetime.now(UTC) - timedelta(minutes=5)
    _drop(network, f"incoming/{MEMBER}/upload-1/spend_2025-26-Q2.csv", GOOD, sent)
    _drop(network, f"incoming/{MEMBER}/upload-2/spend_2025-26-Q2.csv", NEWER, sent + timedelta(minutes=1))
    older, newer = scan_incoming(network)
    assert older["received_at"] < newer["received_at"]
    if order == "newest first":
        outcomes = [process_file(network, newer), process_file(network, older)]
    else:
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda f: process_file(network, f), [older, newer]))

    assert spend_facts_total(network) == (3, Decimal("1350.00"))  # the later file's figures only
    first, second = stored_submissions(network)
    assert (first["status"], first["superseded_by"]) == ("superseded", second["submission_id"])
    assert second["status"] == "accepted"
    assert network.bucket.list_files("incoming") == []
    assert len(network.bucket.list_files(f"archive/{MEMBER}")) == 2
    assert all(network.bucket.exists(o["feedback_path"]) for o in outcomes)
    if order == "newest first":  # the older file, checked last, is told a newer one replaces it
        assert "newer file" in network.bucket.read(outcomes[1]["feedback_path"]).decode()


def test_the_same_file_under_two_names(warehouse_url: str, tmp_path: Path) -> None:
    network = open_network(write_config(tmp_path, warehouse_url))
    _drop(network, f"incoming/{MEMBER}/spend_2025-26-Q2.csv", GOOD)
    _drop(network, f"incoming/{MEMBER}/spend_2025-26-Q2 final.csv", GOOD)
    files = scan_incoming(network)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda f: process_file(network, f), files))

    assert sorted(o["status"] for o in outcomes) == ["accepted", "duplicate"]
    assert spend_facts_total(network) == (2, Decimal("1250.50"))
    assert len(stored_submissions(network)) == 1
    duplicate = next(o for o in outcomes if o["status"] == "duplicate")
    assert "exactly the same content" in network.bucket.read(duplicate["feedback_path"]).decode()
    assert network.bucket.list_files("incoming") == []
    archived = network.bucket.list_files(f"archive/{MEMBER}")
    assert archived and all(network.bucket.read(a["path"]) == GOOD.encode() for a in archived)


# -- files still being written -------------------------------------------------------------------------
def test_a_file_modified_within_the_settle_time_is_left_for_the_next_run(
    make_network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ANCHOR_SETTLE_SECONDS")
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    assert network.cfg.settle_seconds == 10  # the default, from [ingest] settle_seconds
    path = f"incoming/{MEMBER}/spend_2025-26-Q2.csv"
    _drop(network, path, GOOD[: len(GOOD) // 2])  # half of it so far

    assert scan_incoming(network) == []
    assert ingest(network) == []
    assert network.bucket.exists(path) and stored_submissions(network) == []
    # Once the upload has finished and the file has been still for the settle time, it is taken.
    _drop(network, path, GOOD, datetime.now(UTC) - timedelta(seconds=11))
    [outcome] = ingest(network)
    assert (outcome["status"], outcome["rows_loaded"]) == ("accepted", 2)


# -- bucket unreachable --------------------------------------------------------------------------------
@pytest.mark.airflow
def test_unreachable_bucket_fails_the_task_with_a_clear_error_and_moves_nothing(  # type: ignore[no-untyped-def]
    s3_bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mailbox
) -> None:
    from urllib.parse import unquote

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState, TaskInstanceState

    import pipeline.orchestration as orchestration

    use_s3(monkeypatch, s3_bucket)
    s3_bucket.put(f"london/bucket/incoming/{MEMBER}/spend_2025-26-Q2.csv", GOOD.encode())
    before = s3_bucket.list_keys()
    config = enable_email(write_config(tmp_path, f"sqlite:///{tmp_path}/w.db"), engineers=[ENGINEERS])
    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

    with pytest.raises(BucketUnreachable) as failure:
        scan_incoming(open_network(config))
    message = str(failure.value)
    assert f"Could not list the bucket s3://{s3_bucket.name}/london/bucket" in message
    assert closed in message and "Nothing was moved" in message

    # Through Airflow: the task is retried (no wait between tries here) and then fails the run.
    monkeypatch.setitem(orchestration.DEFAULT_ARGS, "retry_delay", timedelta(0))
    monkeypatch.setitem(orchestration.DEFAULT_ARGS, "retry_exponential_backoff", False)
    airflow_db.resetdb()
    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["anchor_ingest"]
    run = dag.test(run_conf={"config": str(config)})
    assert run.state == DagRunState.FAILED
    tries = {ti.task_id: (ti.state, ti.try_number) for ti in run.get_task_instances()}
    assert tries["refresh_reference_data"] == (TaskInstanceState.FAILED, 3)
    assert s3_bucket.list_keys() == before  # nothing archived, answered or removed
    # The data engineers are told once, for the run, after the last try: the task, its log, what next.
    [alert] = mailbox.to(ENGINEERS)
    assert alert["Subject"].endswith("anchor_ingest run failed")
    body = alert.get_body(("plain",)).get_content()
    assert "refresh_reference_data" in body and "Tries: 3" in body and "Nothing was lost" in body
    assert f"/dags/anchor_ingest/runs/{run.run_id}/tasks/refresh_reference_data" in unquote(body)

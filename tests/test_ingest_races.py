"""Nothing lost between two moments: a file replaced while it is processed, a process killed after the
warehouse commit and before the member's answer, a load that fails after the lake copy was written."""

from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import pipeline.steps.ingest as ingest_step
import warehouse.load as load
from pipeline.adapters.bucket import Store
from pipeline.network import open_network
from pipeline.steps.ingest import ingest, process_file, scan_incoming, settle_earlier_runs
from tests.conftest import REPO_ROOT, TEST_PSEUDONYM_KEY, spend_facts_total, stored_submissions, write_config
from tests.servers import enable_email, use_s3

MEMBER = "kingsbridge-council"
PATH = f"incoming/{MEMBER}/spend_2025-26-Q2.csv"
FIRST = (
    "Payment Date,Supplier Name,Amount,Transaction ID\n"
    "01/08/2025,Brightwater Cleaning Ltd,1000.00,T1\n"
    "02/08/2025,Keystone Facilities Limited,250.50,T2\n"
)
CORRECTED = FIRST + "03/08/2025,Meridian Catering PLC,99.50,T3\n"


# -- the store's conditional removal -------------------------------------------------------------------
def test_a_folder_removes_a_file_only_if_it_is_still_the_version_processed(tmp_path: Path) -> None:
    store = Store(str(tmp_path))
    store.write("incoming/a.csv", b"first")
    first, version = store.read_version("incoming/a.csv")
    assert first == b"first"
    store.write("incoming/a.csv", b"second")  # replaced meanwhile
    assert not store.remove_version("incoming/a.csv", version)
    assert store.read("incoming/a.csv") == b"second"  # the correction waits, untouched
    assert [e["path"] for e in store.list_files("incoming")] == ["incoming/a.csv"]  # nothing left aside
    _, newer = store.read_version("incoming/a.csv")
    assert store.remove_version("incoming/a.csv", newer) and not store.exists("incoming/a.csv")
    assert store.remove_version("incoming/a.csv", newer)  # already gone: nothing to do


def test_s3_removes_an_object_only_if_its_etag_is_the_one_processed(s3_bucket) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"s3://{s3_bucket.name}/bucket")
    store.write("incoming/a.csv", b"first")
    _, version = store.read_version("incoming/a.csv")
    assert store.version_of("incoming/a.csv")[1] == version
    s3_bucket.put("bucket/incoming/a.csv", b"second")  # the member's tool replaces it
    assert not store.remove_version("incoming/a.csv", version)
    assert s3_bucket.get("bucket/incoming/a.csv") == b"second"
    _, newer = store.read_version("incoming/a.csv")
    assert store.remove_version("incoming/a.csv", newer)
    assert s3_bucket.list_keys("bucket/incoming/") == []


# -- replaced while being processed -----------------------------------------------------------------------
@pytest.mark.parametrize("storage", ["folder", "s3"])
def test_a_file_replaced_while_it_is_processed_waits_for_the_next_run(  # type: ignore[no-untyped-def]
    storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if storage == "s3":
        use_s3(monkeypatch, request.getfixturevalue("s3_bucket"))
    network = open_network(write_config(tmp_path, f"sqlite:///{tmp_path}/w.db"))
    network.bucket.write(PATH, FIRST.encode())
    [incoming] = scan_incoming(network)
    real_check = ingest_step.check_return

    def member_sends_a_correction_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        network.bucket.write(PATH, CORRECTED.encode())
        return real_check(*args, **kwargs)

    monkeypatch.setattr(ingest_step, "check_return", member_sends_a_correction_meanwhile)
    first = process_file(network, incoming)
    monkeypatch.setattr(ingest_step, "check_return", real_check)

    assert first["status"] == "accepted" and first["rows_loaded"] == 2
    assert network.bucket.read(PATH) == CORRECTED.encode()  # not removed with the version processed
    [second] = ingest(network)
    assert (second["status"], second["rows_loaded"]) == ("accepted", 3)
    assert spend_facts_total(network) == (3, Decimal("1350.00"))
    assert [s["status"] for s in stored_submissions(network)] == ["superseded", "accepted"]
    assert network.bucket.list_files("incoming") == []


# -- killed after the commit, before the answer -------------------------------------------------------------
KILLED_AFTER_COMMIT = textwrap.dedent(
    """
    import sys, time, pathlib
    import pipeline.steps.ingest as ingest_step

    def pay_answer(network, stored):
        pathlib.Path(sys.argv[2]).write_text(stored["status"])  # the warehouse has committed...
        time.sleep(600)  # ...when the process is killed, before the member is answered

    ingest_step.pay_answer = pay_answer
    from pipeline.network import open_network

    ingest_step.ingest(open_network(sys.argv[1]))
    """
)


def test_a_crash_after_the_commit_leaves_the_answer_owed_and_the_next_run_pays_it(  # type: ignore[no-untyped-def]
    warehouse_url: str, tmp_path: Path, mailbox
) -> None:
    config = enable_email(write_config(tmp_path, warehouse_url))
    network = open_network(config)
    network.bucket.write(PATH, FIRST.encode())
    marker = tmp_path / "committed"
    script = tmp_path / "killed_after_commit.py"
    script.write_text(KILLED_AFTER_COMMIT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(config), str(marker)],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "ANCHOR_SETTLE_SECONDS": "0",
            "ANCHOR_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        },
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, "the ingest ended before the commit"
            assert time.monotonic() < deadline, "the ingest never committed"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()

    # Committed and owed: the figures are in, the member not yet answered, the file still waiting.
    [stored] = stored_submissions(network)
    assert (stored["status"], stored["answer_status"]) == ("accepted", "owed")
    assert not network.bucket.exists(stored["feedback_path"])
    assert network.bucket.exists(PATH) and mailbox.received == []

    # The next run pays what is owed, and the file (its own duplicate now) leaves without a second answer.
    [outcome] = ingest(network)
    assert outcome["status"] == "duplicate" and outcome["feedback_path"] is None
    [stored] = stored_submissions(network)
    assert stored["answer_status"] == "paid"
    page = html.unescape(network.bucket.read(stored["feedback_path"]).decode())
    assert "We used 2 of the 2 rows" in page
    [answer] = mailbox.to("procurement@kingsbridge.example.gov.uk")
    assert answer["Subject"].startswith("Accepted")
    assert network.bucket.list_files("incoming") == [] and network.bucket.list_files("owed") == []
    assert ingest(network) == [] and len(mailbox.received) == 1


# -- the lake and the warehouse, all or nothing -------------------------------------------------------------
def test_a_failed_load_leaves_no_lake_file(
    make_network, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    network = make_network(warehouse_url)
    network.bucket.write(PATH, FIRST.encode())
    real_bulk_insert = load.bulk_insert

    def fails(conn, table, rows):  # type: ignore[no-untyped-def]
        raise ValueError("the load failed")

    monkeypatch.setattr(load, "bulk_insert", fails)
    [incoming] = scan_incoming(network)
    with pytest.raises(ValueError):
        process_file(network, incoming)
    assert network.lake.list_files("") == []
    assert stored_submissions(network) == [] and network.bucket.exists(PATH)

    monkeypatch.setattr(load, "bulk_insert", real_bulk_insert)
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted"
    [lake_file] = network.lake.list_files("")
    assert lake_file["path"] == stored_submissions(network)[0]["lake_path"]


def test_lake_files_no_submission_names_are_swept_once_old(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write(PATH, FIRST.encode())
    ingest(network)
    orphan = "spend/period=2025-26-Q2/member=kingsbridge-council/0123456789abcdef.parquet"
    network.lake.write(orphan, b"written by a process killed before its commit")
    assert settle_earlier_runs(network)["orphan_lake_files_removed"] == 0  # may be a load in flight
    later = datetime.now(UTC) + timedelta(hours=2)
    assert settle_earlier_runs(network, now=later)["orphan_lake_files_removed"] == 1
    assert [f["path"] for f in network.lake.list_files("")] == [stored_submissions(network)[0]["lake_path"]]

"""Issue 12's hostile-file suite: every class of careless or hostile file, in one run with ordinary files.

Run through ``anchor ingest`` (a process of its own, so that its peak memory can be measured) and through
the ingest DAG, on SQLite and on PostgreSQL. For every file: no traceback, an answer to its member, every
row accounted for; the other members' files of the run loaded; the KPIs refreshed; and the process's
peak memory held to what the configured limits allow, whatever the files claim about themselves.
"""

from __future__ import annotations

import csv
import html
import io
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.network import Network, open_network
from tests.conftest import REPO_ROOT, TEST_PSEUDONYM_KEY, write_config
from tests.hostile_files import (
    HOSTILE_LIMITS,
    PERIOD,
    SKIPPED_NAMES,
    HostileSet,
    hostile_set,
    spend_csv,
    with_limits,
)
from warehouse.schema import kpi_value, submissions

# Peak memory of an ingest of the hostile files may exceed that of the same process ingesting only the
# ordinary files by no more than this: each file is read within the limits, one at a time. (Without the
# limits, the XLSX files below alone claim billions of cells.)
MEMORY_ALLOWANCE = 16 * HOSTILE_LIMITS["max_file_bytes"]

INGEST_MEASURING_MEMORY = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from pipeline.cli.app import app

    code = 0
    try:
        app(["ingest", "--config", sys.argv[1]])
    except SystemExit as exit:
        code = exit.code or 0
    finally:
        Path(sys.argv[2]).write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
    sys.exit(code)
    """
)


def _network(tmp_path: Path, warehouse_url: str) -> tuple[Path, Network]:
    config = with_limits(write_config(tmp_path, warehouse_url))
    return config, open_network(config)


def _drop(network: Network, files: HostileSet, with_hostile: bool = True) -> None:
    for good in files.good:
        network.bucket.write(good.path, good.data)
    if not with_hostile:
        return
    for hostile in files.hostile:
        network.bucket.write(hostile.path, hostile.data)
    for name in SKIPPED_NAMES:
        network.bucket.write(f"incoming/kingsbridge-council/{name}", b"not a return")
    network.bucket.write(f"incoming/spend_{PERIOD}.csv", spend_csv(3).encode())  # in no member's folder
    outside = Path(network.bucket.full("")).parent / "outside.csv"
    outside.write_text(spend_csv(3))
    os.symlink(outside, network.bucket.full(f"incoming/kingsbridge-council/spend_{PERIOD} link.csv"))
    # A file dated decades ahead (a wrong clock) is taken, not left waiting for ever.
    future = f"incoming/hearthstone-bs/spend_{PERIOD}.csv"
    network.bucket.write(future, spend_csv(4, 3000).encode())
    stamp = datetime(2099, 1, 1, tzinfo=UTC).timestamp()
    os.utime(network.bucket.full(future), (stamp, stamp))


def _ingest_in_a_process(config: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    peak = tmp_path / "peak-rss"
    result = subprocess.run(
        [sys.executable, "-c", INGEST_MEASURING_MEMORY, str(config), str(peak)],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "ANCHOR_SETTLE_SECONDS": "0",
            "ANCHOR_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, int(peak.read_text())


@pytest.fixture(scope="module")
def files() -> HostileSet:
    return hostile_set()


@pytest.fixture(scope="module")
def ordinary_peak_memory(files: HostileSet, tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak memory of ``anchor ingest`` taking only the ordinary files (the same kinds as the hostile run)."""
    tmp_path = tmp_path_factory.mktemp("ordinary")
    config, network = _network(tmp_path, f"sqlite:///{tmp_path}/w.db")
    _drop(network, files, with_hostile=False)
    result, peak = _ingest_in_a_process(config, tmp_path)
    assert result.returncode == 0, result.stderr
    assert network.bucket.list_files("incoming") == [], "the ordinary files were not all taken"
    return peak


def _rows(network: Network) -> dict[tuple[str, str], dict]:
    with network.engine.connect() as conn:
        return {
            (r["member_id"], r["file_name"]): dict(r) for r in conn.execute(select(submissions)).mappings()
        }


def assert_every_file_answered(network: Network, files: HostileSet) -> None:
    stored = _rows(network)
    for hostile in files.hostile:
        name = hostile.path.rsplit("/", 1)[-1]
        row = stored.get((hostile.member_id, name))
        assert row is not None, f"{hostile.label}: no outcome stored"
        assert row["status"] == hostile.status, (hostile.label, row["status"], row["reason"])
        assert row["rows_read"] == row["rows_loaded"] + row["rows_rejected"] + row["rows_set_aside"], (
            hostile.label
        )
        assert row["error"] is None, f"{hostile.label} raised: {row['error']}"
        assert row["answer_status"] == "paid", hostile.label
        page = html.unescape(network.bucket.read(row["feedback_path"]).decode())
        problems = network.bucket.read(row["feedback_path"].removesuffix(".html") + ".csv").decode(
            "utf-8-sig"
        )
        for words in hostile.says:
            assert words in page or words in problems, (hostile.label, words)
        for words in hostile.mapping_says:
            assert words in page.split("How we read your columns", 1)[-1], (hostile.label, words)
        for value in hostile.never_echoed:
            assert value not in page and value not in problems, (hostile.label, value)
            assert value not in (row["reason"] or ""), (hostile.label, value)
        for cells in csv.reader(io.StringIO(problems)):
            # Nothing a spreadsheet would run: values starting with a formula character are made inert.
            assert not any(c[:1] in ("=", "@", "+") for c in cells), (hostile.label, cells)
        if "formula" in hostile.label:
            assert "'=1+2" in problems
    for good in files.good:
        member, name = good.path.split("/")[1:]
        row = stored[(member, name)]
        assert (row["status"], row["rows_loaded"]) == ("accepted", good.rows), (good.path, row["reason"])
        if good.total:
            assert float(row["accepted_total_gbp"]) == pytest.approx(good.total)
    # Identical content counted once per member, return and period, never across them.
    measures = [r for (m, n), r in stored.items() if n.startswith("measures_") and r["status"] == "accepted"]
    assert len({r["content_hash"] for r in measures}) == 1 and len(measures) == 3
    # The file dated decades ahead was taken, and received "now", not in 2099.
    future = stored[("hearthstone-bs", f"spend_{PERIOD}.csv")]
    assert future["status"] == "accepted" and future["received_at"].year < 2099
    # Only the files never read are still waiting, and each of them is a file the scan reports.
    waiting = sorted(e["path"] for e in network.bucket.list_files("incoming", with_links=True))
    assert waiting == sorted(
        [
            *(f"incoming/kingsbridge-council/{n}" for n in SKIPPED_NAMES),
            f"incoming/kingsbridge-council/spend_{PERIOD} link.csv",
            f"incoming/spend_{PERIOD}.csv",
        ]
    )
    with network.engine.connect() as conn:
        kpis = {r.kpi for r in conn.execute(select(kpi_value).where(kpi_value.c.period == PERIOD))}
    assert "spend_total" in kpis, "the KPIs were not refreshed"


def test_hostile_files_through_anchor_ingest(
    files: HostileSet, ordinary_peak_memory: int, warehouse_url: str, tmp_path: Path
) -> None:
    config, network = _network(tmp_path, warehouse_url)
    _drop(network, files)
    result, peak = _ingest_in_a_process(config, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "KPIs refreshed" in result.stdout
    assert_every_file_answered(network, files)
    assert peak < ordinary_peak_memory + MEMORY_ALLOWANCE, (
        f"peak memory {peak / 2**20:.0f} MB against {ordinary_peak_memory / 2**20:.0f} MB for ordinary files"
    )


@pytest.mark.airflow
def test_hostile_files_through_the_ingest_dag(
    files: HostileSet, warehouse_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState, TaskInstanceState

    from pipeline.orchestration import DAGS_FOLDER

    config, network = _network(tmp_path, warehouse_url)
    _drop(network, files)
    airflow_db.resetdb()
    dags = DagBag(dag_folder=str(DAGS_FOLDER)).dags
    run = dags["anchor_ingest"].test(run_conf={"config": str(config)})

    assert run.state == DagRunState.SUCCESS
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["announce_warehouse_change"] == TaskInstanceState.SUCCESS  # so anchor_kpis runs
    assert dags["anchor_kpis"].test(run_conf={"config": str(config)}).state == DagRunState.SUCCESS
    assert "could not be processed" not in caplog.text
    assert_every_file_answered(network, files)


def test_a_file_that_keeps_raising_is_quarantined_answered_and_alerted_once(  # type: ignore[no-untyped-def]
    tmp_path: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch, mailbox
) -> None:
    """An unexpected failure on one file: the file gets a plain answer, the engineers the error, and the
    run goes on; the file is not taken again and again. Once the cause is fixed, sending it again works."""
    import pipeline.steps.ingest as ingest_step
    from pipeline.steps.batches import ingest_batch
    from tests.servers import enable_email

    engineers = "data-engineering@cityhall.example.org"
    config = enable_email(write_config(tmp_path, warehouse_url), engineers=[engineers])
    network = open_network(config)
    broken = f"incoming/fleetside-council/spend_{PERIOD}.csv"
    network.bucket.write(broken, spend_csv(5).encode())
    network.bucket.write(f"incoming/kingsbridge-council/spend_{PERIOD}.csv", spend_csv(6).encode())
    real_build_facts = ingest_step.build_facts

    def build_facts(network, return_type, accepted, submission_id, member_id, period):  # type: ignore[no-untyped-def]
        if member_id == "fleetside-council":
            raise RuntimeError("a bug nobody foresaw")
        return real_build_facts(network, return_type, accepted, submission_id, member_id, period)

    monkeypatch.setattr(ingest_step, "build_facts", build_facts)
    outcomes = ingest_batch(network, ingest_step.scan_incoming(network))  # does not raise

    by_member = {o["member_id"]: o for o in outcomes}
    assert by_member["kingsbridge-council"]["status"] == "accepted"
    failed = by_member["fleetside-council"]
    assert failed["status"] == "quarantined" and "RuntimeError: a bug nobody foresaw" in failed["error"]
    page = html.unescape(network.bucket.read(failed["feedback_path"]).decode())
    assert "We could not process this file; the data team has been told" in page
    assert "RuntimeError" not in page  # the member reads plain English, the engineers the error
    [alert] = mailbox.to(engineers)
    assert "could not be processed" in alert["Subject"]
    assert "a bug nobody foresaw" in alert.get_body(("plain",)).get_content()
    [member_mail] = mailbox.to("finance.returns@fleetside.example.gov.uk")
    assert member_mail["Subject"].startswith("Held back")
    assert network.bucket.list_files("incoming") == []  # not retried for ever
    assert any(
        e["path"].startswith("quarantine/fleetside-council/") for e in network.bucket.list_files("quarantine")
    )
    assert ingest_step.ingest(network) == [] and len(mailbox.to(engineers)) == 1

    # The cause fixed, the same file sent again is taken (it is not a "duplicate" of the failure).
    monkeypatch.setattr(ingest_step, "build_facts", real_build_facts)
    network.bucket.write(broken, spend_csv(5).encode())
    [again] = ingest_step.ingest(network)
    assert (again["status"], again["rows_loaded"], again["error"]) == ("accepted", 5, "")
    assert len([r for r in _rows(network).values() if r["member_id"] == "fleetside-council"]) == 1


def test_skipped_files_are_shown_by_anchor_status_and_alerted_once(  # type: ignore[no-untyped-def]
    tmp_path: Path, mailbox
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.app import app
    from pipeline.steps.ingest import ingest
    from pipeline.steps.returns_tracker import track_returns
    from tests.servers import enable_email

    engineers = "data-engineering@cityhall.example.org"
    config = enable_email(write_config(tmp_path, f"sqlite:///{tmp_path}/w.db"), engineers=[engineers])
    network = open_network(config)
    for name in SKIPPED_NAMES:
        network.bucket.write(f"incoming/kingsbridge-council/{name}", b"x")
    network.bucket.write(f"incoming/spend_{PERIOD}.csv", b"x")
    outside = tmp_path / "outside.csv"
    outside.write_text("secret")
    os.symlink(outside, network.bucket.full("incoming/kingsbridge-council/spend_link.csv"))

    assert ingest(network) == []
    assert ingest(network) == []  # the same files again: no second alert
    [alert] = mailbox.to(engineers)
    body = alert.get_body(("plain",)).get_content()
    for name in (*SKIPPED_NAMES, "spend_link.csv", f"incoming/spend_{PERIOD}.csv"):
        assert name in body, name
    assert "secret" not in body

    # An unfinished download named like a return is not a return received.
    [spend] = [
        r
        for r in track_returns(network, [PERIOD], include_incoming=True)
        if (r.member_id, r.return_type) == ("kingsbridge-council", "spend")
    ]
    assert (spend.status, spend.waiting) == ("missing", 0)
    status = CliRunner().invoke(app, ["status", "--period", PERIOD, "--config", str(config)])
    assert status.exit_code == 0, status.output
    assert "Files left in" in status.output
    for name, why in (
        (SKIPPED_NAMES[0], "hidden file"),
        (SKIPPED_NAMES[1], "temporary file"),
        (SKIPPED_NAMES[2], "temporary file"),
        ("spend_link.csv", "symbolic link"),
        (f"incoming/spend_{PERIOD}.csv", "not in a member's folder"),
    ):
        [line] = [line for line in status.output.splitlines() if f"{name}:" in line]
        assert why in line, (name, line)

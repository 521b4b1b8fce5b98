"""The retention step: originals past keep_raw_days leave archive/ and quarantine/, in a folder and on S3,
through the CLI and the daily DAG, and nothing a submission still needs is deleted.

The example network keeps recruitment originals 90 days and every other return for good.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.network import Network, open_network
from pipeline.steps import ingest as ingest_module
from pipeline.steps.ingest import ingest
from pipeline.steps.retention import delete_raw_files
from tests.conftest import write_config
from tests.servers import use_s3
from warehouse.schema import fact_recruitment, fact_spend, submissions

HEADER = "Offer Date,Start Date,Programme,Previously Unemployed,Age,Ethnicity,Disability,Home Postcode,IMD Decile,Still in post"
HIRES = (
    "\n".join(
        [HEADER]
        + [f"{d + 1:02d}/10/2025,,inclusive-recruitment,Yes,25-34,Indian,No,SE15,," for d in range(12)]
    )
    + "\n"
).encode()
NAMES = b"Offer Date,Full Name,Previously Unemployed\n" + b"".join(
    f"{d + 1:02d}/10/2025,Jane Doe {d},Yes\n".encode() for d in range(6)
)
SPEND = b"Payment Date,Supplier Name,Amount\n01/10/2025,Brightwater Cleaning Ltd,100.00\n"
DROPS = {
    "st-aldrics-nhs/recruitment_2025-26-Q3.csv": HIRES,  # accepted
    "kingsbridge-council/recruitment_2025-26-Q3.csv": NAMES,  # held back: names
    "kingsbridge-council/spend_2025-26-Q3.csv": SPEND,  # spend: kept for good
}


def _drop_and_ingest(network: Network) -> dict[str, dict]:
    for path, data in DROPS.items():
        network.bucket.write(f"incoming/{path}", data)
    outcomes = {f"{o['member_id']}/{o['file_name']}": o for o in ingest(network)}
    assert outcomes["st-aldrics-nhs/recruitment_2025-26-Q3.csv"]["status"] == "accepted"
    assert outcomes["kingsbridge-council/recruitment_2025-26-Q3.csv"]["status"] == "quarantined"
    assert outcomes["kingsbridge-council/spend_2025-26-Q3.csv"]["status"] == "accepted"
    return outcomes


def _raw(network: Network) -> list[str]:
    return sorted(
        e["path"] for folder in ("archive", "quarantine") for e in network.bucket.list_files(folder)
    )


def _recruitment_raw(paths: list[str]) -> list[str]:
    return [p for p in paths if "recruitment_" in p]


def _count(network: Network, table) -> int:  # type: ignore[no-untyped-def]
    with network.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_originals_past_the_setting_are_deleted_and_the_facts_stay(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    network = make_network(warehouse_url)
    start = datetime.now(UTC)
    _drop_and_ingest(network)
    before = _raw(network)
    recruitment = _recruitment_raw(before)
    # The accepted file's archive copy, and the held-back file's archive and quarantine copies.
    assert len(recruitment) == 3 and sum(p.startswith("quarantine/") for p in recruitment) == 1

    assert delete_raw_files(network, now=start + timedelta(days=89)).deleted == []
    dry = delete_raw_files(network, now=start + timedelta(days=91), dry_run=True)
    assert dry.dry_run and dry.deleted == recruitment and dry.failed == []
    assert _raw(network) == before  # a dry run deletes nothing

    run = delete_raw_files(network, now=start + timedelta(days=91))
    assert run.deleted == recruitment and run.kept == [] and run.failed == []
    left = _raw(network)
    assert left == [p for p in before if p not in recruitment] and left  # spend's original stays
    assert all("spend_" in p for p in left)
    # The loaded facts stay; only the originals went.
    assert _count(network, fact_recruitment) == 12 and _count(network, fact_spend) == 1
    if network.cfg.bucket_url.startswith("/"):  # no empty folder is left to say which member sent what
        root = Path(network.cfg.bucket_url)
        assert not (root / "archive" / "st-aldrics-nhs").exists()
        assert not (root / "quarantine" / "kingsbridge-council").exists()
        assert (root / "archive").is_dir()
    assert delete_raw_files(network, now=start + timedelta(days=92)).deleted == []  # nothing twice


def test_an_answer_still_owed_or_a_file_waiting_in_incoming_keeps_the_original(
    make_network, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    start = datetime.now(UTC)
    outcomes = _drop_and_ingest(network)
    accepted = outcomes["st-aldrics-nhs/recruitment_2025-26-Q3.csv"]["submission_id"]
    later = start + timedelta(days=100)
    with network.engine.begin() as conn:
        conn.execute(
            update(submissions).where(submissions.c.submission_id == accepted).values(answer_status="owed")
        )
    run = delete_raw_files(network, now=later)
    [kept] = run.kept
    assert kept["path"].startswith("archive/st-aldrics-nhs/") and "answer is still owed" in kept["reason"]
    assert kept["path"] not in run.deleted and network.bucket.exists(kept["path"])
    assert len(run.deleted) == 2  # the held-back file's two copies

    # Answered now, but the same file name waits in incoming/ again: ingest may be reusing the copy.
    with network.engine.begin() as conn:
        conn.execute(
            update(submissions).where(submissions.c.submission_id == accepted).values(answer_status="paid")
        )
    network.bucket.write("incoming/st-aldrics-nhs/recruitment_2025-26-Q3.csv", HIRES)
    run = delete_raw_files(network, now=later)
    assert run.deleted == [] and [k["path"] for k in run.kept] == [kept["path"]]
    assert "waiting in incoming/" in run.kept[0]["reason"]

    network.bucket.remove("incoming/st-aldrics-nhs/recruitment_2025-26-Q3.csv")
    assert delete_raw_files(network, now=later).deleted == [kept["path"]]


def test_an_archive_copy_reused_by_a_later_submission_is_as_old_as_that_submission(
    make_network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A file that could not be processed is sent again, byte for byte, once the cause is fixed: ingest
    reuses its archive copy (written once) and the new submission replaces the old one."""
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    root = Path(network.cfg.bucket_url)
    start = datetime.now(UTC)
    sent_long_ago = (start - timedelta(days=100)).timestamp()
    incoming = root / "incoming/st-aldrics-nhs/recruitment_2025-26-Q3.csv"
    network.bucket.write("incoming/st-aldrics-nhs/recruitment_2025-26-Q3.csv", HIRES)
    os.utime(incoming, (sent_long_ago, sent_long_ago))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a fault in the pipeline")

    monkeypatch.setattr(ingest_module, "_check", broken)
    [first] = ingest(network)
    assert first["status"] == "quarantined" and first["error"]
    archive = [p for p in _raw(network) if p.startswith("archive/")]
    [copy] = archive
    for path in _raw(network):  # the copies as they would be had they been written 100 days ago
        os.utime(root / path, (sent_long_ago, sent_long_ago))
    monkeypatch.undo()

    network.bucket.write("incoming/st-aldrics-nhs/recruitment_2025-26-Q3.csv", HIRES)  # sent again today
    [second] = ingest(network)
    assert second["status"] == "accepted" and second["submission_id"] == first["submission_id"]
    assert [p for p in _raw(network) if p.startswith("archive/")] == [copy]  # the same copy, not rewritten
    assert (start - datetime.fromtimestamp((root / copy).stat().st_mtime, UTC)).days >= 99

    run = delete_raw_files(network, now=start + timedelta(days=30))
    assert copy not in run.deleted and network.bucket.exists(copy)
    assert copy in delete_raw_files(network, now=start + timedelta(days=91)).deleted


def test_anchor_retention_dry_run_then_delete(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    network = open_network(config)
    root = Path(network.cfg.bucket_url)
    long_ago = (datetime.now(UTC) - timedelta(days=120)).timestamp()
    for path, data in DROPS.items():  # received 120 days ago
        network.bucket.write(f"incoming/{path}", data)
        os.utime(root / "incoming" / path, (long_ago, long_ago))
    ingest(network)
    for path in _raw(network):  # and copied then
        os.utime(root / path, (long_ago, long_ago))
    recruitment = _recruitment_raw(_raw(network))
    assert len(recruitment) == 3
    runner = CliRunner()

    dry = runner.invoke(app, ["retention", "--dry-run", "--config", str(config)])
    assert dry.exit_code == 0, dry.output
    assert [line.removeprefix("would delete: ") for line in dry.output.splitlines()[:3]] == recruitment
    assert "3 raw file(s) would delete" in dry.output
    assert _recruitment_raw(_raw(network)) == recruitment

    result = runner.invoke(app, ["retention", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert [line.removeprefix("deleted: ") for line in result.output.splitlines()[:3]] == recruitment
    assert _recruitment_raw(_raw(network)) == [] and _raw(network)


@pytest.mark.airflow
def test_the_daily_dag_deletes_originals_past_the_setting(tmp_path: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState

    from pipeline.orchestration import DAGS_FOLDER

    airflow_db.resetdb()
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    network = open_network(config)
    root = Path(network.cfg.bucket_url)
    _drop_and_ingest(network)
    recruitment = _recruitment_raw(_raw(network))
    spend = [p for p in _raw(network) if p not in recruitment]
    aged = (datetime.now(UTC) - timedelta(days=95)).timestamp()
    for path in [*recruitment, *spend]:
        os.utime(root / path, (aged, aged))
    with network.engine.begin() as conn:  # received 95 days ago, too
        conn.execute(update(submissions).values(received_at=datetime.now(UTC) - timedelta(days=95)))

    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["anchor_chasers"]
    run = dag.test(run_conf={"config": str(config)})  # e-mail is off: the chasers send nothing
    assert run.state == DagRunState.SUCCESS
    [task] = [ti for ti in run.get_task_instances() if ti.task_id == "delete_raw_files"]
    assert task.state == "success"
    assert _raw(network) == spend  # recruitment's three originals went, spend's stays
    assert _count(network, fact_recruitment) == 12


def test_retention_on_s3_deletes_the_objects(  # type: ignore[no-untyped-def]
    s3_bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_s3(monkeypatch, s3_bucket)
    network = open_network(write_config(tmp_path, f"sqlite:///{tmp_path}/w.db"))
    start = datetime.now(UTC)
    _drop_and_ingest(network)
    keys = s3_bucket.list_keys("london/bucket/")
    raw = [k for k in keys if k.startswith(("london/bucket/archive/", "london/bucket/quarantine/"))]
    recruitment = sorted(k for k in raw if "recruitment_" in k)
    assert len(recruitment) == 3

    assert delete_raw_files(network, now=start + timedelta(days=89)).deleted == []
    run = delete_raw_files(network, now=start + timedelta(days=91))
    assert sorted(f"london/bucket/{p}" for p in run.deleted) == recruitment and run.failed == []
    after = s3_bucket.list_keys("london/bucket/")
    assert not [k for k in after if "recruitment_" in k and "/feedback/" not in k]
    assert [k for k in raw if k not in recruitment] == [
        k for k in after if k.startswith(("london/bucket/archive/", "london/bucket/quarantine/"))
    ]
    assert _count(network, fact_recruitment) == 12

"""The stack as it runs unattended: a real Airflow scheduler, DAG processor and API server.

Three ``airflow`` processes (LocalExecutor, metadata in a fresh PostgreSQL database, the warehouse in
another) run the project's DAGs from ``pipeline.orchestration.airflow_environment``. The DAGs start
paused, as a careful operator would deploy them; the test drops a quarter of sample returns (a
workforce return among them, so the pseudonymisation key must reach the tasks, and one poison file),
unpauses the DAGs, and then only waits: the one-minute ingest poll takes the files, the warehouse asset
starts the KPIs, the KPI asset issues the due report. Nothing is triggered by hand, and every process
the test started (and every process they started) is gone at the end.

Selected with ``-m system``; it also runs in the whole suite (about two minutes on two cores).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import create_engine, text

from pipeline.orchestration import QUIET_LOGGERS, airflow_environment
from samples.network import generate_sample
from tests.conftest import fresh_database, spend_facts_total, stored_submissions, write_config
from tests.servers import enable_email, free_port

pytestmark = [pytest.mark.system, pytest.mark.airflow, pytest.mark.postgres]

PERIOD = "2026-27-Q2"  # due by now, so the report DAG issues it as soon as its KPIs are in
ENGINEER = "data-team@network.example.org"
CITY_HALL = "anchor-team@cityhall.example.org"  # [report] recipients in config/london.toml
POISON = "incoming/kingsbridge-council/spend_2026-27-Q2_corrected.xlsx"
DEADLINE = 360  # s from unpausing to the issued report (measured 133-200 s with the machine at load 13)


@dataclass
class Stack:
    """The Airflow processes the test started, with their logs."""

    home: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        log = (self.home / f"{name}.log").open("ab")
        # A session of its own, so the whole tree (executor workers, task runners) can be signalled.
        self.processes[name] = subprocess.Popen(
            [str(Path(sys.executable).with_name("airflow")), *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"airflow {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def ours(self) -> list[psutil.Process]:
        """Every live process running with this stack's AIRFLOW_HOME (whatever session it moved to)."""
        found = []
        for process in psutil.process_iter():
            try:
                if process.environ().get("AIRFLOW_HOME") == str(self.home) and process.pid != os.getpid():
                    found.append(process)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    def stop(self) -> list[str]:
        """SIGTERM each process group, then wait; SIGKILL what is left. Returns what had to be killed.

        In the order a deployment stops them (compose stops a service before what it depends on): the
        scheduler first, whose LocalExecutor finishes its running tasks, and those report their state
        through the API server, which must still be up; then the DAG processor; the API server last.
        Stopped all at once, a task started in the scheduler's last loop retried the stopped API server
        for longer than the grace period, and the scheduler waited for it.
        """
        # The scheduler shuts its executor down gracefully (finishing its task processes): on a loaded
        # two-core machine that has taken over 30 s, so allow 90 s before calling it a process left behind.
        deadline = time.monotonic() + 90
        order = sorted(
            self.processes, key=lambda name: ("scheduler", "dag-processor", "api-server").index(name)
        )
        for name in order:
            process = self.processes[name]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        while self.ours() and time.monotonic() < deadline:
            time.sleep(0.5)
        left = self.ours()
        killed = [f"{p.pid} {' '.join(p.cmdline())[:120]}" for p in left]
        for process in left:
            process.kill()
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        return killed

    def logs(self) -> str:
        """The processes' logs and the task logs, tails only, for a failure message."""
        parts = []
        for path in sorted(self.home.glob("*.log")):
            parts.append(f"==== {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        for path in sorted((self.home / "logs").rglob("*.log"))[-12:]:
            parts.append(f"==== {path.relative_to(self.home)}\n{path.read_text(errors='replace')[-2000:]}")
        return "\n".join(parts)


@pytest.fixture
def airflow_metadata_db(pg_server: str) -> Iterator[str]:
    """A fresh database for Airflow's own tables, apart from the warehouse's (as the field notes advise)."""
    with fresh_database(pg_server, "anchor_airflow") as url:
        yield url


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


@pytest.fixture
def stack(
    tmp_path: Path,
    airflow_metadata_db: str,
    monkeypatch: pytest.MonkeyPatch,
    mailbox: Any,  # before the env is built: it puts the SMTP connection into it
) -> Iterator[Stack]:
    home = tmp_path / "airflow"
    home.mkdir()
    # This test process runs on conftest's embedded metadata DB; the stack gets its own.
    for key in (
        "AIRFLOW_HOME",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION",
    ):
        monkeypatch.delenv(key, raising=False)
    api_port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        **airflow_environment(home, airflow_metadata_db),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        # Airflow 3: task runners reach the API server's execution API with JWTs signed by this secret
        # (64 bytes: PyJWT warns below that).
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(health_port),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",  # the task logs this test reads
        "ANCHOR_TASK_RETRIES": "0",  # a failure shows at once instead of after back-off
        "ANCHOR_INGEST_BATCHES": "1",  # two cores: one Great Expectations import, not two at once
        "ANCHOR_SETTLE_SECONDS": "2",
    }
    running = Stack(home, env)
    running.cli("db", "migrate")
    try:
        yield running
    finally:
        killed = running.stop()
        assert not killed, f"processes left running after SIGTERM: {killed}"
        assert running.ours() == []


def _wait(what: str, check: Callable[[], Any], stack: Stack, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                pytest.fail(
                    f"airflow {name} exited ({process.returncode}) while waiting for {what}\n{stack.logs()}"
                )
        value = check()
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}\n{stack.logs()}")


def test_dropped_files_are_answered_loaded_and_reported_without_a_manual_trigger(
    stack: Stack, tmp_path: Path, pg_database: str, mailbox
) -> None:  # type: ignore[no-untyped-def]
    from pipeline.network import open_network
    from pipeline.steps.kpis import read_kpis
    from pipeline.steps.report_issue import issued

    config = enable_email(write_config(tmp_path, pg_database), engineers=[ENGINEER])
    stack.env["ANCHOR_CONFIG"] = str(config)
    network = open_network(config)
    # The warehouse is migrated before the stack starts, as the deployment's init step does: tasks of
    # several DAGs opening an empty warehouse at once race on its migrations (issue 14, item 4).
    network.engine.dispose()
    metadata = create_engine(stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])

    started = time.monotonic()
    stack.start("api-server", "api-server")
    stack.start("scheduler", "scheduler")
    stack.start("dag-processor", "dag-processor")
    api = f"http://127.0.0.1:{stack.env['AIRFLOW__API__PORT']}"
    health = f"http://127.0.0.1:{stack.env['AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT']}/health"

    def parsed() -> set[str]:
        with metadata.connect() as conn:
            return set(conn.execute(text("select dag_id from dag where is_stale is false")).scalars())

    dag_ids = {"anchor_ingest", "anchor_kpis", "anchor_report", "anchor_chasers"}
    _wait("the DAG processor to store the DAGs", lambda: parsed() >= dag_ids, stack, 120)
    _wait("the scheduler's health endpoint", lambda: _get(health) == 200, stack, 60)
    _wait("the API server", lambda: _get(f"{api}/api/v2/monitor/health") == 200, stack, 120)

    # Members' returns for a due quarter (spend, workforce, measures...) and one poison file.
    # Two members' returns are enough to show every step; fewer files keep the test short on two cores.
    manifest = generate_sample(network.cfg, periods=(PERIOD,), lines_per_file=30)
    members = sorted({f.member_id for f in manifest.files if f.return_type == "workforce"})[:2]
    for sample in manifest.files:
        if sample.member_id not in members:
            network.bucket.remove(sample.path)
    dropped = {f.path for f in manifest.files if f.member_id in members}
    assert {f.return_type for f in manifest.files if f.path in dropped} >= {"spend", "workforce"}
    network.bucket.write(POISON, b"PK\x03\x04 this is not a workbook")
    dropped.add(POISON)

    stack.cli("dags", "unpause", "--treat-dag-id-as-regex", "^anchor_", "-y")
    unpaused = time.monotonic()
    _wait(
        "the ingest run to take the files", lambda: not network.bucket.list_files("incoming"), stack, DEADLINE
    )
    ingested = time.monotonic()

    def report_issued() -> list[dict[str, Any]]:
        try:
            return [r for r in issued(network, PERIOD) if r["email_status"] == "sent"]
        except Exception:  # the warehouse may not be migrated yet
            return []

    [record] = _wait("the issued report", report_issued, stack, DEADLINE)
    elapsed = time.monotonic() - unpaused

    # Every file was answered and left incoming/; the poison file was quarantined with an answer.
    audit = {f"incoming/{s['member_id']}/{s['file_name']}": s for s in stored_submissions(network)}
    assert set(audit) == dropped, dropped ^ set(audit)
    assert audit[POISON]["status"] == "quarantined"
    taken = {(s["return_type"], s["status"]) for p, s in audit.items() if p != POISON}
    assert {("spend", "accepted"), ("workforce", "accepted")} <= taken, taken
    assert network.bucket.list_files("incoming") == []
    assert all(s["feedback_path"] and network.bucket.exists(s["feedback_path"]) for s in audit.values())

    # Facts (workforce pseudonymised with the key from the environment) and KPIs, for the quarter.
    count, total = spend_facts_total(network)
    assert count > 0 and total > 0
    kpis = read_kpis(network, PERIOD)
    codes = set(kpis["kpi"])
    assert {"spend_total", "lw_paid_pct"} <= codes, sorted(codes)

    # The report, e-mailed to City Hall once; the engineers were told about the poison file.
    assert record["period"] == PERIOD
    assert len(mailbox.to(CITY_HALL)) == 1
    assert not [m["Subject"] for m in mailbox.to(ENGINEER) if "run failed" in m["Subject"]]

    # Nothing was triggered by hand: the scheduler made every run.
    with metadata.connect() as conn:
        runs = conn.execute(text("select dag_id, run_type, state from dag_run")).all()
    assert not [r for r in runs if r.run_type not in ("scheduled", "asset_triggered")], runs
    assert {("anchor_kpis", "asset_triggered"), ("anchor_report", "asset_triggered")} <= {
        (r.dag_id, r.run_type) for r in runs
    }, runs
    assert not [r for r in runs if r.state == "failed"], runs

    # Quiet task logs: no INFO from Great Expectations or Alembic in the ingest tasks' logs (JSON lines).
    records = []
    for path in (stack.home / "logs").glob("dag_id=anchor_ingest/**/*.log"):
        for line in path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
    assert any(r.get("logger", "").startswith("pipeline.steps.ingest") for r in records), "no ingest log"
    noisy = [
        r
        for r in records
        if r.get("logger", "").startswith(QUIET_LOGGERS)
        and r.get("level") not in ("warning", "error", "critical")
    ]
    assert not noisy, noisy[:3]
    print(
        f"stack up in {unpaused - started:.0f} s; files taken {ingested - unpaused:.0f} s "
        f"and the report issued {elapsed:.0f} s after unpausing"
    )

"""Migrating is an explicit step: ``anchor db upgrade`` under a lock; everything else checks the revision.

Four task processes opening an empty warehouse together used to race on ``CREATE TABLE`` (three of four
failed under a real scheduler); now they would be refused, and the upgrades themselves wait for each other.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from warehouse.db import (
    WarehouseNotReady,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    table_names,
    warehouse_engine,
)

PROCESSES = 4


def _upgrade_when_told(url: str, start, results) -> None:  # type: ignore[no-untyped-def]
    """One process's `anchor db upgrade`, started at the same moment as the others."""
    from warehouse.db import upgrade

    start.wait(60)
    try:
        results.put(("ok", upgrade(url)))
    except Exception as exc:  # reported to the test, which fails on it
        results.put(("error", f"{exc.__class__.__name__}: {exc}"))


def _upgrade_together(url: str) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_upgrade_when_told, args=(url, start, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = [results.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(60)
    return outcomes


def test_processes_upgrading_an_empty_warehouse_at_once_all_succeed(warehouse_url: str) -> None:
    outcomes = _upgrade_together(warehouse_url)
    assert outcomes == [("ok", head_revision())] * PROCESSES
    engine = make_engine(warehouse_url)
    try:
        assert current_revision(engine) == head_revision()
        assert {"submissions", "fact_spend", "kpi_value"} <= set(table_names(engine))
    finally:
        engine.dispose()


def test_an_empty_warehouse_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    with pytest.raises(WarehouseNotReady, match=r"no schema yet: run `anchor db upgrade`"):
        warehouse_engine(url)
    assert table_names(make_engine(url)) == []  # checking created nothing


def test_a_warehouse_behind_is_refused_and_left_as_it_was(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    with engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    with pytest.raises(
        WarehouseNotReady, match=rf"at revision 0005\w*, behind {head_revision()}: run `anchor db upgrade`"
    ):
        warehouse_engine(warehouse_url)
    assert (current_revision(engine) or "").startswith("0005")
    engine.dispose()


def test_the_network_refuses_a_warehouse_behind_and_upgrades_only_when_told(
    make_network, tmp_path: Path
) -> None:
    from pipeline.network import open_network
    from tests.conftest import write_config

    path = write_config(tmp_path)  # the fixture upgrades, as a deployment's init would
    network = open_network(path)
    assert current_revision(network.engine) == head_revision()
    stale = f"sqlite:///{tmp_path}/stale.db"
    other = open_network(path)
    other.__dict__["warehouse_url"] = stale
    with pytest.raises(WarehouseNotReady, match="anchor db upgrade"):
        _ = other.engine
    assert other.upgrade_warehouse() == head_revision()
    warehouse_engine.cache_clear()
    assert current_revision(other.engine) == head_revision()


def _anchor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli.app", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_anchor_db_upgrade_then_preflight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The init service's two commands: preflight fails on a warehouse behind and on a missing key."""
    import os

    from tests.conftest import EXAMPLE_CONFIG

    config = tmp_path / "london.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
            'data_dir = "var/london"', f'data_dir = "{tmp_path / "data"}"', 1
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "ANCHOR_CONFIG": str(config), "COLUMNS": "200"}
    before = _anchor("preflight", env=env)
    assert before.returncode == 1
    assert "run `anchor db upgrade`" in before.stdout + before.stderr
    assert _anchor("db", "current", env=env).returncode == 1
    # Any other command on a warehouse that is behind: one line saying what to run, no traceback.
    refused = _anchor("kpis", "--period", "2025-26-Q1", env=env)
    assert refused.returncode == 1
    assert "run `anchor db upgrade`" in refused.stderr and "Traceback" not in refused.stderr

    upgraded = _anchor("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert head_revision() in upgraded.stdout
    assert _anchor("db", "current", env=env).returncode == 0
    passed = _anchor("preflight", env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "from ANCHOR_PSEUDONYM_KEY" in passed.stdout
    assert env["ANCHOR_PSEUDONYM_KEY"] not in passed.stdout + passed.stderr

    no_key = {k: v for k, v in env.items() if k != "ANCHOR_PSEUDONYM_KEY"}
    failed = _anchor("preflight", env=no_key)
    assert failed.returncode == 1
    assert "No pseudonymisation key" in failed.stdout
    assert "preflight failed: pseudonymisation key" in failed.stderr

"""``anchor demo``: a fresh sample network taken through the real Airflow DAGs, ending in a report on disk.

The DAGs run with ``airflow dags test`` (the Airflow CLI, in-process executor) against an embedded
SQLite metadata DB under ``var/airflow``, so the demo needs no scheduler or web server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from pipeline.adapters.bucket import Store
from pipeline.adapters.secrets import create_key_file
from pipeline.config import NetworkConfig
from pipeline.orchestration import airflow_environment
from warehouse.db import upgrade

SAMPLE_MARKER = ".anchor-sample"
# One member's latest return arrives without its amount column, so the demo shows a file being held back
# with feedback, as well as files being accepted.
PROBLEM_FILE = (
    "incoming/hearthstone-bs/spend_{period}.csv",
    "Payment Date,Supplier Name,Supplier Size\n14/08/2026,Brightwater Cleaning Ltd,Small\n",
)


def _fresh_data_dir(cfg: NetworkConfig) -> None:
    """Clear the network's data folder, but only if it holds sample data (never a real network's)."""
    data_dir = Path(cfg.data_dir)
    if "://" in cfg.bucket_url or cfg.storage.warehouse_url or os.environ.get("ANCHOR_WAREHOUSE_URL"):
        raise RuntimeError(
            "the demo only runs on a local sample network; this config points at real storage. "
            "Run it with the example config (drop --config/ANCHOR_CONFIG)."
        )
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / SAMPLE_MARKER).exists():
        raise RuntimeError(
            f"{data_dir} holds data that the demo did not create; refusing to replace it. "
            "Point storage.data_dir at an empty folder for the demo."
        )
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    (data_dir / SAMPLE_MARKER).write_text("created by `anchor demo`; safe to delete\n")


def run_airflow(args: list[str], env: dict[str, str], log_file: Path) -> None:
    """One ``airflow`` CLI command in a subprocess, its output appended to ``log_file``."""
    airflow = Path(sys.executable).with_name("airflow")
    with log_file.open("a") as log:
        log.write(f"\n$ airflow {' '.join(args)}\n")
        log.flush()
        completed = subprocess.run(
            [str(airflow), *args], env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if completed.returncode != 0:
        raise RuntimeError(f"`airflow {' '.join(args)}` failed (exit {completed.returncode}); see {log_file}")


def run_demo(cfg: NetworkConfig, seed: int = 2025, console: Console | None = None) -> str:
    from samples.network import generate_sample

    console = console or Console(stderr=True)
    started = time.monotonic()
    _fresh_data_dir(cfg)
    create_key_file(
        cfg.pseudonym_key_file
    )  # the pseudonymisation key for workforce returns (git-ignored, under var/)
    manifest = generate_sample(cfg, seed=seed)
    latest = max(f.period for f in manifest.files)
    problem_path, problem_content = PROBLEM_FILE
    Store(cfg.bucket_url).write(problem_path.format(period=latest), problem_content.encode())
    console.print(f"[green]✓[/] Sample network: {len(manifest.files)} member returns in {cfg.bucket_url}")
    # Migrating is an explicit step (as `anchor db upgrade` in a deployment): tasks only check the revision.
    revision = upgrade(cfg.warehouse_url)
    console.print(f"[green]✓[/] Warehouse at revision {revision}")

    home = Path(cfg.data_dir) / "airflow"
    env = {**os.environ, **airflow_environment(home)}
    env["ANCHOR_CONFIG"] = str(cfg.source_path)
    env["ANCHOR_SETTLE_SECONDS"] = "0"  # the demo wrote every file itself, so none is still arriving
    log_file = Path(cfg.data_dir) / "airflow-demo.log"
    steps = [
        ("Airflow metadata DB ready", ["db", "migrate"]),
        ("anchor_ingest: files checked, staged and loaded", ["dags", "test", "anchor_ingest"]),
        ("anchor_kpis: KPIs computed", ["dags", "test", "anchor_kpis"]),
    ]
    steps.append(
        (
            f"anchor_report: {latest} report rendered",
            ["dags", "test", "anchor_report", "--conf", json.dumps({"period": latest})],
        )
    )
    for label, args in steps:
        with console.status(f"{label.split(':')[0]}..."):
            run_airflow(args, env, log_file)
        console.print(f"[green]✓[/] {label}")
    report = Path(cfg.outbox_dir) / f"{cfg.id}-report-{latest}.html"
    if not report.exists():
        raise RuntimeError(f"the report DAG ran but {report} was not written; see {log_file}")
    console.print(
        f"Done in {time.monotonic() - started:.0f} s. Airflow log: {log_file}. "
        f"Feedback for members (one file was held back on purpose): {cfg.bucket_url}/feedback/"
    )
    return str(report)

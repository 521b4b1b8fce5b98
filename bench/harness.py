"""Run the whole pipeline on one backend in a fresh process, and check what it did against what the
synthetic network planted (every row accounted for, the bad rows rejected, the network total)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from samples.synthetic import Network

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("ANCHOR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _fresh_pg_database() -> str:
    import psycopg

    name = f"anchor_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_SERVER.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_SERVER.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy_bucket(network: Network, bucket: Path) -> None:
    """Hard links: free, and the pipeline only ever removes files from incoming/."""
    shutil.copytree(network.pristine, bucket, copy_function=os.link, dirs_exist_ok=True)


def run_pipeline(network: Network, backend: str, workers: int, work: Path) -> dict[str, Any]:
    data_dir = work / f"run-{backend}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    _copy_bucket(network, data_dir / "bucket")
    url = f"sqlite:///{data_dir}/warehouse.db" if backend == "sqlite" else _fresh_pg_database()
    spec = {
        "config": network.config,
        "warehouse_url": url,
        "workers": workers,
        "out": str(data_dir / "result.json"),
        "env": {
            "ANCHOR_WAREHOUSE_URL": url,
            "ANCHOR_BUCKET_URL": str(data_dir / "bucket"),
            "ANCHOR_LAKE_URL": str(data_dir / "lake"),
            "ANCHOR_SETTLE_SECONDS": "0",
            "ANCHOR_PSEUDONYM_KEY": "bench-pseudonym-key-not-a-secret",
        },
    }
    (data_dir / "spec.json").write_text(json.dumps(spec))
    try:
        subprocess.run(
            [sys.executable, "-m", "bench.pipeline_run", str(data_dir / "spec.json")], cwd=ROOT, check=True
        )
        result = json.loads((data_dir / "result.json").read_text())
    finally:
        if backend != "sqlite":
            _drop_pg_database(url)
    _check(network, result)
    return result


def _check(network: Network, result: dict[str, Any]) -> None:
    """Every row accounted for, the planted bad rows rejected, and the network total as generated."""
    outcomes = {(o["member_id"], o["return_type"]): o for o in result["outcomes"]}
    assert len(outcomes) == len(result["outcomes"]) == len(network.files)
    for f in network.files:
        o = outcomes[(f.member_id, f.return_type)]
        assert o["status"] == "accepted", o
        # The synthetic files hold no totals rows, so nothing is set aside.
        assert o["rows_read"] == f.rows == o["rows_loaded"] + o["rows_rejected"] + o["rows_set_aside"], (o, f)
        assert o["rows_set_aside"] == 0, (o, f)
        assert o["rows_rejected"] == f.bad_rows, (o, f)
    expected = sum(f.direct_total_pence for f in network.files) / 100
    assert abs(result["network_spend_total"] - expected) < 0.01 * max(1, len(network.files)), (
        result["network_spend_total"],
        expected,
    )

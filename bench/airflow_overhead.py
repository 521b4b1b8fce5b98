"""What Airflow adds per file, beyond the pipeline's own work: ``python -m bench.run --airflow-only``.

1. A realistic quarter (50 members x every return type, modest files) is run once straight through the
   pipeline (``bench.pipeline_run``, one process) and once through Airflow itself (``airflow dags test
   anchor_ingest``, embedded SQLite metadata DB, tasks in the test process). The difference per file is
   the in-process orchestration cost: task-instance bookkeeping, XCom, mapped-task expansion.
2. ``airflow dags test`` runs every task in one process, so it pays the imports once. A real executor
   (LocalExecutor, Celery) starts each task in a fresh process, which imports the task SDK, parses the
   DAG file, imports pandas/pyarrow/SQLAlchemy and builds the GX context before its first row. That
   start-up is measured directly, three times, with the peak memory of such a process.

Per-file overhead with one task per file = (1) + (2); with batches of k files per task = (1) + (2) / k.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import run_pipeline
from samples.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent

_STARTUP = """
import resource, time, sys
t0 = time.perf_counter()
import airflow.sdk  # what the task runner has before the task's own code
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert "anchor_ingest" in bag.dags
t_dag = time.perf_counter()
import pipeline.steps.ingest  # pandas, pyarrow, SQLAlchemy, the pipeline
t_pipeline = time.perf_counter()
from pipeline.steps.validation import warm_up
warm_up()
t_gx = time.perf_counter()
print(t_dag - t0, t_pipeline - t_dag, t_gx - t_pipeline, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _child_maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def measure(work: Path, members: int = 50, lines: int = 2_000, staff: int = 500) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    network = generate(work / "network", members, lines, staff)
    files = len(network.files)
    rows = network.spend_rows + network.staff_rows
    print(
        f"\nAirflow overhead: a quarter of {members} members x {len({f.return_type for f in network.files})} "
        f"return types = {files} files, {rows:,} rows"
    )

    # (1a) the pipeline alone, one process, one file at a time
    direct = run_pipeline(network, "sqlite", 1, work)
    pipeline_files_s = sum(s for _, stage, s in direct["times"] if stage == "file")
    pipeline_ingest_s = direct["ingest_s"]

    # (1b) the same files through Airflow
    home = work / "airflow-home"
    data_dir = work / "run-airflow"
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(network.pristine, data_dir / "bucket", copy_function=os.link)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "ANCHOR_CONFIG": network.config,
        "ANCHOR_WAREHOUSE_URL": f"sqlite:///{data_dir}/warehouse.db",
        "ANCHOR_BUCKET_URL": str(data_dir / "bucket"),
        "ANCHOR_LAKE_URL": str(data_dir / "lake"),
        "ANCHOR_SETTLE_SECONDS": "0",
        "ANCHOR_PSEUDONYM_KEY": "bench-pseudonym-key-not-a-secret",
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    log = (work / "airflow.log").open("w")
    subprocess.run([airflow, "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    # The warehouse is migrated explicitly, as `anchor db upgrade` does in a deployment: tasks only check it.
    from warehouse.db import upgrade

    upgrade(env["ANCHOR_WAREHOUSE_URL"])
    before = _child_maxrss()
    started = time.perf_counter()
    subprocess.run(
        [airflow, "dags", "test", "anchor_ingest"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True
    )
    airflow_s = time.perf_counter() - started
    airflow_rss = max(_child_maxrss(), before)
    with sqlite3.connect(home / "airflow.db") as db:
        tasks = db.execute(
            "SELECT task_id, count(*), sum(duration), min(start_date), max(end_date), "
            "sum(CASE WHEN state = 'success' THEN 1 ELSE 0 END) FROM task_instance "
            "WHERE dag_id = 'anchor_ingest' GROUP BY task_id"
        ).fetchall()
    by_task = {t[0]: {"count": t[1], "seconds": t[2], "success": t[5]} for t in tasks}
    mapped = by_task.get("ingest_batch", {"count": 0, "seconds": 0.0, "success": 0})
    assert mapped["count"] == files and mapped["success"] == files, by_task

    # (2) a fresh task process: imports, DAG parse, GX context
    startups = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", _STARTUP, str(ROOT / "dags")],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        startups.append([float(x) for x in out])
    dag_s = min(s[0] for s in startups)
    libs_s = min(s[1] for s in startups)
    gx_s = min(s[2] for s in startups)
    startup_rss = max(s[3] for s in startups)
    process_s = dag_s + libs_s + gx_s

    in_process = (airflow_s - pipeline_ingest_s) / files
    task_minus_work = (mapped["seconds"] - pipeline_files_s) / files
    result = {
        "files": files,
        "rows": rows,
        "pipeline_ingest_s": pipeline_ingest_s,
        "pipeline_per_file_s": pipeline_files_s / files,
        "airflow_dags_test_s": airflow_s,
        "airflow_mapped_task_s_per_file": mapped["seconds"] / files,
        "in_process_overhead_s_per_file": in_process,
        "task_bookkeeping_s_per_file": task_minus_work,
        "task_process_startup_s": {"dag_parse": dag_s, "pandas_pyarrow_pipeline": libs_s, "gx": gx_s},
        "task_process_startup_rss": startup_rss,
        "airflow_process_peak_rss": airflow_rss,
        "tasks": by_task,
    }
    mb = 2**20
    print(
        f"  pipeline alone: {pipeline_ingest_s:.1f} s ({pipeline_files_s / files:.2f} s of work per file)\n"
        f"  through Airflow (dags test, one process): {airflow_s:.1f} s; mapped task {mapped['seconds'] / files:.2f} s "
        f"per file\n"
        f"  in-process orchestration overhead: {in_process:.2f} s per file (run total), "
        f"{task_minus_work:.2f} s per file inside the task\n"
        f"  fresh task process start-up (paid per task by Local/Celery executors): {process_s:.1f} s = "
        f"DAG parse + task SDK {dag_s:.1f} s + pandas/pyarrow/pipeline {libs_s:.1f} s + GX context {gx_s:.1f} s; "
        f"{startup_rss / mb:,.0f} MB before the first row\n"
        f"  peak memory of the dags test process: {airflow_rss / mb:,.0f} MB\n"
        f"  => per file beyond the pipeline work: one task per file {in_process + process_s:.1f} s; "
        f"batches of 10 files {in_process + process_s / 10:.2f} s; batches of 25 {in_process + process_s / 25:.2f} s"
    )
    (work / "airflow.json").write_text(json.dumps(result, indent=1))
    return result

"""One pipeline run over a generated network, timed by stage: ``python -m bench.pipeline_run SPEC.json``.

Runs in its own process (the runner starts one per scale and backend) so its peak memory is its own.
It calls the pipeline exactly as the CLI and the DAG do (``refresh_reference_data``, ``scan_incoming``,
``process_file`` per file, ``compute_kpis``), in ``workers`` forked processes sharing the files the way
Airflow's parallel mapped tasks would. Stages are measured by wrapping the pipeline's own functions:

- parse: ``read_return`` (bytes to raw cells),
- validate: ``check_table`` (typing, the GX suite, the rejection rules),
- stage: building the fact table and writing it to the Parquet lake,
- load: ``record_submission`` (one warehouse transaction: audit row, facts, supersession),
- other: the rest of ``process_file`` (hashing, archive copy, feedback files, clearing incoming/),
- kpis: ``compute_kpis`` once at the end.

Each stage's CPU seconds (this process's, not the database server's) are kept beside its seconds: on a
shared machine they move far less from run to run than wall time does.

Memory: the peak RSS of each process (``ru_maxrss``) and, per stage, the highest RSS a 10 ms sampler saw.

The cycle collector: the number and seconds of CPython's collections in each process, by generation. A
full collection walks every object of the process (a task holds about 400,000 of the libraries' own),
so a stage that makes many objects at once can pay a third of a second for each one it sets off.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import resource
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_STAGE = ["other"]
_TIMES: dict[tuple[str, str], float] = defaultdict(float)  # (return type, stage) -> seconds
_PEAKS: dict[str, int] = defaultdict(int)  # stage -> highest RSS seen (bytes)
_RETURN_TYPE = ["-"]
_PAGE = os.sysconf("SC_PAGE_SIZE")
_COLLECTIONS: dict[str, list[float]] = {}  # generation -> [collections, seconds]
_COLLECTION_STARTED = [0.0]


def _count_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _COLLECTION_STARTED[0] = time.perf_counter()
        return
    counted = _COLLECTIONS.setdefault(str(info["generation"]), [0, 0.0])
    counted[0] += 1
    counted[1] += time.perf_counter() - _COLLECTION_STARTED[0]


def _count_collections() -> None:
    _COLLECTIONS.clear()
    if _count_collection not in gc.callbacks:
        gc.callbacks.append(_count_collection)


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _sampler() -> None:
    while True:
        rss = _rss()
        stage = _STAGE[0]
        if rss > _PEAKS[stage]:
            _PEAKS[stage] = rss
        time.sleep(0.01)


@contextmanager
def _stage(name: str):  # type: ignore[no-untyped-def]
    outer = _STAGE[0]
    _STAGE[0] = name
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu
        _TIMES[(_RETURN_TYPE[0], name)] += elapsed
        _TIMES[(_RETURN_TYPE[0], f"{name}.cpu")] += cpu_elapsed
        if outer != "other":  # nested stage: do not count the time twice
            _TIMES[(_RETURN_TYPE[0], outer)] -= elapsed
            _TIMES[(_RETURN_TYPE[0], f"{outer}.cpu")] -= cpu_elapsed
        _STAGE[0] = outer


def _wrap(module: Any, name: str, stage: str) -> None:
    original = getattr(module, name, None)
    if original is None:
        return

    def timed(*args: Any, **kwargs: Any) -> Any:
        with _stage(stage):
            return original(*args, **kwargs)

    setattr(module, name, timed)


def instrument() -> None:
    import pipeline.adapters.bucket as storage
    import pipeline.steps.checking as checking
    import pipeline.steps.ingest as ingest
    import pipeline.steps.kpis as kpis

    _wrap(checking, "read_return", "parse")
    _wrap(checking, "check_table", "validate")
    _wrap(ingest, "build_facts", "stage")
    _wrap(ingest, "spend_facts", "stage")
    _wrap(storage.Store, "write_parquet", "stage")
    _wrap(ingest, "record_submission", "load")
    _wrap(kpis, "compute_kpis", "kpis")
    threading.Thread(target=_sampler, daemon=True).start()


# -- worker processes ------------------------------------------------------------------------------
_NETWORK: Any = None


def _worker_init(config: str) -> None:
    global _NETWORK
    from pipeline.network import open_network
    from warehouse.db import warehouse_engine

    # Connections inherited through fork belong to the parent: drop them without closing them.
    for engine in _inherited_engines():
        engine.dispose(close=False)
    warehouse_engine.cache_clear()
    _TIMES.clear()
    _PEAKS.clear()
    _count_collections()
    threading.Thread(target=_sampler, daemon=True).start()  # threads do not survive fork
    _NETWORK = open_network(config)
    # The parent has migrated the warehouse and synced the members; a worker only needs an engine.
    # (Network.engine re-syncs the members table, delete-then-insert, which two processes starting at
    # the same moment on PostgreSQL can race on: a duplicate-key error in one of them.)
    _NETWORK.__dict__["engine"] = warehouse_engine(os.environ["BENCH_WAREHOUSE_URL"])


def _inherited_engines() -> list[Any]:
    from warehouse.db import warehouse_engine

    info = warehouse_engine.cache_info()
    if not info.currsize:
        return []
    # functools.cache keeps no public view of its values; the parent passes its engine's URL instead.
    return [warehouse_engine(os.environ["BENCH_WAREHOUSE_URL"])]


def _process(incoming: dict[str, Any]) -> dict[str, Any]:
    from pipeline.steps.ingest import process_file

    name = incoming["file_name"]
    _RETURN_TYPE[0] = name.split("_", 1)[0]
    started = time.perf_counter()
    cpu = time.process_time()
    outcome = process_file(_NETWORK, incoming)
    _TIMES[(_RETURN_TYPE[0], "file")] += time.perf_counter() - started
    _TIMES[(_RETURN_TYPE[0], "cpu")] += time.process_time() - cpu
    _RETURN_TYPE[0] = "-"
    return outcome


def _report(_: int) -> dict[str, Any]:
    return {
        "times": [[rt, stage, seconds] for (rt, stage), seconds in _TIMES.items()],
        "peaks": dict(_PEAKS),
        "collections": {generation: list(counted) for generation, counted in _COLLECTIONS.items()},
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "server_cpu": _server_cpu(),
    }


def _server_cpu() -> dict[int, float]:
    """CPU seconds so far of each server process connected to the bench's database (PostgreSQL only).

    Read while the processes' connections are still open: a worker's pooled connections, and so their
    server processes, live until the worker ends.
    """
    url = os.environ.get("BENCH_WAREHOUSE_URL", "")
    if not url.startswith("postgresql"):
        return {}
    from sqlalchemy import text

    from bench.server_cpu import backends_cpu
    from warehouse.db import warehouse_engine

    with warehouse_engine(url).connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'"
            )
        ).scalars()
        return backends_cpu(pids)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    os.environ.update(spec.get("env", {}))
    os.environ["BENCH_WAREHOUSE_URL"] = spec["warehouse_url"]
    instrument()
    from pipeline.network import open_network
    from pipeline.steps.ingest import scan_incoming
    from pipeline.steps.kpis import compute_kpis
    from pipeline.steps.reference_data import refresh_reference_data

    result: dict[str, Any] = {"loadavg_before": os.getloadavg()}
    t0 = time.perf_counter()
    network = open_network(spec["config"])
    with _stage("setup"):
        network.upgrade_warehouse()  # `anchor db upgrade`, before the clock for files starts
        network.engine  # noqa: B018 - the engine (revision checked) before the clock for files starts
        # A task runs with Airflow imported, its task runner included; here the first workforce file of
        # each worker would pay the import (over a second) when it asks Airflow for the pseudonym key's
        # Variable, and the full pass of the cycle collector the import sets off (0.3-0.5 s).
        import airflow.sdk  # noqa: F401

        from pipeline.adapters.airflow import variable

        variable("anchor_bench_warm_up")  # imports the task runner's side of Variable.get

        from pipeline.steps.validation import warm_up

        warm_up()  # GX import and context: paid once per process, reported apart from the per-file work
    result["setup_s"] = time.perf_counter() - t0

    server_before = _server_cpu()
    _count_collections()  # from here on: the files and the KPIs, not the imports and the setup
    t_ingest, cpu_main = time.perf_counter(), time.process_time()
    with _stage("scan"):
        refresh_reference_data(network)
        files = scan_incoming(network)
    workers = spec.get("workers", 1)
    # Biggest first, so the last file a worker takes is a small one.
    files.sort(key=lambda f: -f["size"])
    if workers > 1:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, _worker_init, (spec["config"],), maxtasksperchild=None) as pool:
            outcomes = pool.map(_process, files, chunksize=1)
            reports = pool.map(_report, range(workers), chunksize=1)
    else:
        global _NETWORK
        _NETWORK = network
        outcomes = [_process(f) for f in files]
        reports = []
    result["ingest_s"] = time.perf_counter() - t_ingest
    t_kpis = time.perf_counter()
    kpis = compute_kpis(network)
    result["kpis_s"] = time.perf_counter() - t_kpis
    result["total_s"] = time.perf_counter() - t_ingest
    result["loadavg_after"] = os.getloadavg()
    result["main_cpu_s"] = time.process_time() - cpu_main

    own = _report(0)
    times: dict[tuple[str, str], float] = defaultdict(float)
    peaks: dict[str, int] = defaultdict(int)
    for report in [own, *reports]:
        for rt, stage, seconds in report["times"]:
            times[(rt, stage)] += seconds
        for stage, peak in report["peaks"].items():
            peaks[stage] = max(peaks[stage], peak)
    result["times"] = [[rt, stage, seconds] for (rt, stage), seconds in sorted(times.items())]
    result["peaks"] = dict(peaks)
    collections: dict[str, list[float]] = {}
    for report in [own, *reports]:
        for generation, (count, seconds) in report["collections"].items():
            summed = collections.setdefault(generation, [0, 0.0])
            summed[0] += count
            summed[1] += seconds
    result["collections"] = collections
    server: dict[int, float] = {}
    for report in [own, *reports]:
        for pid, cpu in report["server_cpu"].items():
            server[int(pid)] = max(server.get(int(pid), 0.0), cpu)
    result["server_cpu_s"] = sum(cpu - server_before.get(pid, 0.0) for pid, cpu in server.items())
    result["maxrss_main"] = own["maxrss"]
    result["maxrss_workers"] = [r["maxrss"] for r in reports]
    result["outcomes"] = outcomes
    result["kpi_values"] = kpis.get("kpi_values")

    from sqlalchemy import func, select, text

    from warehouse.schema import kpi_value

    with network.engine.connect() as conn:
        result["network_spend_total"] = conn.execute(
            select(kpi_value.c.value).where(
                (kpi_value.c.kpi == "spend_total") & (kpi_value.c.scope == "network")
            )
        ).scalar()
        result["fact_spend_rows"] = conn.execute(text("select count(*) from fact_spend")).scalar()
        result["submissions"] = conn.execute(select(func.count()).select_from(text("submissions"))).scalar()
    Path(spec["out"]).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1])

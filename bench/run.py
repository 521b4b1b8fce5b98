"""anchor-pipeline benchmark: ``.venv/bin/python -m bench.run [options]`` (not a test; see bench/README.md).

For each scale (default 1x, 2x and 4x of the base: 50 members x 25,000 spend lines + 1,000 staff, sized so
the default run stays near 15 minutes on a 2-core machine; ``--lines 250000 --staff 10000 --scale 1`` is the
design scale of the original brief) it generates a synthetic network, measures the
I/O floor on its files, runs the whole pipeline on each backend in a fresh process, checks the accounting
and the network total against what was generated, and prints per stage: seconds, rows/s, peak memory,
and the ratio to the floor. ``--airflow`` also runs a realistic quarter through Airflow itself and
reports the orchestration overhead per file (``bench/airflow_overhead.py``).

Data goes under ``var/bench/`` (git-ignored) and is deleted after each scale unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import floor
from bench.harness import PG_SERVER, ROOT, run_pipeline
from samples.synthetic import Network, generate

STAGES = ("parse", "validate", "stage", "load", "other")


def _mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def _floor(paths: list[Path], when: str) -> dict[str, Any]:
    fl = floor.measure(paths, PG_SERVER)
    print(
        f"  floor ({when}): read {fl['read']:.1f} s + parquet {fl['parquet']:.1f} s + COPY {fl['copy']:.1f} s = "
        f"{fl['total']:.1f} s ({fl['rows'] / fl['total']:,.0f} rows/s; read+parquet "
        f"{fl['rows'] / (fl['read'] + fl['parquet']):,.0f} rows/s, COPY {fl['rows'] / fl['copy']:,.0f} rows/s)"
    )
    return fl


# Floors before and after one backend's run further apart than this: the machine's speed moved under it.
DRIFT_WARNING = 1.2


def bracketed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The floor a backend's run is compared with: the mean of the floors measured just before and just
    after it. On a shared VM the speed drifts over minutes; one floor at the start made the same code
    read x2.09 in one run and x4.55 in the next (bench/README.md, 1 December 2026). ``drift`` says how
    far apart the two were, i.e. how much the ratio can be trusted."""
    mean = {
        k: (before[k] + after[k]) / 2
        for k in ("total", "client_cpu", "server_cpu")
        if k in before and k in after
    }
    slower, faster = max(before["total"], after["total"]), min(before["total"], after["total"])
    return {
        **mean,
        "rows": before["rows"],
        "drift": slower / faster,
        "before": before["total"],
        "after": after["total"],
    }


def summarise(
    label: str, network: Network, result: dict[str, Any], floor_run: dict[str, Any]
) -> dict[str, Any]:
    floor_s = floor_run["total"]
    times: dict[tuple[str, str], float] = {(rt, st): s for rt, st, s in result["times"]}
    rows = {"spend": network.spend_rows, "workforce": network.staff_rows}
    lines = []
    summary: dict[str, Any] = {"label": label, "stages": {}}
    for rt in ("spend", "workforce"):
        if not rows[rt]:
            continue
        file_s = times.get((rt, "file"), 0.0)
        parts = {st: times.get((rt, st), 0.0) for st in STAGES[:-1]}
        parts["other"] = file_s - sum(parts.values())
        cpu = {st: times.get((rt, f"{st}.cpu"), 0.0) for st in STAGES[:-1]}
        cpu["other"] = times.get((rt, "cpu"), 0.0) - sum(cpu.values())
        for st, seconds in parts.items():
            rate = rows[rt] / seconds if seconds > 0 else float("inf")
            lines.append(
                f"    {rt:9s} {st:9s} {seconds:8.1f} s  {rate:>12,.0f} rows/s  (CPU {cpu[st]:.1f} s)"
            )
            summary["stages"][f"{rt}.{st}"] = seconds
            summary["stages"][f"{rt}.{st}.cpu"] = cpu[st]
        files = sum(1 for f in network.files if f.return_type == rt)
        cpu_s = times.get((rt, "cpu"), 0.0)
        lines.append(
            f"    {rt:9s} {'per file':9s} {file_s:8.1f} s  {rows[rt] / file_s:>12,.0f} rows/s  "
            f"(CPU {cpu_s:.1f} s; worker-seconds, summed over workers; "
            f"each of the {files} files {file_s / files:.3f} s, CPU {cpu_s / files:.3f} s)"
        )
        summary["stages"][f"{rt}.files"] = files
        summary["stages"][f"{rt}.cpu"] = cpu_s
    kpis = result["kpis_s"]
    lines.append(f"    {'kpis':9s} {'':9s} {kpis:8.1f} s")
    total_rows = rows["spend"] + rows["workforce"]
    wall = result["total_s"]
    ingest = result["ingest_s"]
    peaks = result["peaks"]
    biggest = max(f.size for f in network.files)
    period = sum(f.size for f in network.files)
    summary.update(
        wall_s=wall,
        ingest_s=ingest,
        kpis_s=kpis,
        rows=total_rows,
        spend_rows=rows["spend"],
        rows_per_s=total_rows / wall,
        ingest_rows_per_s=total_rows / ingest,
        floor_ratio=wall / floor_s,
        floor_drift=floor_run.get("drift"),
        ingest_floor_ratio=ingest / floor_s,
        peak_rss=max([result["maxrss_main"], *result["maxrss_workers"]]),
        peak_by_stage=peaks,
        largest_file=biggest,
        period_bytes=period,
        setup_s=result["setup_s"],
        loadavg=[result["loadavg_before"], result["loadavg_after"]],
    )
    print(f"  {label}")
    print("\n".join(lines))
    print(
        f"    total (ingest + KPIs) {wall:.1f} s for {total_rows:,} rows = {total_rows / wall:,.0f} rows/s "
        f"(ingest alone {total_rows / ingest:,.0f} rows/s); x{wall / floor_s:.2f} the floor "
        f"(ingest alone x{ingest / floor_s:.2f})"
        + (
            f", against the mean of the floors before and after it ({floor_run['before']:.1f} and "
            f"{floor_run['after']:.1f} s)"
            if "drift" in floor_run
            else ""
        )
    )
    if floor_run.get("drift", 1.0) > DRIFT_WARNING:
        print(
            f"    the floor moved by {floor_run['drift'] - 1:.0%} during this run: the machine's speed changed "
            "under it, so this ratio is uncertain; compare runs of the same code, or paired runs"
        )
    workers_cpu = sum(times.get((rt, "cpu"), 0.0) for rt in rows)
    own_cpu = workers_cpu + result.get("main_cpu_s", 0.0)
    server_cpu = result.get("server_cpu_s", 0.0) or 0.0
    floor_cpu = floor_run.get("client_cpu", 0.0) + floor_run.get("server_cpu", 0.0)
    summary.update(cpu_s=own_cpu, server_cpu_s=server_cpu, floor_cpu_s=floor_cpu)
    if floor_cpu:
        print(
            f"    CPU: pipeline processes {own_cpu:.1f} s + database server {server_cpu:.1f} s = "
            f"{own_cpu + server_cpu:.1f} s; floor {floor_run.get('client_cpu', 0.0):.1f} s + "
            f"{floor_run.get('server_cpu', 0.0):.1f} s = {floor_cpu:.1f} s; x{(own_cpu + server_cpu) / floor_cpu:.2f} "
            "the floor's CPU"
        )
    print(
        f"    peak memory: {_mb(summary['peak_rss'])} per process (largest file {_mb(biggest)}, period "
        f"{_mb(period)}); by stage: "
        + ", ".join(f"{k} {_mb(v)}" for k, v in sorted(peaks.items(), key=lambda kv: -kv[1]))
    )
    collections = result.get("collections", {})
    summary["collections"] = collections
    if collections:
        print(
            "    cycle collector (all processes): "
            + ", ".join(
                f"generation {generation} {int(count):,} x, {seconds:.2f} s"
                for generation, (count, seconds) in sorted(collections.items())
            )
        )
    print(
        f"    load average before/after: {result['loadavg_before'][0]:.1f} / {result['loadavg_after'][0]:.1f}"
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--lines", type=int, default=25_000, help="spend lines per member file at 1x")
    parser.add_argument(
        "--staff", type=int, default=1_000, help="staff per workforce snapshot at 1x (0: none)"
    )
    parser.add_argument("--scale", type=float, nargs="+", default=[1, 2, 4], help="multiples of the base")
    parser.add_argument(
        "--grow",
        choices=["lines", "members"],
        default="lines",
        help="what the scale multiplies (default lines)",
    )
    parser.add_argument(
        "--backends", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"]
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel file workers")
    parser.add_argument("--airflow", action="store_true", help="also measure the orchestration overhead")
    parser.add_argument("--airflow-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep generated data under var/bench/")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results", help="where results.json goes"
    )
    args = parser.parse_args(argv)

    work = ROOT / "var" / "bench"
    started = datetime.now(UTC)
    print(
        f"anchor-pipeline benchmark, {started:%Y-%m-%d %H:%M} UTC, {platform.node()}: "
        f"{os.cpu_count()} CPUs, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, workers={args.workers}"
    )
    results: dict[str, Any] = {
        "started": started.isoformat(),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    runs = []
    if not args.airflow_only:
        for scale in args.scale:
            members = round(args.members * scale) if args.grow == "members" else args.members
            lines = args.lines if args.grow == "members" else round(args.lines * scale)
            staff = args.staff if args.grow == "members" else round(args.staff * scale)
            root = work / f"scale-{scale:g}x"
            shutil.rmtree(root, ignore_errors=True)
            t = time.perf_counter()
            network = generate(root, members, lines, staff)
            print(
                f"\n{scale:g}x: {members} members x {lines:,} spend lines"
                + (f" + {network.staff:,} staff" if network.staff else "")
                + f" = {network.spend_rows + network.staff_rows:,} rows, "
                f"{sum(f.size for f in network.files) / 2**20:,.0f} MB (generated in {time.perf_counter() - t:.0f} s)"
            )
            paths = [Path(network.pristine) / f.path for f in network.files]
            floors = [_floor(paths, "first")]
            entry: dict[str, Any] = {
                "scale": scale,
                "members": members,
                "lines": lines,
                "staff": network.staff,
            }
            for backend in args.backends:
                result = run_pipeline(network, backend, args.workers, root)
                floors.append(_floor(paths, f"after {backend}"))
                entry[backend] = summarise(backend, network, result, bracketed(floors[-2], floors[-1]))
            entry["floors"] = floors
            runs.append(entry)
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        _growth(runs, args.backends)
    results["runs"] = runs
    if args.airflow or args.airflow_only:
        from bench.airflow_overhead import measure as airflow_measure

        results["airflow"] = airflow_measure(work / "airflow", members=args.members)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"\nresults: {args.out / 'results.json'}")
    return 0


def _growth(runs: list[dict[str, Any]], backends: list[str]) -> None:
    if len(runs) < 2:
        return
    print("\nhow time grows (time per row relative to the first scale; 1.00 = linear):")
    base = runs[0]
    for backend in backends:
        cells = []
        for run in runs:
            r, b = run[backend], base[backend]
            per_row = (r["wall_s"] / r["rows"]) / (b["wall_s"] / b["rows"])
            cells.append(f"{run['scale']:g}x {r['wall_s']:.0f} s ({per_row:.2f})")
        print(f"  {backend:10s} " + ", ".join(cells))
    cells = []
    first = base["floors"][0]
    for run in runs:
        floor = run["floors"][0]
        per_row = (floor["total"] / floor["rows"]) / (first["total"] / first["rows"])
        cells.append(f"{run['scale']:g}x {floor['total']:.0f} s ({per_row:.2f})")
    print(f"  {'floor':10s} " + ", ".join(cells))


if __name__ == "__main__":
    sys.exit(main())

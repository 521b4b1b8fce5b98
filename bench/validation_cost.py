"""What one validation costs, by file size: ``.venv/bin/python -m bench.validation_cost``.

Times ``check_table`` (typing, the GX suite, the rejection rules) and, inside it, ``run_suite`` (the GX
suite alone) on generated spend and workforce files of growing size, in one process after a warm-up,
and fits ``seconds = fixed + rows / rate`` by least squares: ``fixed`` is what every file pays whatever
its size, the cost the pipeline should keep small next to the rows. CPU seconds are reported beside
wall seconds because the machines are shared: CPU is what the process itself spent.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from typing import Any

import numpy as np

import pipeline.steps.checking as checking
from pipeline.steps.validation import gx_context
from samples.synthetic import spend_file, supplier_pool, workforce_file
from transforms.periods import Period
from transforms.reading import read_return
from transforms.return_types import RETURN_TYPES

PERIOD = Period.parse("2025-26-Q2")


def _raw(return_type: str, rows: int) -> Any:
    if return_type == "spend":
        data, *_ = spend_file(supplier_pool(4_000, 2025), 3, rows, 2025)
    else:
        data, *_ = workforce_file(3, rows, 2025)
    return read_return(data, f"{return_type}_{PERIOD.key}.csv", RETURN_TYPES[return_type], None)


def _timed(fn: Any, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def measure(return_type: str, sizes: list[int], repeats: int) -> dict[str, Any]:
    return_type_def = RETURN_TYPES[return_type]
    suite_seconds: list[tuple[float, float]] = []
    original = checking.run_suite

    def timed_suite(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            suite_seconds.append((time.perf_counter() - wall, time.process_time() - cpu))

    rows_out: list[dict[str, Any]] = []
    checking.run_suite = timed_suite
    try:
        for size in sizes:
            raw = _raw(return_type, size)
            check = functools.partial(checking.check_table, raw, return_type_def, PERIOD, 0.05)
            check()  # warm-up: the validation definition for this column set is built once per process
            suite_seconds.clear()
            n = repeats if size < 100_000 else max(2, repeats // 3)
            wall, cpu = _timed(check, n)
            suite_wall = statistics.median(s[0] for s in suite_seconds)
            suite_cpu = statistics.median(s[1] for s in suite_seconds)
            rows_out.append({"rows": raw.rows_read, "check": (wall, cpu), "suite": (suite_wall, suite_cpu)})
    finally:
        checking.run_suite = original
    return {"return_type": return_type, "sizes": rows_out}


def _fit(rows: list[int], seconds: list[float]) -> tuple[float, float]:
    """Least-squares ``seconds = fixed + per_row * rows``: (fixed seconds, rows per second)."""
    per_row, fixed = np.polyfit(np.array(rows, dtype=float), np.array(seconds), 1)
    return float(fixed), (1 / per_row if per_row > 0 else float("inf"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 25_000, 100_000, 250_000])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--return-types", nargs="+", default=["spend", "workforce"])
    args = parser.parse_args(argv)
    gx_context()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for return_type in args.return_types:
        result = measure(return_type, args.sizes, args.repeats)
        print(f"\n{return_type}: median of {args.repeats} runs per size, wall / CPU seconds")
        for entry in result["sizes"]:
            (cw, cc), (sw, sc) = entry["check"], entry["suite"]
            print(
                f"  {entry['rows']:>8,} rows  check_table {cw:6.3f} / {cc:6.3f}   run_suite {sw:6.3f} / {sc:6.3f}"
            )
        sizes = [e["rows"] for e in result["sizes"]]
        for label, key in (("check_table", "check"), ("run_suite", "suite")):
            for i, kind in enumerate(("wall", "CPU")):
                fixed, rate = _fit(sizes, [e[key][i] for e in result["sizes"]])
                print(f"  {label:11s} {kind:4s}: fixed {fixed:.3f} s per file + {rate:,.0f} rows/s")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

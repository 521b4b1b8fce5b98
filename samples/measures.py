"""Sample measures returns: each member reports a handful of the catalogue's measures each quarter.

Deterministic (seeded per member and period), so the demo and tests see the same figures every run.
Members of a network programme add the rows they report under its code (``samples.programmes``).
The files are clean: a measures return has a dozen rows, so one bad row would hold back the whole file
(tests of the rejection rules craft their own files).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence

from pipeline.config import NetworkConfig
from samples.manifest import GeneratedFile, SampleFile
from samples.programmes import programme_only_codes, programme_rows
from transforms.periods import Period

# Typical quarterly size per member for each unit: (low, high).
_RANGES = {
    "people": (2, 60),
    "buildings": (0, 6),
    "tCO2e": (5.0, 400.0),
    "GBP": (5_000, 250_000),
    "contracts": (1, 25),
    "level": (0, 2),
}


def measures_files(cfg: NetworkConfig, periods: Sequence[str], seed: int) -> list[GeneratedFile]:
    """(bucket path, bytes, manifest entry) of every measures return of every member that sends one."""
    if "measures" not in cfg.returns or not cfg.measures:
        return []
    out: list[GeneratedFile] = []
    only_programmes = programme_only_codes(cfg)
    catalogue = [m for m in cfg.measures if m.code not in only_programmes]
    for member in cfg.members:
        if "measures" not in cfg.expected_returns(member):
            continue
        for key in periods:
            period = Period.parse(key)
            rng = random.Random(f"{seed}:measures:{member.id}:{period.key}")
            chosen = [m for m in catalogue if rng.random() < 0.6] or list(catalogue[:3])
            programme = programme_rows(cfg, member, period, seed)
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(
                ["Measure Code", "Value", "Unit", "Notes", *(["Programme Code"] if programme else [])]
            )
            for measure in chosen:
                low, high = _RANGES.get(measure.unit, (0, 10))
                value = round(rng.uniform(low, high), 1) if isinstance(low, float) else rng.randint(low, high)
                if measure.max is not None:
                    value = min(value, measure.max)
                writer.writerow([measure.code, value, measure.unit, "", *([""] if programme else [])])
            for code, value, unit, programme_code in programme:
                writer.writerow([code, f"{value:g}", unit, "", programme_code])
            data = buffer.getvalue().encode("utf-8")
            path = f"incoming/{member.id}/measures_{period.key}.csv"
            rows = len(chosen) + len(programme)
            out.append((path, data, SampleFile(path, member.id, "measures", period.key, rows, ())))
    return out

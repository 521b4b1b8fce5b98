"""CPU seconds of the local PostgreSQL server's processes, read from /proc.

The workers of a load only wait while the server parses, indexes and writes their rows; on a shared
machine that server work competes for the same cores, so the bench counts it beside their own CPU.
Returns nothing when the server is not on this machine (no such process in /proc).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process so far, or None if it is not on this machine."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def backends_cpu(pids: Iterable[int]) -> dict[int, float]:
    return {int(pid): cpu for pid in pids if (cpu := process_cpu(int(pid))) is not None}

"""How the ingest DAG shares new files between its mapped tasks: a few batches, not one task per file.

Measured by ``bench/`` (see bench/README.md, "Orchestration overhead"): a task process under a real
executor spends about 6.5 s before its first row (task SDK and DAG parse 2.8 s, pandas/pyarrow/pipeline
0.7 s, the Great Expectations context 3.0 s) and about 340 MB, while checking and loading a typical
member file takes 0.4 s (a 2,000-line return) to a few seconds (250,000 lines). One task per file would
spend most of a quarter's ingest starting processes; a handful of batches pays that start-up a handful
of times and still keeps every worker busy. Files stay independent inside a batch: each is taken all
the way by ``process_file`` (idempotent), and one file's failure does not stop the others: a file that
raises is quarantined with an answer and an alert, and the task succeeds. Only files that could not even
be quarantined (storage unreachable) fail the task, so that its retry takes them again.
"""

from __future__ import annotations

import math
import os
from typing import Any

from pipeline.network import Network
from pipeline.steps.ingest import failures, ingest_files

# Enough batches to keep the embedded set-up's 4 parallel task slots busy (ANCHOR_INGEST_BATCHES
# overrides it, e.g. to the Celery workers' total concurrency) ...
DEFAULT_BATCHES = 4
# ... and more when there is a lot to read, so that no task holds more than this much input.
BATCH_BYTES = 512 * 2**20


def batch_count(files: list[dict[str, Any]]) -> int:
    slots = int(os.environ.get("ANCHOR_INGEST_BATCHES") or DEFAULT_BATCHES)
    by_size = math.ceil(sum(f["size"] for f in files) / BATCH_BYTES)
    return min(len(files), max(slots, by_size, 1))


def plan_batches(files: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The scan's files in balanced batches (biggest first onto the lightest batch), each oldest first."""
    if not files:
        return []
    loads = [0] * batch_count(files)
    batches: list[list[dict[str, Any]]] = [[] for _ in loads]
    order = {id(f): n for n, f in enumerate(files)}
    for f in sorted(files, key=lambda f: (-f["size"], order[id(f)])):
        lightest = loads.index(min(loads))
        batches[lightest].append(f)
        loads[lightest] += max(f["size"], 1)
    return [sorted(b, key=lambda f: order[id(f)]) for b in batches if b]


class FilesFailed(RuntimeError):
    """Some files of a batch could not be processed or quarantined (storage unreachable); the others were
    done, and the task's retry takes the failed ones again."""


def ingest_batch(network: Network, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`pipeline.steps.ingest.ingest_files` over a batch; if any file was left in incoming/ (it could
    not even be quarantined), raise after the others."""
    outcomes = ingest_files(network, files)
    failed = failures(outcomes)
    if failed:
        raise FilesFailed(
            f"{len(failed)} of {len(files)} files failed: "
            + "; ".join(f"{o['member_id']}/{o['file_name']}: {o['message']}" for o in failed)
        )
    return outcomes

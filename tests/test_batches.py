"""The ingest DAG's batches: every new file in exactly one batch, balanced by size, order kept inside."""

from __future__ import annotations

import pytest

from pipeline.steps import batches, ingest
from pipeline.steps.batches import batch_count, ingest_batch, plan_batches


def _files(sizes: list[int]) -> list[dict]:
    return [
        {
            "path": f"incoming/m{i}/spend_2025-26-Q2.csv",
            "member_id": f"m{i}",
            "file_name": "spend_2025-26-Q2.csv",
            "content_hash": f"{i:064d}",
            "size": s,
        }
        for i, s in enumerate(sizes)
    ]


def test_every_file_once_in_a_few_balanced_batches() -> None:
    files = _files([100, 5, 80, 5, 60, 40, 5, 20, 5, 90])
    planned = plan_batches(files)
    assert len(planned) == batches.DEFAULT_BATCHES
    assert sorted(f["path"] for b in planned for f in b) == sorted(f["path"] for f in files)
    loads = [sum(f["size"] for f in b) for b in planned]
    assert max(loads) - min(loads) <= 100  # no batch heavier than another by more than one file
    for batch in planned:  # oldest first, as the scan ordered them
        assert [files.index(f) for f in batch] == sorted(files.index(f) for f in batch)


def test_few_files_one_each_and_big_quarters_more_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    assert plan_batches([]) == []
    assert [len(b) for b in plan_batches(_files([1, 2]))] == [1, 1]
    assert batch_count(_files([batches.BATCH_BYTES] * 10)) == 10
    monkeypatch.setenv("ANCHOR_INGEST_BATCHES", "2")
    assert len(plan_batches(_files([1] * 9))) == 2


def test_one_failing_file_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    done = []

    def process(network, incoming, *_):  # type: ignore[no-untyped-def]
        if incoming["path"].startswith("incoming/m1/"):
            raise OSError("bucket hiccup")
        done.append(incoming["path"])
        return {"path": incoming["path"], "status": "accepted"}

    monkeypatch.setattr(ingest, "process_file", process)
    monkeypatch.setattr(ingest, "recorded_column_maps", lambda network: [])
    # With no network to quarantine it in (storage unreachable), the file is left for the task's retry.
    with pytest.raises(batches.FilesFailed, match=r"1 of 3 files failed: m1/spend_2025-26-Q2\.csv: OSError"):
        ingest_batch(None, _files([1, 1, 1]))  # type: ignore[arg-type]
    assert done == ["incoming/m0/spend_2025-26-Q2.csv", "incoming/m2/spend_2025-26-Q2.csv"]

"""Promises of the rejection contract that mutation sampling found no test pinning (issue 12).

Each would survive a plausible change to the code today: rows whose fields ran over counting towards
the tolerance, an unreadable optional cell rejecting its row rather than loading it empty, and a held-back
file never replacing an accepted one, whichever is processed first.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.steps.checking import check_return
from pipeline.steps.ingest import ingest, process_file, scan_incoming
from pipeline.steps.returns_tracker import track_returns
from tests.conftest import spend_facts_total, stored_submissions
from transforms.fast_reading import MIN_CHARS
from transforms.periods import Period
from transforms.return_types import SPEND
from warehouse.schema import fact_spend

PERIOD = Period.parse("2025-26-Q2")
MEMBER = "kingsbridge-council"


def _spend(rows: int, overrun: set[int] = frozenset(), vcse: dict[int, str] | None = None) -> bytes:
    lines = ["Payment Date,Supplier Name,Amount,Transaction ID,VCSE"]
    for i in range(rows):
        flag = (vcse or {}).get(i, "No")
        line = f"{1 + i % 28:02d}/08/2025,Supplier {i} Ltd,{100 + i}.00,T{i},{flag}"
        lines.append(line + (",1,234.56" if i in overrun else ""))  # an unquoted amount ran over
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(("overrun", "status"), [({4}, "accepted"), ({4, 11}, "quarantined")])
def test_rows_whose_fields_ran_over_count_towards_the_tolerance(overrun: set[int], status: str) -> None:
    check = check_return(_spend(20, overrun), "spend_2025-26-Q2.csv", SPEND, PERIOD, tolerance=0.05)
    assert check.status == status  # 1 of 20 is 5%, within the tolerance; 2 of 20 is 10%, beyond it
    assert sorted(check.problems["row"]) == sorted(i + 2 for i in overrun)
    assert check.rows_read == 20 and check.rows_rejected == (len(overrun) if status == "accepted" else 20)
    if status == "quarantined":
        assert check.file_reason.startswith("2 of 20 rows (10.0%) have problems")


def test_rows_whose_fields_ran_over_count_in_a_big_file_too() -> None:
    """The same promise on the fast reader, which big clean files take."""
    rows = 6_000
    overrun = set(range(0, rows, 16))  # 375 rows: 6.25%
    data = _spend(rows, overrun)
    assert len(data) > MIN_CHARS
    check = check_return(data, "spend_2025-26-Q2.csv", SPEND, PERIOD, tolerance=0.05)
    assert check.status == "quarantined" and check.file_reason.startswith(f"{len(overrun)} of {rows} rows")


def test_an_unreadable_optional_cell_rejects_its_row_and_is_never_loaded_empty(
    make_network, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write(f"incoming/{MEMBER}/spend_2025-26-Q2.csv", _spend(30, vcse={7: "maybe"}))
    [outcome] = ingest(network)

    assert (outcome["status"], outcome["rows_loaded"], outcome["rows_rejected"]) == ("accepted", 29, 1)
    problems = network.bucket.read(outcome["feedback_path"].replace(".html", ".csv")).decode("utf-8-sig")
    assert "9,is_vcse,maybe,'maybe' should be Yes or No" in problems.replace('"', "")
    with network.engine.connect() as conn:
        loaded = set(conn.execute(select(fact_spend.c.row_number)).scalars())
    assert 9 not in loaded and len(loaded) == 29


GOOD = b"Payment Date,Supplier Name,Amount\n01/08/2025,Brightwater Cleaning Ltd,1000.00\n02/08/2025,Keystone Ltd,250.50\n"
BAD = b"Payment Date,Supplier Name,Amount\n01/08/2025,Brightwater Cleaning Ltd,lots\n02/08/2025,Keystone Ltd,plenty\n"


@pytest.mark.parametrize("order", ["earlier first", "later first"])
def test_a_held_back_later_file_never_replaces_an_accepted_earlier_one(  # type: ignore[no-untyped-def]
    make_network, warehouse_url: str, order: str
) -> None:
    network = make_network(warehouse_url)
    sent = datetime.now(UTC) - timedelta(hours=1)
    for folder, data, when in (("earlier", GOOD, sent), ("later", BAD, sent + timedelta(minutes=5))):
        path = f"incoming/{MEMBER}/{folder}/spend_2025-26-Q2.csv"
        network.bucket.write(path, data)
        os.utime(network.bucket.full(path), (when.timestamp(), when.timestamp()))
    earlier, later = scan_incoming(network)
    assert earlier["path"].endswith("earlier/spend_2025-26-Q2.csv")
    files = [earlier, later] if order == "earlier first" else [later, earlier]
    outcomes = [process_file(network, f) for f in files]

    assert sorted(o["status"] for o in outcomes) == ["accepted", "quarantined"]
    first, second = stored_submissions(network)  # oldest received first
    assert (first["status"], first["superseded_by"]) == ("accepted", None)
    assert second["status"] == "quarantined"
    assert spend_facts_total(network) == (2, Decimal("1250.50"))
    [tracked] = [
        r
        for r in track_returns(network, ["2025-26-Q2"])
        if r.member_id == MEMBER and r.return_type == "spend"
    ]
    assert tracked.status in ("accepted", "late") and tracked.rows_loaded == 2

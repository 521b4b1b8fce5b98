"""The returns tracker: expected, accepted, late, held back, waiting and missing returns per member.

Received times are the bucket's modification times, so files are dropped with chosen mtimes to land
before or after the due date (2025-26-Q2 ends 30 September 2025; due 30 days later, on 30 October).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.steps.ingest import ingest
from pipeline.steps.report import build_period_report
from pipeline.steps.returns_tracker import track_returns

GOOD = "Payment Date,Supplier Name,Amount\n01/08/2025,Brightwater Cleaning Ltd,100.00\n"
AS_OF = date(2025, 11, 25)


def drop(network, member: str, name: str, content: str, received: datetime) -> None:  # type: ignore[no-untyped-def]
    path = f"incoming/{member}/{name}"
    network.bucket.write(path, content.encode())
    os.utime(network.bucket.full(path), (received.timestamp(), received.timestamp()))


def tracked_network(make_network, tmp_path):  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", GOOD, datetime(2025, 10, 15, 9, tzinfo=UTC))
    drop(network, "fleetside-council", "spend_2025-26-Q2.csv", GOOD + "02/08/2025,Other Ltd,5\n",
         datetime(2025, 11, 20, 9, tzinfo=UTC))  # fmt: skip
    drop(network, "st-aldrics-nhs", "spend_2025-26-Q2.csv", "Supplier Name,Department\nA,B\n",
         datetime(2025, 10, 1, 9, tzinfo=UTC))  # fmt: skip
    ingest(network)
    # Waiting in incoming/, not yet checked.
    drop(network, "north-meridian-nhs", "spend_2025-26-Q2.xlsx", "x", datetime(2025, 11, 24, tzinfo=UTC))
    return network


def test_statuses_of_every_expected_return(make_network, tmp_path) -> None:  # type: ignore[no-untyped-def]
    network = tracked_network(make_network, tmp_path)
    rows = track_returns(network, ["2025-26-Q2"], AS_OF, include_incoming=True)

    expected_count = sum(len(network.cfg.expected_returns(m)) for m in network.cfg.members)
    assert len(rows) == expected_count
    spend = {r.member_id: r for r in rows if r.return_type == "spend"}
    assert {m: (r.status, r.overdue) for m, r in spend.items() if r.status != "missing"} == {
        "kingsbridge-council": ("accepted", False),
        "fleetside-council": ("late", False),
        "st-aldrics-nhs": ("quarantined", True),
        "north-meridian-nhs": ("received", True),
    }
    missing = [r for r in rows if r.status == "missing"]
    assert missing and all(r.overdue and r.files == 0 for r in missing)
    assert all(r.due_date == date(2025, 10, 30) for r in rows)
    assert spend["fleetside-council"].rows_loaded == 2
    assert spend["north-meridian-nhs"].waiting == 1
    # Before the due date nothing is overdue yet.
    early = track_returns(network, ["2025-26-Q2"], date(2025, 10, 20))
    assert not any(r.overdue for r in early)
    # A year holds the four quarterly returns of each type.
    year = track_returns(network, ["2025-26"], AS_OF)
    assert len(year) == 4 * expected_count


def test_anchor_status_json(make_network, tmp_path) -> None:  # type: ignore[no-untyped-def]
    network = tracked_network(make_network, tmp_path)
    result = CliRunner().invoke(
        app,
        ["status", "--period", "2025-26-Q2", "--as-of", "2025-11-25", "--json",
         "--config", str(network.cfg.source_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    late = next(r for r in records if r["member_id"] == "fleetside-council" and r["return_type"] == "spend")
    assert late["status"] == "late" and late["due_date"] == "2025-10-30"
    assert late["first_received_at"].startswith("2025-11-20")
    table = CliRunner().invoke(
        app, ["status", "--period", "2025-26-Q2", "--config", str(network.cfg.source_path)]
    )
    assert table.exit_code == 0 and "late" in table.stdout


def test_the_city_hall_report_shows_the_trackers_statuses(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network = tracked_network(make_network, tmp_path)
    report = build_period_report(network, "2025-26-Q2")
    shown = {(s.member_id, s.return_type): s.status for s in report.submissions}
    tracked = {(r.member_id, r.return_type): r.status for r in track_returns(network, ["2025-26-Q2"], AS_OF)}
    assert shown == tracked
    assert shown[("fleetside-council", "spend")] == "late"
    from reports.render import render_period_report_html

    assert "Accepted late" in render_period_report_html(report)


def test_a_quarantined_replacement_does_not_mix_into_the_return_whose_file_still_counts(  # type: ignore[no-untyped-def]
    make_network, tmp_path
) -> None:
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    name = "spend_2025-26-Q2.csv"
    drop(network, "kingsbridge-council", name, GOOD, datetime(2025, 10, 15, 9, tzinfo=UTC))
    ingest(network)
    # The "correction" is held back whole (no amount column), so the first file still counts.
    broken = "Supplier Name,Department\n" + "".join(f"S{i},D\n" for i in range(7))
    drop(network, "kingsbridge-council", name, broken, datetime(2025, 10, 20, 9, tzinfo=UTC))
    ingest(network)
    spend = {
        r.member_id: r for r in track_returns(network, ["2025-26-Q2"], AS_OF) if r.return_type == "spend"
    }
    kingsbridge = spend["kingsbridge-council"]
    assert kingsbridge.status == "accepted"
    assert (kingsbridge.files, kingsbridge.rows_read, kingsbridge.rows_loaded, kingsbridge.rows_rejected) == (
        1,
        1,
        1,
        0,
    )

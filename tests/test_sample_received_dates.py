"""Sample returns arrive on plausible dates: most before their due date, some after it, one not at all,
so the demo's status section shows accepted, late and missing returns in realistic proportions."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.network import Network
from pipeline.steps.returns_tracker import due_date, track_returns
from samples.network import DEFAULT_PERIODS, generate_sample
from tests.demo_network import demo_network
from transforms.periods import Period

__all__ = ["demo_network"]


def test_received_dates_fall_after_the_period_mostly_before_the_due_date(
    make_network, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    manifest = generate_sample(network.cfg, lines_per_file=5, staff_per_member=5)
    late = 0
    for entry in manifest.files:
        period = Period.parse(entry.period)
        assert entry.received_at is not None
        assert entry.received_at.date() > period.end
        assert entry.received_at <= datetime.now(UTC)
        mtime = os.path.getmtime(network.bucket.full(entry.path))
        assert abs(mtime - entry.received_at.timestamp()) < 1  # what ingest reads as "received"
        late += entry.received_at.date() > due_date(network.cfg, entry.return_type, period)
    assert 0.05 < late / len(manifest.files) < 0.4
    again = generate_sample(network.cfg, lines_per_file=5, staff_per_member=5)
    assert [f.received_at for f in again.files] == [f.received_at for f in manifest.files]  # seeded


def test_the_demo_shows_accepted_late_and_missing_returns(demo_network: Network) -> None:
    statuses = Counter(
        r.status
        for r in track_returns(
            demo_network, list(DEFAULT_PERIODS), datetime.now(UTC).date() + timedelta(days=1)
        )
    )
    assert statuses["accepted"] > statuses["late"] > 0
    assert statuses["missing"] > 0

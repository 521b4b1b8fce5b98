"""Incremental KPIs: after any sequence of ingests, the values stored by incremental runs are the values a
full recompute gives, on SQLite and PostgreSQL; and a run recomputes only the years it must.

The sample network's returns (spend, workforce snapshots, measures, recruitment) for four quarters over
two financial years arrive in a seeded random order, in batches, with a KPI run after each; a quarter's
spend and a Q4 staff snapshot arrive late, on their own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import func, select

from pipeline.network import Network
from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis, plan_kpis, snapshots_to_read, touched_years
from samples.network import generate_sample
from tests.demo_network import stored_kpis
from warehouse.schema import kpi_runs, submissions

PERIODS = ("2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2")


def _stored(network: Network) -> dict[tuple[str, str, str, str], float | None]:
    rows = stored_kpis(network).astype(object).where(lambda frame: frame.notna(), None)
    return {(k, s, i, p): v for k, s, i, p, v in rows.itertuples(index=False)}


def _last_run_periods(network: Network) -> list[str]:
    """The periods the latest KPI run replaced."""
    with network.engine.connect() as conn:
        periods = conn.execute(
            select(kpi_runs.c.periods).order_by(kpi_runs.c.run_id.desc()).limit(1)
        ).scalar()
    return json.loads(periods)


def _drop(network: Network, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        network.bucket.write(path, data)


def _same(incremental: dict, full: dict) -> None:
    assert incremental.keys() == full.keys(), (
        sorted(set(incremental) ^ set(full))[:10],
        len(incremental),
        len(full),
    )
    for key, value in full.items():
        got = incremental[key]
        if value is None or pd.isna(value):
            assert got is None or pd.isna(got), key
        else:
            assert got == pytest.approx(value, rel=1e-12, abs=1e-9), key


@pytest.mark.parametrize("seed", [7])
def test_incremental_runs_store_what_a_full_recompute_gives(
    make_network: Callable[..., Network], warehouse_url: str, seed: int
) -> None:
    network = make_network(warehouse_url)
    generate_sample(network.cfg, periods=PERIODS, lines_per_file=25, staff_per_member=12)
    waiting = {e["path"]: network.bucket.read(e["path"]) for e in network.bucket.list_files("incoming")}
    for path in waiting:
        network.bucket.remove(path)
    rng = random.Random(seed)
    late_spend = rng.choice(sorted(p for p in waiting if "/spend_2025-26-Q3" in p))
    late_snapshot = rng.choice(sorted(p for p in waiting if "/workforce_2025-26-Q4" in p))
    member = late_snapshot.split("/")[1]
    assert any(f"{member}/workforce_2026-27-Q1" in p for p in waiting), "the member's next snapshot"
    first = [p for p in sorted(waiting) if p not in (late_spend, late_snapshot)]
    rng.shuffle(first)
    batches = [first[i::3] for i in range(3)]

    results = []
    for batch in batches:
        _drop(network, {p: waiting[p] for p in batch})
        ingest(network)
        results.append(compute_kpis(network))
    assert results[0]["full"] and results[0]["reason"] == "first run"
    assert not any(r["full"] for r in results[1:])
    # Nothing new: nothing but the programme families is recomputed, and nothing changes.
    before = _stored(network)
    idle = compute_kpis(network)
    assert not idle["full"] and idle["years"] == []
    _same(_stored(network), before)

    # A quarter's spend arrives late: its year only; the next year's values are left as they were.
    next_year = {k: v for k, v in _stored(network).items() if k[3].startswith("2026-27")}
    _drop(network, {late_spend: waiting[late_spend]})
    ingest(network)
    result = compute_kpis(network)
    assert not result["full"] and result["years"] == ["2025-26"]
    assert _last_run_periods(network) == ["2025-26", "2025-26-Q1", "2025-26-Q2", "2025-26-Q3", "2025-26-Q4"]
    _same({k: v for k, v in _stored(network).items() if k[3].startswith("2026-27")}, next_year)

    # A Q4 staff snapshot arrives late: the next year too (its Q1 uplifts are matched against it).
    _drop(network, {late_snapshot: waiting[late_snapshot]})
    ingest(network)
    result = compute_kpis(network)
    assert not result["full"] and result["years"] == ["2025-26", "2026-27"]

    incremental = _stored(network)
    with network.engine.connect() as conn:
        awaiting = conn.execute(
            select(func.count()).select_from(submissions).where(submissions.c.kpis_at.is_(None))
        ).scalar()
        runs = conn.execute(select(kpi_runs.c.full, kpi_runs.c.periods).order_by(kpi_runs.c.run_id)).all()
    assert awaiting == 0
    assert [full for full, _ in runs] == [True, False, False, False, False, False]
    assert len(json.loads(runs[-1][1])) == 10  # both years, each with its quarters
    full = compute_kpis(network, full=True)
    assert full["full"]
    _same(incremental, _stored(network))
    assert any(k[0] == "lw_uplifts" and k[3] == "2026-27-Q1" for k in incremental)


def test_a_config_change_recomputes_everything(make_network: Callable[..., Network], tmp_path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    generate_sample(network.cfg, periods=PERIODS[:1], lines_per_file=10, staff_per_member=5)
    ingest(network)
    assert compute_kpis(network)["full"]
    assert not plan_kpis(network).full
    changed = network.cfg.model_copy(update={"name": network.cfg.name + " (renamed)"})
    renamed = Network(changed)
    plan = plan_kpis(renamed)
    assert plan.full and "config" in plan.reason


def test_the_years_a_touched_return_reaches() -> None:
    dates = pd.DataFrame(
        {
            "member_id": ["a", "a", "a", "b"],
            "snapshot_date": pd.to_datetime(["2025-12-31", "2026-03-31", "2027-06-30", "2026-03-31"]),
            "period": ["2025-26-Q3", "2025-26-Q4", "2027-28-Q1", "2025-26-Q4"],
        }
    )
    touched = [
        {"member_id": "a", "return_type": "workforce", "period": "2025-26-Q4"},  # next snapshot: 2027-28
        {"member_id": "b", "return_type": "spend", "period": "2024-25-Q2"},
    ]
    assert touched_years(touched, dates) == ["2024-25", "2025-26", "2027-28"]
    # The snapshots of 2027-28 and, for each, the member's one before (a year earlier here).
    assert snapshots_to_read(dates, ["2027-28"]) == [
        ("a", pd.Timestamp("2026-03-31")),
        ("a", pd.Timestamp("2027-06-30")),
    ]
    assert snapshots_to_read(dates, ["2026-27"]) == []


def test_members_read_one_at_a_time_give_what_reading_them_all_at_once_gives(
    make_network: Callable[..., Network], warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The KPIs add up members' staff counts and spend sums read in batches (memory bounded by a batch,
    not by the network): with a bound of one row, every batch is one member, and every stored value is the
    same as when every member is read at once."""
    from warehouse import queries

    network = make_network(warehouse_url)
    generate_sample(network.cfg, periods=PERIODS[1:3], lines_per_file=25, staff_per_member=12)
    ingest(network)
    compute_kpis(network, full=True)
    together = _stored(network)
    assert any(k[0] == "lw_uplifts" and v for k, v in together.items()), "the sample has uplifts to match"
    assert any(k[0].startswith("spend_out_of_scope:") and v for k, v in together.items())

    staff_batches: list[set[str]] = []
    spend_batches: list[set[str]] = []
    read_staff, read_spend = queries.staff_snapshots, queries.spend_by_supplier_profile

    def staff_spy(engine, snapshots=None):  # type: ignore[no-untyped-def]
        frame = read_staff(engine, snapshots)
        staff_batches.append(set(frame["member_id"]))
        return frame

    def spend_spy(engine, periods=None, members=None):  # type: ignore[no-untyped-def]
        frame = read_spend(engine, periods, members)
        spend_batches.append(set(frame["member_id"]))
        return frame

    monkeypatch.setattr(queries, "staff_snapshots", staff_spy)
    monkeypatch.setattr(queries, "spend_by_supplier_profile", spend_spy)
    monkeypatch.setattr(queries, "STAFF_ROWS_PER_READ", 1)
    monkeypatch.setattr(queries, "SPEND_ROWS_PER_READ", 1)
    compute_kpis(network, full=True)
    for batches in (staff_batches, spend_batches):
        members = set().union(*batches)
        assert len(members) > 3 and all(len(batch) == 1 for batch in batches), batches
        assert len(batches) == len(members)
    _same(_stored(network), together)


def test_the_kpi_steps_big_reads_run_with_the_cycle_collector_paused(warehouse_url: str) -> None:
    """The staff rows and the spend sums (what the KPI step reads in batches, see the test above) are read
    with CPython's cycle collector paused (a full collection walks every object of the process, and each
    hundred thousand new rows set one off), and it is on again afterwards, as it was found."""
    import gc

    from sqlalchemy import event

    from warehouse import queries
    from warehouse.db import make_engine, migrate

    engine = make_engine(warehouse_url)
    migrate(engine)
    reads: list[tuple[str, bool]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        for table in ("fact_workforce", "spend_by_supplier"):
            if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
                reads.append((table, gc.isenabled()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert gc.isenabled()
        staff = queries.staff_snapshots(engine)
        spend = queries.spend_by_supplier_profile(engine)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        engine.dispose()
    assert gc.isenabled()
    assert list(staff.columns) == list(queries.STAFF_COLUMNS)
    assert list(spend.columns) == list(queries.SPEND_PROFILE_COLUMNS)
    # On PostgreSQL the staff rows come out by COPY into Arrow (no Python object per value, no cursor
    # SELECT): only the spend sums are fetched as rows there.
    staff_read = [] if engine.dialect.name == "postgresql" else [("fact_workforce", False)]
    assert reads == [*staff_read, ("spend_by_supplier", False)], reads


def test_a_paused_collector_is_restored_as_found_after_an_error_and_inside_another_pause() -> None:
    import gc

    from warehouse.queries import many_rows

    assert gc.isenabled()
    with many_rows():
        with many_rows():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer read is still going on
    assert gc.isenabled()
    with pytest.raises(RuntimeError), many_rows():
        raise RuntimeError("the read failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with many_rows():
            pass
        assert not gc.isenabled()  # found off, left off
    finally:
        gc.enable()


# Staff rows whose values a bulk read could get wrong: text with the CSV's delimiter, quotes and a line
# break, an empty text beside a NULL one, an exact number that is no double, dates and flags both ways.
_AWKWARD_STAFF = [
    ("m,1", "2025-09-30", "k1", "12.35", "37.50", "direct", True, "2025-04-01", "UB6", "UB"),
    ('m"2', "2025-09-30", "k2", "0.10", "0.01", "agency", False, None, None, None),
    ("m\n3", "2026-03-31", "k3", "999999.99", "8.25", "", False, None, "", ""),
    ("m,1", "2026-03-31", "k4", "11.44", "37.50", "direct", True, "2000-02-29", "E1", "E"),
]


def test_staff_rows_read_back_as_stored_on_each_backend(warehouse_url: str) -> None:
    """The staff frame the workforce KPIs take holds exactly the stored values, typed, on each backend
    (PostgreSQL reads them in bulk, SQLite as rows): every snapshot, the snapshots asked for, or none."""
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import insert

    from warehouse import queries
    from warehouse.db import make_engine, migrate
    from warehouse.schema import fact_workforce

    engine = make_engine(warehouse_url)
    migrate(engine)
    names = queries.STAFF_COLUMNS

    def day(text: str | None) -> date | None:
        return None if text is None else date.fromisoformat(text)

    stored = [
        dict(zip(names, (m, day(d), k, Decimal(r), Decimal(h), b, a, day(s), dist, area), strict=True))
        for m, d, k, r, h, b, a, s, dist, area in _AWKWARD_STAFF
    ]
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(fact_workforce),
                [
                    {**row, "submission_id": "s1", "row_number": n, "period": "2025-26-Q2"}
                    for n, row in enumerate(stored)
                ],
            )
        every = queries.staff_snapshots(engine)
        asked = queries.staff_snapshots(
            engine, [("m,1", pd.Timestamp("2026-03-31")), ('m"2', date(2025, 9, 30))]
        )
        none = queries.staff_snapshots(engine, [("nobody", date(2025, 9, 30))])
    finally:
        engine.dispose()

    def expected(rows: list[dict]) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "member_id": pd.Series([r["member_id"] for r in rows], dtype="str"),
                "snapshot_date": pd.Series([r["snapshot_date"] for r in rows], dtype="datetime64[s]"),
                "person_key": pd.Series([r["person_key"] for r in rows], dtype="str"),
                "hourly_rate_gbp": [float(r["hourly_rate_gbp"]) for r in rows],
                "weekly_hours": [float(r["weekly_hours"]) for r in rows],
                "employment_basis": pd.Series([r["employment_basis"] for r in rows], dtype="str"),
                "is_apprentice": pd.Series([r["is_apprentice"] for r in rows], dtype="boolean"),
                "apprenticeship_start_date": pd.Series(
                    [r["apprenticeship_start_date"] for r in rows], dtype="datetime64[s]"
                ),
                "home_postcode_district": pd.Series([r["home_postcode_district"] for r in rows], dtype="str"),
                "home_postcode_area": pd.Series([r["home_postcode_area"] for r in rows], dtype="str"),
            },
            columns=list(names),
        )
        return frame

    def in_order(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values("person_key", ignore_index=True)

    pd.testing.assert_frame_equal(in_order(every), expected(stored), check_exact=True)
    pd.testing.assert_frame_equal(in_order(asked), expected([stored[1], stored[3]]), check_exact=True)
    assert none.empty and list(none.columns) == list(names)
    # NULL and the empty text stay apart (k2 sent no postcode, k3 an empty one).
    assert in_order(every)["home_postcode_area"].isna().tolist() == [False, True, False, False]
    assert in_order(every)["home_postcode_area"][2] == ""


def test_spend_sums_read_back_to_the_penny_with_their_flags_on_each_backend(warehouse_url: str) -> None:
    """The spend summary rows of one supplier profile add up to the penny (SQLite adds doubles: 0.10 +
    0.20 is read back as 0.30, as PostgreSQL's exact sum is), and a flag nobody sent stays unknown."""
    from decimal import Decimal

    from sqlalchemy import insert

    from warehouse import queries
    from warehouse.db import make_engine, migrate
    from warehouse.schema import spend_by_supplier

    engine = make_engine(warehouse_url)
    migrate(engine)
    profile = {"member_id": "m1", "period": "2025-26-Q2", "spend_tier": "direct", "supplier_size": "small"}
    sent = [(1, "0.10", True, None), (2, "0.20", True, None), (3, "5.05", False, False)]
    rows = [
        {
            **profile,
            "line_group": group,
            "amount_gbp": Decimal(amount),
            "is_vcse": vcse,
            "is_diverse_owned": diverse,
        }
        for group, amount, vcse, diverse in sent
    ]
    try:
        with engine.begin() as conn:
            conn.execute(insert(spend_by_supplier), [{**r, "submission_id": "s1", "lines": 1} for r in rows])
        read = queries.spend_by_supplier_profile(engine).sort_values("amount", ignore_index=True)
    finally:
        engine.dispose()
    assert read["amount"].tolist() == [0.3, 5.05]
    assert read["is_vcse"].tolist() == [True, False]
    assert read["is_diverse"].isna().tolist() == [True, False]
    assert str(read["is_vcse"].dtype) == str(read["is_diverse"].dtype) == "boolean"

"""The warehouse on SQLite and on PostgreSQL: migrations, bulk loads, supersession and all-or-nothing loads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

import warehouse.load as load
from transforms.spend import SPEND_FACT_SCHEMA
from warehouse.db import make_engine, migrate, table_names
from warehouse.schema import created_on, fact_spend, metadata, spend_by_supplier, submissions


def _engine(url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    migrate(engine)
    return engine


def _facts(submission_id: str, amounts: list[float], names: list[str] | None = None) -> pa.Table:
    n = len(amounts)
    names = names or [f"Supplier {i}" for i in range(n)]
    columns = {field.name: [None] * n for field in SPEND_FACT_SCHEMA}
    columns.update(
        submission_id=[submission_id] * n,
        row_number=list(range(2, n + 2)),
        member_id=["m1"] * n,
        period=["2025-26-Q2"] * n,
        payment_date=[date(2025, 8, 1)] * n,
        supplier_name=names,
        amount_gbp=[Decimal(str(a)).quantize(Decimal("0.01")) for a in amounts],
        spend_tier=["direct"] * n,
        is_vcse=[True] + [None] * (n - 1),
    )
    return pa.table(columns, schema=SPEND_FACT_SCHEMA)


def _submission(
    submission_id: str, received: datetime, status: str = "accepted", name: str = "spend_2025-26-Q2.csv"
):  # type: ignore[no-untyped-def]
    return {
        "submission_id": submission_id,
        "content_hash": submission_id * 4,
        "member_id": "m1",
        "return_type": "spend",
        "period": "2025-26-Q2",
        "file_name": name,
        "received_at": received,
        "processed_at": received,
        "status": status,
        "rows_read": 3,
        "rows_loaded": 3 if status == "accepted" else 0,
        "rows_rejected": 0 if status == "accepted" else 3,
        "accepted_total_gbp": None,
        "reason": None,
        "superseded_by": None,
        "shape": "payment_lines",
        "encoding": "utf-8",
        "archive_path": "a",
        "lake_path": None,
        "feedback_path": None,
    }


def _facts_total(engine) -> tuple[int, Decimal | None]:  # type: ignore[no-untyped-def]
    """Count and sum of the spend facts, after checking every fact belongs to an accepted submission.

    The fact tables have no foreign key (migration 0006), so the loads must keep this themselves.
    """
    with engine.connect() as conn:
        stray = conn.execute(
            select(func.count())
            .select_from(fact_spend)
            .where(
                fact_spend.c.submission_id.not_in(
                    select(submissions.c.submission_id).where(submissions.c.status == "accepted")
                )
            )
        ).scalar()
    assert stray == 0, f"{stray} facts without an accepted submission"
    with engine.connect() as conn:
        count, total = conn.execute(select(func.count(), func.sum(fact_spend.c.amount_gbp))).one()
    return count, None if total is None else Decimal(str(total)).quantize(Decimal("0.01"))


T0 = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)


def test_migration_creates_the_schema_the_code_uses(warehouse_url: str) -> None:
    engine = _engine(warehouse_url)
    migrate(engine)  # a second run is a no-op
    assert {"members", "periods", "suppliers", "submissions", "fact_spend", "kpi_value"} <= set(
        table_names(engine)
    )
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": created_on(conn.dialect.name)})
        diff = compare_metadata(context, metadata)
    assert diff == [], f"warehouse/schema.py and the Alembic migrations disagree: {diff}"


def test_bulk_insert_round_trips_awkward_values(warehouse_url: str) -> None:
    engine = _engine(warehouse_url)
    names = ['Café "Lumière", Ltd', "O’Brien & Sons\nLtd", "Plain"]
    load.record_submission(
        engine, _submission("a" * 16, T0), _facts("a" * 16, [1234.56, -0.01, 99999999.99], names)
    )
    with engine.connect() as conn:
        rows = conn.execute(select(fact_spend).order_by(fact_spend.c.row_number)).mappings().all()
    assert [r["supplier_name"] for r in rows] == names
    assert [Decimal(str(r["amount_gbp"])).quantize(Decimal("0.01")) for r in rows] == [
        Decimal("1234.56"),
        Decimal("-0.01"),
        Decimal("99999999.99"),
    ]
    assert rows[0]["payment_date"] == date(2025, 8, 1)
    assert rows[0]["is_vcse"] is True and rows[1]["is_vcse"] is None
    assert rows[0]["supplier_id"] is None


def test_same_named_file_supersedes_and_replaces_the_figures(warehouse_url: str) -> None:
    engine = _engine(warehouse_url)
    load.record_submission(engine, _submission("a" * 16, T0), _facts("a" * 16, [100, 200]))
    load.record_submission(engine, _submission("b" * 16, T0 + timedelta(days=1)), _facts("b" * 16, [50]))
    assert _facts_total(engine) == (1, Decimal("50.00"))
    with engine.connect() as conn:
        old = (
            conn.execute(select(submissions).where(submissions.c.submission_id == "a" * 16)).mappings().one()
        )
    assert old["status"] == "superseded" and old["superseded_by"] == "b" * 16


def test_a_new_name_adds_a_part(warehouse_url: str) -> None:
    engine = _engine(warehouse_url)
    load.record_submission(engine, _submission("a" * 16, T0), _facts("a" * 16, [100]))
    load.record_submission(
        engine, _submission("b" * 16, T0, name="spend_2025-26-Q2_part2.csv"), _facts("b" * 16, [5])
    )
    assert _facts_total(engine) == (2, Decimal("105.00"))


def test_an_older_file_processed_late_does_not_replace_a_newer_one(warehouse_url: str) -> None:
    engine = _engine(warehouse_url)
    load.record_submission(engine, _submission("b" * 16, T0 + timedelta(hours=1)), _facts("b" * 16, [50]))
    stored = load.record_submission(engine, _submission("a" * 16, T0), _facts("a" * 16, [100, 200]))
    assert stored["status"] == "superseded" and stored["superseded_by"] == "b" * 16
    assert _facts_total(engine) == (1, Decimal("50.00"))


def test_a_quarantined_resubmission_keeps_the_accepted_figures(warehouse_url: str) -> None:
    engine = _engine(warehouse_url)
    load.record_submission(engine, _submission("a" * 16, T0), _facts("a" * 16, [100]))
    load.record_submission(engine, _submission("b" * 16, T0 + timedelta(days=1), status="quarantined"), None)
    assert _facts_total(engine) == (1, Decimal("100.00"))


def test_a_crash_mid_load_changes_nothing(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(warehouse_url)
    load.record_submission(engine, _submission("a" * 16, T0), _facts("a" * 16, [100, 200]))
    real_bulk_insert = load.bulk_insert

    def insert_then_die(conn, table, rows):  # type: ignore[no-untyped-def]
        real_bulk_insert(conn, table, rows)  # the rows are written inside the transaction...
        raise ConnectionError("server went away")  # ...and then the load dies

    monkeypatch.setattr(load, "bulk_insert", insert_then_die)
    with pytest.raises(ConnectionError):
        load.record_submission(
            engine, _submission("b" * 16, T0 + timedelta(days=1)), _facts("b" * 16, [1, 2, 3])
        )
    assert _facts_total(engine) == (2, Decimal("300.00"))
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(submissions.c.submission_id, submissions.c.status)).all())
    assert statuses == {"a" * 16: "accepted"}


@pytest.mark.parametrize(
    "fault", ["repeated row number", "repeated row number in order", "another submission's row"]
)
def test_facts_that_would_repeat_a_row_are_refused_before_anything_is_written(
    warehouse_url: str, fault: str
) -> None:
    """On PostgreSQL no key refuses a repeated row of spend (migration 0014): the load itself must."""
    engine = _engine(warehouse_url)
    load.record_submission(engine, _submission("a" * 16, T0), _facts("a" * 16, [100, 200]))
    facts = _facts("b" * 16, [1, 2, 3])
    if fault == "repeated row number":
        facts = facts.set_column(1, "row_number", pa.array([2, 3, 2], pa.int64()))
    elif fault == "repeated row number in order":
        facts = facts.set_column(1, "row_number", pa.array([2, 3, 3], pa.int64()))
    else:
        facts = facts.set_column(0, "submission_id", pa.array(["b" * 16, "a" * 16, "b" * 16]))
    with pytest.raises(ValueError, match="b" * 16):
        load.record_submission(engine, _submission("b" * 16, T0 + timedelta(days=1)), facts)
    assert _facts_total(engine) == (2, Decimal("300.00"))
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(submissions.c.submission_id, submissions.c.status)).all())
    assert statuses == {"a" * 16: "accepted"}


def test_facts_out_of_file_order_load_when_their_row_numbers_are_distinct(warehouse_url: str) -> None:
    engine = _engine(warehouse_url)
    facts = _facts("b" * 16, [1, 2, 3]).set_column(1, "row_number", pa.array([4, 2, 3], pa.int64()))
    assert load.record_submission(engine, _submission("b" * 16, T0), facts)["status"] == "accepted"
    assert _facts_total(engine) == (3, Decimal("6.00"))


def test_reclassifying_moves_exactly_the_lines_whose_class_changed(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines are updated by class and in chunks (``_LINES_PER_UPDATE``, here 2): every moved line is
    written, no other, and the summary follows the facts."""
    monkeypatch.setattr(load, "_LINES_PER_UPDATE", 2)
    engine = _engine(warehouse_url)
    amounts = [10, 20, 30, 40, 50, 60, 70]
    load.record_submission(engine, _submission("a" * 16, T0), _facts("a" * 16, amounts))
    classes = {3: ("grant", "grants"), 4: ("grant", "grants"), 5: ("tax", "hmrc"), 6: ("grant", "grants")}
    classes |= {7: ("grant", "grants"), 8: ("grant", "grants")}

    def classify(lines: pd.DataFrame) -> pd.DataFrame:
        found = [classes.get(int(n), (None, None)) for n in lines["row_number"]]
        return pd.DataFrame(found, columns=["out_of_scope", "out_of_scope_rule"], index=lines.index)

    assert load.reclassify_spend(engine, classify) == {"submissions": 1, "lines_changed": 6}
    classes.pop(5)  # the rules change again: one line back in scope
    assert load.reclassify_spend(engine, classify) == {"submissions": 1, "lines_changed": 1}
    with engine.connect() as conn:
        stored = conn.execute(
            select(fact_spend.c.row_number, fact_spend.c.out_of_scope, fact_spend.c.out_of_scope_rule)
        ).all()
        summary = conn.execute(
            select(spend_by_supplier.c.out_of_scope, func.sum(spend_by_supplier.c.amount_gbp)).group_by(
                spend_by_supplier.c.out_of_scope
            )
        ).all()
    assert sorted(stored) == [(n, *classes.get(n, (None, None))) for n in range(2, 9)]
    assert {k: int(v) for k, v in summary} == {None: 10 + 40, "grant": 20 + 30 + 50 + 60 + 70}


def _member(member_id: str, name: str) -> dict[str, str | None]:
    return {"member_id": member_id, "name": name, "sector": "council", "contact_email": None}


def test_member_sync_follows_the_config(warehouse_url: str) -> None:
    from warehouse.schema import members

    engine = _engine(warehouse_url)
    load.sync_members(engine, [_member("m1", "Old name"), _member("m2", "Leaving")])
    load.sync_members(engine, [_member("m1", "New name"), _member("m3", "Joining")])
    with engine.connect() as conn:
        rows = dict(conn.execute(select(members.c.member_id, members.c.name)).all())
    assert rows == {"m1": "New name", "m3": "Joining"}


def test_tasks_starting_together_can_all_sync_members_and_periods(warehouse_url: str) -> None:
    """Every task process syncs on start-up; mapped tasks start together and must not collide."""
    from concurrent.futures import ThreadPoolExecutor

    from warehouse.schema import members, periods

    engine = _engine(warehouse_url)
    roster = [_member(f"m{i}", f"Member {i}") for i in range(20)]

    def start_up(_: int) -> None:
        other = make_engine(warehouse_url)  # a separate pool, as a separate process would have
        try:
            for _ in range(5):
                load.sync_members(other, roster)
                load.register_periods(other, ["2025-26-Q2"])
        finally:
            other.dispose()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start_up, range(4)))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(members)).scalar() == 20
        registered = dict(conn.execute(select(periods.c.period, periods.c.kind)).all())
    assert registered == {"2025-26-Q2": "quarter", "2025-26": "year"}


def test_upgrading_an_older_warehouse_keeps_its_facts_and_sums_them_by_supplier(warehouse_url: str) -> None:
    """From 0005 (facts with foreign keys, no spend_by_supplier) to head, with data in it."""
    from alembic import command
    from sqlalchemy import insert

    from warehouse.db import alembic_config
    from warehouse.schema import spend_by_supplier

    engine = make_engine(warehouse_url)
    with engine.begin() as connection:
        config = alembic_config(str(engine.url.render_as_string(hide_password=False)))
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    with engine.begin() as conn:  # what a 0005 load wrote: the audit row and the facts
        conn.execute(insert(submissions).values(**_submission("a" * 16, T0)))
        facts = _facts("a" * 16, [100, 200, 5], ["A Ltd", "B Ltd", "A Ltd"])
        facts = facts.set_column(
            facts.schema.get_field_index("supplier_name_key"), "supplier_name_key", pa.array(["a", "b", "a"])
        )
        facts = facts.set_column(facts.schema.get_field_index("is_vcse"), "is_vcse", pa.nulls(3, pa.bool_()))
        # 0005's fact_spend had no scope columns (added by 0008)
        load.bulk_insert(conn, fact_spend, facts.drop_columns(["out_of_scope", "out_of_scope_rule"]))
    migrate(engine)
    assert _facts_total(engine) == (3, Decimal("305.00"))
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                spend_by_supplier.c.line_group, spend_by_supplier.c.amount_gbp, spend_by_supplier.c.lines
            ).order_by(spend_by_supplier.c.line_group)
        ).all()
    assert [(g, Decimal(str(a)).quantize(Decimal("0.01")), n) for g, a, n in rows] == [
        (1, Decimal("105.00"), 2),  # A Ltd's two lines, numbered from its first line
        (2, Decimal("200.00"), 1),
    ]
    # Loads after the upgrade supersede as before, facts and sums together.
    load.record_submission(engine, _submission("b" * 16, T0 + timedelta(days=1)), _facts("b" * 16, [7]))
    assert _facts_total(engine) == (1, Decimal("7.00"))
    with engine.connect() as conn:
        assert conn.execute(select(spend_by_supplier.c.submission_id).distinct()).scalars().all() == [
            "b" * 16
        ]


def test_sqlite_loads_stage_their_rows_before_taking_the_write_lock(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """SQLite has one write lock for the whole warehouse: while one load stages its rows (most of its
    cost), another worker must still be able to write. Checked from a second connection during each
    staging; the facts and their summary still load in the one transaction."""
    import sqlite3

    import warehouse.bulk as bulk

    path = tmp_path / "warehouse.db"
    engine = _engine(f"sqlite:///{path}")
    writable_while_staging: list[bool] = []
    real_stage_rows = bulk.stage_rows

    def stage_and_probe(rows: pa.Table) -> bulk.StagedRows:
        staged = real_stage_rows(rows)
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # takes the write lock, or fails at once if it is held
            other.execute("ROLLBACK")
            writable_while_staging.append(True)
        except sqlite3.OperationalError:
            writable_while_staging.append(False)
        finally:
            other.close()
        return staged

    monkeypatch.setattr(load, "stage_rows", stage_and_probe)
    facts = _facts("a" * 16, [10, 20, 30])
    load.record_submission(engine, _submission("a" * 16, T0), facts)
    assert writable_while_staging == [True, True]  # the facts, then their summary by supplier
    assert _facts_total(engine) == (3, Decimal("60.00"))
    with engine.connect() as conn:
        groups = conn.execute(select(func.count()).select_from(spend_by_supplier)).scalar()
    assert groups == load.SUMMARISE["spend"](facts).num_rows


def test_registering_a_known_period_needs_no_write_lock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every accepted file registers its period; on SQLite a period already known must not queue for
    the warehouse's one write lock behind another worker's load."""
    import sqlite3

    from warehouse.schema import periods

    path = tmp_path / "warehouse.db"
    engine = _engine(f"sqlite:///{path}")
    load.register_periods(engine, ["2025-26-Q2"])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker's load holds the write lock
    try:
        load.register_periods(engine, ["2025-26-Q2"])  # would wait for the lock (30 s) if it wrote
    finally:
        other.execute("ROLLBACK")
        other.close()
    load.register_periods(engine, ["2025-26-Q3"])
    with engine.connect() as conn:
        assert set(conn.execute(select(periods.c.period)).scalars()) == {
            "2025-26-Q2",
            "2025-26-Q3",
            "2025-26",
        }

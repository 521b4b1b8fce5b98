"""Transactional loads: a submission's facts land whole, replacing what they supersede, or not at all."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from transforms.periods import Period
from transforms.spend import SPEND_FACT_SCHEMA, SUPPLIER_PROFILE, spend_by_supplier
from warehouse.bulk import StagedRows, can_stage, constant_columns, copy_binary, insert_staged, stage_rows
from warehouse.schema import (
    FACT_SUMMARIES,
    FACT_TABLES,
    fact_spend,
    issued_cells,
    issued_reports,
    kpi_runs,
    kpi_value,
    members,
    periods,
    reference_files,
    submissions,
    suppliers,
    target,
)
from warehouse.schema import spend_by_supplier as spend_by_supplier_table

SUMMARISE = {"spend": spend_by_supplier}


def bulk_insert(conn: Connection, table: Table, rows: pa.Table | StagedRows) -> None:
    """Insert an Arrow table (or rows staged for SQLite) in the caller's transaction (``warehouse.bulk``)."""
    arrow = rows.rows if isinstance(rows, StagedRows) else rows
    if arrow.num_rows == 0:
        return
    if conn.dialect.name == "postgresql":
        copy_binary(conn, table, arrow)
        return
    if can_stage(conn):
        insert_staged(conn, table, rows)
        return
    _insert_rows(conn, table, arrow)


def _staged_early(engine: Engine, rows: pa.Table) -> pa.Table | StagedRows:
    """On SQLite, the rows staged now, before the load's transaction takes the single write lock."""
    if engine.dialect.name != "sqlite" or rows.num_rows == 0:
        return rows
    return stage_rows(rows)


def _insert_rows(conn: Connection, table: Table, rows: pa.Table) -> None:
    """SQLite without the staging schema (a connection not made by ``warehouse.db``): executemany."""
    columns = rows.column_names
    constants = constant_columns(rows)
    prepared = []
    values = []
    for name in columns:
        column = rows.column(name)
        literal = _sql_literal(constants[name]) if name in constants else None
        if literal is not None:
            # The same value (or nothing) on every row: the submission, member and period, the columns a
            # file did not send. Written once in the statement, not bound 250,000 times (binding values
            # is most of executemany's cost).
            values.append(literal)
            continue
        if pa.types.is_decimal(column.type):
            column = pc.cast(column, pa.float64())
        elif pa.types.is_date(column.type):
            column = pc.cast(column, pa.string())
        prepared.append(column.to_pylist())
        values.append("?")
    statement = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join(values)})'
    conn.exec_driver_sql(statement, list(zip(*prepared, strict=True)))


def _sql_literal(value: str | None) -> str | None:
    """A SQLite literal of a value written into a statement, or None to bind it instead: a statement
    cannot hold a NUL, and long text could take it past SQLite's length limit. The doubled quote is the
    only escape a SQLite text literal has."""
    if value is None:
        return "NULL"
    if "\x00" in value or len(value) > 1_000:
        return None
    return "'" + value.replace("'", "''") + "'"


def _lock_return(conn: Connection, key: str) -> None:
    """Serialise loads of the same member/return/period so two parallel tasks cannot both win."""
    if conn.dialect.name == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
    elif conn.dialect.name == "sqlite":
        # pysqlite only opens the transaction at the first write, so the checks below would read outside
        # it: a no-op write first takes SQLite's single write lock and makes parallel loads take turns.
        conn.exec_driver_sql("UPDATE submissions SET status = status WHERE 0")


def fitted(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """An audit row made to fit its table: text past a column's length is shortened (with an ellipsis) and
    NUL characters, which PostgreSQL cannot store, are dropped. Only for rows the pipeline writes about a
    file (names, reasons): a member's *values* are checked, never cut (``warehouse.capacity``)."""
    result = dict(row)
    for name, value in row.items():
        if not isinstance(value, str) or name not in table.c:
            continue
        text = value.replace("\x00", "")
        length = getattr(table.c[name].type, "length", None)
        if length is not None and len(text) > length:
            text = text[: length - 1] + "…"
        result[name] = text
    return result


def record_submission(
    engine: Engine, submission: Mapping[str, Any], facts: pa.Table | None
) -> dict[str, Any]:
    """Store a processed file: its audit row and, if accepted, its facts; supersede same-named earlier files.

    A file with the same name as an accepted earlier one for the same member, return type and period
    replaces it; if the earlier one was received *later* (files processed out of order), the new one
    is recorded as already superseded and its facts are not loaded. A quarantined file never supersedes
    anything. An earlier row for the same submission that recorded a failure to process it (``error``)
    is replaced: the file is being taken again. Returns the stored audit row.
    """
    record = fitted(submissions, submission)
    loads: list[tuple[Table, pa.Table | StagedRows]] = []
    if facts is not None:
        _check_row_keys(facts, record["submission_id"])
        if record["status"] == "accepted":
            loads.append((FACT_TABLES[record["return_type"]], _staged_early(engine, facts)))
            if record["return_type"] in FACT_SUMMARIES:
                summary = SUMMARISE[record["return_type"]](facts)
                loads.append((FACT_SUMMARIES[record["return_type"]], _staged_early(engine, summary)))
    with engine.begin() as conn:
        _lock_return(conn, f"{record['member_id']}/{record['return_type']}/{record['period']}")
        conn.execute(
            delete(submissions).where(
                (submissions.c.submission_id == record["submission_id"]) & submissions.c.error.is_not(None)
            )
        )
        same_return = (
            (submissions.c.member_id == record["member_id"])
            & (submissions.c.return_type == record["return_type"])
            & (submissions.c.period == record["period"])
            & (submissions.c.file_name == record["file_name"])
            & (submissions.c.status == "accepted")
        )
        if record["status"] == "accepted":
            newer = conn.execute(
                select(submissions.c.submission_id)
                .where(same_return & (submissions.c.received_at > record["received_at"]))
                .order_by(submissions.c.received_at.desc())
            ).first()
            if newer is not None:
                record.update(status="superseded", superseded_by=newer.submission_id)
            else:
                fact_table = FACT_TABLES[record["return_type"]]
                older = conn.execute(select(submissions.c.submission_id).where(same_return)).scalars().all()
                if older:
                    conn.execute(delete(fact_table).where(fact_table.c.submission_id.in_(older)))
                    summary = FACT_SUMMARIES.get(record["return_type"])
                    if summary is not None:
                        conn.execute(delete(summary).where(summary.c.submission_id.in_(older)))
                    conn.execute(
                        update(submissions)
                        .where(submissions.c.submission_id.in_(older))
                        .values(status="superseded", superseded_by=record["submission_id"])
                    )
        conn.execute(insert(submissions).values(**record))
        if record["status"] == "accepted":  # not superseded by a newer file meanwhile
            for table, rows in loads:
                bulk_insert(conn, table, rows)
    return record


def _check_row_keys(facts: pa.Table, submission_id: str) -> None:
    """Every fact is this submission's, under a row number no other of its facts has.

    The load is the only writer of facts, and on PostgreSQL the spend and workforce facts have no key
    to refuse a repeated row (migration 0014), so the load refuses it, before anything is written."""
    if facts.num_rows == 0:
        return
    owners = facts["submission_id"]
    if owners.null_count or not pc.all(pc.equal(owners, submission_id)).as_py():
        found = pc.unique(owners).to_pylist()
        raise ValueError(f"facts for submission {submission_id} carry the submission ids {found[:5]}")
    rows = facts["row_number"]
    # Facts come in file order, so the row numbers normally rise: that alone proves them distinct.
    ordered = rows.null_count == 0 and bool(np.all(np.diff(rows.to_numpy()) > 0))
    if not ordered and pc.count_distinct(rows, mode="all").as_py() != facts.num_rows:
        raise ValueError(f"facts for submission {submission_id} repeat a row number")


def mark_answer_paid(engine: Engine, submission_id: str) -> None:
    """The member has been answered about this submission (feedback written, e-mail sent or recorded)."""
    with engine.begin() as conn:
        conn.execute(
            update(submissions)
            .where(submissions.c.submission_id == submission_id)
            .values(answer_status="paid")
        )


def _insert_on_conflict(conn: Connection, table: Table):
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL share the clause)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


def sync_members(engine: Engine, rows: Iterable[Mapping[str, Any]]) -> None:
    """Make the members table match the config.

    An upsert, not delete-then-insert: every task process syncs on start-up, and two doing it at once
    with delete-then-insert collide on the primary key on PostgreSQL (each delete misses the other's
    uncommitted rows).
    """
    rows = list(rows)
    with engine.begin() as conn:
        if rows:
            statement = _insert_on_conflict(conn, members)
            updates = {c: statement.excluded[c] for c in rows[0] if c != "member_id"}
            conn.execute(statement.on_conflict_do_update(index_elements=["member_id"], set_=updates), rows)
        conn.execute(delete(members).where(members.c.member_id.not_in([r["member_id"] for r in rows])))


def register_periods(engine: Engine, keys: Iterable[str]) -> None:
    """Register periods (and their financial years); concurrent tasks registering the same one both succeed."""
    rows = {}
    for key in set(keys):
        period = Period.parse(key)
        for p in (period, period.financial_year):
            rows[p.key] = {
                "period": p.key,
                "kind": p.kind,
                "start_date": p.start,
                "end_date": p.end,
                "financial_year": p.financial_year.key,
            }
    if not rows:
        return
    with engine.connect() as conn:  # most files are for a known period: a read, without SQLite's write lock
        known = set(conn.execute(select(periods.c.period).where(periods.c.period.in_(rows))).scalars())
    if known >= rows.keys():
        return
    with engine.begin() as conn:
        statement = _insert_on_conflict(conn, periods)
        conn.execute(
            statement.on_conflict_do_nothing(index_elements=["period"]), sorted(rows.values(), key=str)
        )


def reference_hash(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(reference_files.c.content_hash).where(reference_files.c.name == name)
        ).scalar()


def replace_supplier_register(engine: Engine, register: pa.Table, name: str, content_hash: str) -> None:
    """Swap in a new supplier register in one transaction; KPIs read it at their next run."""
    with engine.begin() as conn:
        conn.execute(delete(suppliers))
        bulk_insert(conn, suppliers, register)
        conn.execute(delete(reference_files).where(reference_files.c.name == name))
        conn.execute(
            insert(reference_files).values(
                name=name, content_hash=content_hash, rows=register.num_rows, loaded_at=datetime.now(UTC)
            )
        )


def replace_kpis(
    engine: Engine,
    values: Iterable[Mapping[str, Any]],
    targets: Iterable[Mapping[str, Any]],
    only_periods: Collection[str] | None = None,
    codes: Collection[str] = (),
    run: Mapping[str, Any] | None = None,
    counted: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Swap in KPI values and targets in one transaction (readers see old or new, never half).

    ``only_periods`` None replaces every stored value; otherwise only the values of those periods and of the
    KPI ``codes`` (families recomputed whole, in every period). ``run`` is recorded in ``kpi_runs`` and
    the ``counted`` submissions (``submission_id`` and ``processed_at`` as the run read them) are marked
    as counted (``kpis_at``) in the same transaction, so a crash leaves both the figures and the work
    still to do as they were. A row replaced since the run read it (a file that could not be processed,
    sent again) has another ``processed_at`` and stays for the next run.
    """
    values, targets = list(values), list(targets)
    with engine.begin() as conn:
        if only_periods is None:
            conn.execute(delete(kpi_value))
        else:
            if only_periods:
                conn.execute(delete(kpi_value).where(kpi_value.c.period.in_(sorted(only_periods))))
            if codes:
                conn.execute(delete(kpi_value).where(kpi_value.c.kpi.in_(sorted(codes))))
        conn.execute(delete(target))
        if targets:
            conn.execute(insert(target), targets)
        if values:
            conn.execute(insert(kpi_value), values)
        marks = [{"sid": row["submission_id"], "processed": row["processed_at"]} for row in counted]
        if marks:
            conn.execute(
                update(submissions)
                .where(
                    (submissions.c.submission_id == bindparam("sid"))
                    & (submissions.c.processed_at == bindparam("processed"))
                )
                .values(kpis_at=run["finished_at"] if run else datetime.now(UTC)),
                marks,
            )
        if run is not None:
            conn.execute(insert(kpi_runs).values(**run))


def record_issued_report(
    engine: Engine, row: Mapping[str, Any], cells: Iterable[Mapping[str, Any]] = ()
) -> bool:
    """Record an issued report and, in the same transaction, the counts of people it published (the
    disclosure ledger). False, and nothing written, when that report id is already recorded: two runs
    issuing the same report at once (a backfill, a rerun) make one record, not a failure."""
    cells = [{**cell, "report_id": row["report_id"], "issued_at": row["issued_at"]} for cell in cells]
    try:
        with engine.begin() as conn:
            conn.execute(insert(issued_reports).values(**row))
            if cells:
                conn.execute(insert(issued_cells), cells)
    except IntegrityError:
        with engine.connect() as conn:
            exists = conn.execute(
                select(issued_reports.c.report_id).where(issued_reports.c.report_id == row["report_id"])
            ).first()
        if exists is None:  # another constraint than the report id: a real fault
            raise
        return False
    return True


# What classification reads, and what spend_by_supplier needs to rebuild a submission's summary.
_SCOPE_READ = tuple(
    dict.fromkeys(
        (
            "row_number",
            "supplier_name",
            "supplier_id",
            "category",
            "department",
            "amount_gbp",
            *SUPPLIER_PROFILE,
        )
    )
)


def reclassify_spend(engine: Engine, classify: Callable[[pd.DataFrame], pd.DataFrame]) -> dict[str, int]:
    """Classify every stored spend line again (``classify`` gives each line's ``out_of_scope`` and
    ``out_of_scope_rule``); one transaction per submission, so a failure leaves each submission under one
    version of the rules. Only lines whose class changed are updated, and their summaries rebuilt."""
    with engine.connect() as conn:
        ids = (
            conn.execute(
                select(submissions.c.submission_id).where(
                    (submissions.c.return_type == "spend") & (submissions.c.status == "accepted")
                )
            )
            .scalars()
            .all()
        )
    changed_lines = 0
    for submission_id in ids:
        with engine.begin() as conn:
            rows = conn.execute(
                select(*(fact_spend.c[c] for c in _SCOPE_READ), fact_spend.c.out_of_scope_rule)
                .where(fact_spend.c.submission_id == submission_id)
                .order_by(fact_spend.c.row_number)
            ).all()
            if not rows:
                continue
            columns = [*_SCOPE_READ, "out_of_scope_rule"]
            lines = pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))
            scope = classify(lines)
            before = lines["out_of_scope_rule"].astype("string").fillna("")
            after = scope["out_of_scope_rule"].fillna("")
            moved = (before != after).to_numpy()
            if not moved.any():
                continue
            changed_lines += int(moved.sum())
            _set_scope(conn, submission_id, lines.loc[moved, "row_number"], scope.loc[moved])
            lines["out_of_scope"] = scope["out_of_scope"]
            lines["submission_id"] = submission_id
            conn.execute(
                delete(spend_by_supplier_table).where(
                    spend_by_supplier_table.c.submission_id == submission_id
                )
            )
            bulk_insert(conn, spend_by_supplier_table, spend_by_supplier(_facts_table(lines)))
    return {"submissions": len(ids), "lines_changed": changed_lines}


# Bound parameters per statement stay well under SQLite's (32,766) and PostgreSQL's (65,535) limits.
_LINES_PER_UPDATE = 5_000


def _set_scope(conn: Connection, submission_id: str, line_numbers: pd.Series, scope: pd.DataFrame) -> None:
    """Write the new class of the lines that moved: one UPDATE per class and chunk of lines, not per line
    (on PostgreSQL each statement reads the submission's rows through its BRIN index, migration 0014)."""
    moved = pd.DataFrame(
        {
            "line": line_numbers.to_numpy(dtype="int64"),
            "category": scope["out_of_scope"].to_numpy(dtype=object),
            "rule": scope["out_of_scope_rule"].to_numpy(dtype=object),
        }
    )
    for (category, rule), group in moved.groupby(["category", "rule"], dropna=False, sort=False):
        lines = group["line"].tolist()
        for start in range(0, len(lines), _LINES_PER_UPDATE):
            conn.execute(
                update(fact_spend)
                .where(
                    (fact_spend.c.submission_id == submission_id)
                    & fact_spend.c.row_number.in_(lines[start : start + _LINES_PER_UPDATE])
                )
                .values(
                    out_of_scope=None if pd.isna(category) else category,
                    out_of_scope_rule=None if pd.isna(rule) else rule,
                )
            )


def _facts_table(lines: pd.DataFrame) -> pa.Table:
    """The columns spend_by_supplier reads, typed as the facts were loaded."""
    needed = ["submission_id", "row_number", "amount_gbp", *SUPPLIER_PROFILE]
    fields = [SPEND_FACT_SCHEMA.field(name) for name in needed]
    arrays = []
    for f in fields:
        values = lines[f.name].astype(object).where(lines[f.name].notna(), None).tolist()
        if pa.types.is_decimal(f.type):
            arrays.append(
                pa.array([None if v is None else float(v) for v in values], pa.float64()).cast(f.type)
            )
        else:
            arrays.append(pa.array(values, f.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def record_reference(engine: Engine, name: str, content_hash: str, rows: int) -> None:
    """Remember which version of a reference file the warehouse follows (``reference_files``)."""
    with engine.begin() as conn:
        conn.execute(delete(reference_files).where(reference_files.c.name == name))
        conn.execute(
            insert(reference_files).values(
                name=name, content_hash=content_hash, rows=rows, loaded_at=datetime.now(UTC)
            )
        )

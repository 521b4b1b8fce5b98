"""Every read of the warehouse the steps make, in one place: what the KPIs, the report, the returns
tracker and the e-mail retries ask of it.

Functions take an engine and return plain rows or DataFrames; they know tables, not networks.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Date,
    Engine,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    tuple_,
    type_coerce,
)

from warehouse.bulk_read import copy_out
from warehouse.schema import (
    fact_measure,
    fact_recruitment,
    fact_spend,
    fact_workforce,
    issued_cells,
    issued_reports,
    kpi_runs,
    kpi_value,
    reference_files,
    spend_by_supplier,
    submissions,
    suppliers,
    target,
)

STAFF_COLUMNS = (
    "member_id",
    "snapshot_date",
    "person_key",
    "hourly_rate_gbp",
    "weekly_hours",
    "employment_basis",
    "is_apprentice",
    "apprenticeship_start_date",
    "home_postcode_district",
    "home_postcode_area",
)
SPEND_PROFILE_COLUMNS = (
    "member_id",
    "period",
    "size",
    "is_vcse",
    "is_diverse",
    "area",
    "district",
    "out_of_scope",
    "size_source",
    "amount",
)


@contextmanager
def many_rows() -> Iterator[None]:
    """Reading many rows into Python objects, with CPython's cycle collector paused meanwhile.

    Rows, their values and the columns built from them hold no reference cycles, so reference counting
    frees them; but each hundred thousand or so new objects sets off a full collection, which walks
    every object of the process (the libraries' own, about 400,000 in a task that has imported Airflow
    and GX): about 0.3 s each, and a third of the KPI step's time at 50 members. The collector is
    switched back on as it was found, so a read inside another one leaves it paused until the outer one
    ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- KPI inputs -------------------------------------------------------------------------------------
def spend_by_supplier_profile(
    engine: Engine, periods: Iterable[str] | None = None, members: Iterable[str] | None = None
) -> pd.DataFrame:
    """Direct spend summed per member, period and supplier profile; supplier flags from the line, else the
    register, matched on supplier id first, then on the normalised name; with the scope category and the
    size's source, for the in-scope shares and the coverage figures. ``periods``: only those (the
    financial years an incremental KPI run recomputes); None: every period. ``members``: only those."""
    f = spend_by_supplier
    by_id = suppliers.alias("by_id")
    by_name = suppliers.alias("by_name")
    profile = {
        "size": func.coalesce(f.c.supplier_size, by_id.c.size, by_name.c.size),
        "is_vcse": func.coalesce(f.c.is_vcse, by_id.c.is_vcse, by_name.c.is_vcse),
        "is_diverse": func.coalesce(
            f.c.is_diverse_owned, by_id.c.is_diverse_owned, by_name.c.is_diverse_owned
        ),
        "area": func.coalesce(f.c.postcode_area, by_id.c.postcode_area, by_name.c.postcode_area),
        "district": func.coalesce(
            f.c.postcode_district, by_id.c.postcode_district, by_name.c.postcode_district
        ),
        # The category of payment the network's rules set out of scope (null: spend it can influence).
        "out_of_scope": f.c.out_of_scope,
        # Where the size came from: the line itself, else the register entry's own source text.
        "size_source": case(
            (f.c.supplier_size.is_not(None), literal("member_return")),
            (by_id.c.size.is_not(None), func.coalesce(by_id.c.source, "")),
            (by_name.c.size.is_not(None), func.coalesce(by_name.c.source, "")),
            else_=None,
        ),
    }
    keys = [f.c.member_id, f.c.period, *(expr.label(name) for name, expr in profile.items())]
    query = (
        select(*keys, func.sum(f.c.amount_gbp).label("amount"))
        .select_from(
            f.outerjoin(by_id, by_id.c.supplier_id == f.c.supplier_id).outerjoin(
                by_name, and_(by_id.c.supplier_ref.is_(None), by_name.c.name_key == f.c.supplier_name_key)
            )
        )
        .where(f.c.spend_tier == "direct")
        .group_by(f.c.member_id, f.c.period, *profile.values())
    )
    if periods is not None:
        query = query.where(f.c.period.in_(sorted(set(periods))))
    if members is not None:
        query = query.where(f.c.member_id.in_(sorted(set(members))))
    with many_rows(), engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            query = query.with_only_columns(*map(_as_stored, query.selected_columns))
        frame = pd.DataFrame(
            _by_column(conn.execute(query).all(), SPEND_PROFILE_COLUMNS), columns=list(SPEND_PROFILE_COLUMNS)
        )
    frame["amount"] = frame["amount"].astype("float64")
    for flag in ("is_vcse", "is_diverse"):
        frame[flag] = frame[flag].astype("boolean")
    return frame


def snapshot_dates(engine: Engine) -> pd.DataFrame:
    """Each member's workforce snapshot dates, with the period of the return that carried each one and
    its number of staff rows.

    Grouped along the ``(member_id, snapshot_date)`` index: an incremental KPI run picks from these the
    snapshots it must read (the years it recomputes, and each member's snapshot before them), and the
    staff counts size the batches the KPI step reads them in (:func:`staff_snapshot_batches`).
    """
    w = fact_workforce
    query = select(w.c.member_id, w.c.snapshot_date, w.c.period, func.count().label("staff")).group_by(
        w.c.member_id, w.c.snapshot_date, w.c.period
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["member_id", "snapshot_date", "period", "staff"])
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    return frame


# Spend summary rows (one per member, period and supplier profile) the KPI step holds at once.
SPEND_ROWS_PER_READ = 200_000


def spend_profile_batches(
    engine: Engine, periods: Iterable[str] | None = None, max_rows: int | None = None
) -> Iterator[pd.DataFrame]:
    """:func:`spend_by_supplier_profile` in batches of whole members of at most ``max_rows`` summary rows
    (default :data:`SPEND_ROWS_PER_READ`; a bigger member alone), so the KPI step's memory follows that
    bound, not the number of members times their suppliers."""
    f = spend_by_supplier
    query = select(f.c.member_id, func.count()).where(f.c.spend_tier == "direct").group_by(f.c.member_id)
    if periods is not None:
        query = query.where(f.c.period.in_(sorted(set(periods))))
    with engine.connect() as conn:
        sizes = {member: int(rows) for member, rows in conn.execute(query).all()}
    for batch in member_batches(sizes, SPEND_ROWS_PER_READ if max_rows is None else max_rows):
        yield spend_by_supplier_profile(engine, periods, batch)


def member_batches(sizes: Mapping[str, int], bound: int) -> list[list[str]]:
    """Members in order, grouped so that each group's rows stay within ``bound`` (a member with more is a
    group of its own): the KPI step reads a group at a time."""
    batches: list[list[str]] = []
    batch: list[str] = []
    rows = 0
    for member in sorted(sizes):
        if batch and rows + sizes[member] > bound:
            batches.append(batch)
            batch, rows = [], 0
        batch.append(member)
        rows += sizes[member]
    if batch:
        batches.append(batch)
    return batches


def staff_snapshots(engine: Engine, snapshots: Iterable[tuple[str, Any]] | None = None) -> pd.DataFrame:
    """Current workforce facts (pseudonymised), typed for the KPI maths: every snapshot, or only the
    ``(member_id, snapshot_date)`` pairs given (found through the index of the same name). On
    PostgreSQL they come out in bulk (``warehouse.bulk_read``), elsewhere as rows."""
    w = fact_workforce
    query = select(*(w.c[c] for c in STAFF_COLUMNS))
    if snapshots is not None:
        pairs = sorted({(member, pd.Timestamp(day).date()) for member, day in snapshots})
        if not pairs:
            return staff_snapshots_frame({})
        query = query.where(tuple_(w.c.member_id, w.c.snapshot_date).in_(pairs))
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            staff = copy_out(conn, query)
            return staff_snapshots_frame(
                {name: staff.column(name).to_pandas(date_as_object=False) for name in STAFF_COLUMNS}
            )
        with many_rows():
            rows = conn.execute(query.with_only_columns(*map(_as_stored, query.selected_columns))).all()
            return staff_snapshots_frame(_by_column(rows, STAFF_COLUMNS))


def _by_column(rows: list[Any], names: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """Fetched rows as columns (none if there are no rows), for a DataFrame: given a list of rows, pandas
    inspects every row (1.5 s for 200,000 staff rows)."""
    return dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {}


def _as_stored(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A column read as SQLite stores it, for a frame that types whole columns afterwards: dates as ISO
    text, flags as 0 and 1, and a stored exact number as the double it is stored as. SQLAlchemy would
    make each value a ``date``, a ``bool`` or a ``Decimal`` first, one at a time (200,000 staff rows:
    1.08 -> 0.76 s). A number computed in the query (a sum of doubles) keeps its type: SQLAlchemy rounds
    it to the column's scale (0.1 + 0.2 is 0.30, not 0.30000000000000004), and the KPIs rely on that."""
    kind = column.type
    if isinstance(kind, Date):
        return type_coerce(column, String).label(column.name)
    if isinstance(kind, Boolean):
        return type_coerce(column, Integer).label(column.name)
    if isinstance(kind, Numeric) and isinstance(column, Column):
        return type_coerce(column, Float).label(column.name)
    return column


# Staff rows the KPI step holds at once (about 150 MB as a typed frame): whole members, so a member with
# more is read alone.
STAFF_ROWS_PER_READ = 100_000


def staff_snapshot_batches(
    engine: Engine,
    dates: pd.DataFrame,
    snapshots: Iterable[tuple[str, Any]] | None = None,
    max_rows: int | None = None,
) -> Iterator[pd.DataFrame]:
    """:func:`staff_snapshots` (every snapshot, or the ``(member_id, snapshot_date)`` pairs given) in
    batches of whole members of at most ``max_rows`` staff rows, so the KPI step's memory follows that
    bound (default :data:`STAFF_ROWS_PER_READ`) or the largest member, never the size of the network or
    of its history. ``dates``: :func:`snapshot_dates`, whose staff counts size the batches."""
    bound = STAFF_ROWS_PER_READ if max_rows is None else max_rows
    sizes = (
        dates.assign(day=dates["snapshot_date"].dt.date)
        .groupby(["member_id", "day"])["staff"]
        .sum()
        .to_dict()
    )
    wanted = (
        set(sizes) if snapshots is None else {(member, pd.Timestamp(day).date()) for member, day in snapshots}
    )
    by_member: dict[str, list[tuple[str, Any]]] = {}
    for member, day in sorted(wanted):
        by_member.setdefault(member, []).append((member, day))
    rows = {member: sum(int(sizes.get(pair, 0)) for pair in pairs) for member, pairs in by_member.items()}
    for batch in member_batches(rows, bound):
        yield staff_snapshots(engine, [pair for member in batch for pair in by_member[member]])


def staff_snapshots_frame(columns: Mapping[str, Any]) -> pd.DataFrame:
    """Columns of :data:`STAFF_COLUMNS` (none: no rows) as the typed frame the workforce KPIs take, the
    same whether the values came as Python objects or as Arrow columns."""
    frame = pd.DataFrame(dict(columns), columns=list(STAFF_COLUMNS))
    for column in ("hourly_rate_gbp", "weekly_hours"):
        frame[column] = frame[column].astype("float64")
    for column in ("snapshot_date", "apprenticeship_start_date"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    frame["is_apprentice"] = frame["is_apprentice"].astype("boolean")
    return frame


def measure_values(engine: Engine, periods: Iterable[str] | None = None) -> pd.DataFrame:
    """Measures facts (member, period, measure, value): every period, or only ``periods``."""
    m = fact_measure
    query = select(m.c.member_id, m.c.period, m.c.measure_code, m.c.value)
    if periods is not None:
        query = query.where(m.c.period.in_(sorted(set(periods))))
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(query).all(),
            columns=["member_id", "period", "measure_code", "value"],
        )
    frame["value"] = frame["value"].astype("float64")
    return frame


RECRUITMENT_COLUMNS = (
    "member_id",
    "offer_date",
    "start_date",
    "programme_code",
    "previously_unemployed",
    "age_band",
    "ethnic_group",
    "disability",
    "home_postcode_district",
    "deprivation_decile",
    "still_in_post_6m",
)


def recruitment_offers(engine: Engine) -> pd.DataFrame:
    """Every current recruitment fact (one row per offer; no person is identifiable from it)."""
    r = fact_recruitment
    with engine.connect() as conn:
        rows = conn.execute(select(*(r.c[c] for c in RECRUITMENT_COLUMNS))).all()
    return pd.DataFrame(
        dict(zip(RECRUITMENT_COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {},
        columns=list(RECRUITMENT_COLUMNS),
    )


def programme_measures(engine: Engine) -> pd.DataFrame:
    """Measures rows that name a programme: programme_code, period, measure_code, value."""
    m = fact_measure
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.c.programme_code, m.c.period, m.c.measure_code, m.c.value).where(
                m.c.programme_code.is_not(None)
            )
        ).all()
    frame = pd.DataFrame(rows, columns=["programme_code", "period", "measure_code", "value"])
    frame["value"] = frame["value"].astype("float64")
    return frame


# -- suppliers -------------------------------------------------------------------------------------
def suppliers_of_unknown_size(engine: Engine, only_unknown: bool = True) -> pd.DataFrame:
    """In-scope suppliers in the warehouse, one per normalised name, with their spend (largest first).

    With ``only_unknown`` a supplier whose size the returns or the register already give is left out.
    """
    f = fact_spend
    query = (
        select(
            f.c.supplier_name_key,
            f.c.supplier_id,
            f.c.supplier_name,
            f.c.supplier_postcode,
            func.sum(f.c.amount_gbp).label("spend"),
            func.count(f.c.supplier_size).label("sized_lines"),
            func.count().label("lines"),
        )
        .where(f.c.out_of_scope.is_(None) & f.c.supplier_name_key.is_not(None))
        .group_by(f.c.supplier_name_key, f.c.supplier_id, f.c.supplier_name, f.c.supplier_postcode)
    )
    with engine.connect() as conn:
        rows = pd.DataFrame(
            conn.execute(query).all(),
            columns=["name_key", "supplier_id", "supplier_name", "postcode", "spend", "sized_lines", "lines"],
        )
        sized = pd.DataFrame(
            conn.execute(
                select(suppliers.c.name_key, suppliers.c.supplier_id).where(suppliers.c.size.is_not(None))
            ).all(),
            columns=["name_key", "supplier_id"],
        )
    rows["spend"] = rows["spend"].astype("float64")
    ranked = rows.sort_values("spend", ascending=False, kind="stable")
    per_name = ranked.groupby("name_key", sort=False).agg(
        supplier_id=("supplier_id", "first"),
        supplier_name=("supplier_name", "first"),
        postcode=("postcode", lambda v: v.dropna().iloc[0] if v.notna().any() else None),
        spend_gbp=("spend", "sum"),
        sized_lines=("sized_lines", "sum"),
        lines=("lines", "sum"),
    )
    per_name = per_name.reset_index()
    if only_unknown:
        known = (
            (per_name["sized_lines"] == per_name["lines"])
            | per_name["name_key"].isin(sized["name_key"].dropna())
            | per_name["supplier_id"].isin(sized["supplier_id"].dropna())
        )
        per_name = per_name[~known]
    return per_name.sort_values("spend_gbp", ascending=False, ignore_index=True)[
        ["supplier_id", "supplier_name", "postcode", "spend_gbp"]
    ]


# -- KPIs and targets -------------------------------------------------------------------------------
def kpi_values(
    engine: Engine, periods: Iterable[str], scopes: tuple[str, ...] = ("network", "member", "sector")
) -> pd.DataFrame:
    """Stored KPI values of some periods, network first, then by scope id and KPI."""
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(kpi_value)
                .where(kpi_value.c.period.in_(list(periods)) & kpi_value.c.scope.in_(scopes))
                .order_by(kpi_value.c.scope.desc(), kpi_value.c.scope_id, kpi_value.c.kpi)
            )
            .mappings()
            .all()
        )
    return pd.DataFrame(rows, columns=[c.name for c in kpi_value.columns])


def kpi_families(engine: Engine, prefixes: Iterable[str]) -> pd.DataFrame:
    """Stored KPI values whose code starts with one of ``prefixes``, in every scope and period.

    The recruitment figures' disclosure control weighs every period at once (a year against its quarters,
    one "to date" against the last), so the report reads the whole family, not one period's rows.
    """
    wanted = [kpi_value.c.kpi.startswith(prefix, autoescape=True) for prefix in prefixes]
    if not wanted:
        return pd.DataFrame(columns=[c.name for c in kpi_value.columns])
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(kpi_value)
                .where(or_(*wanted))
                .order_by(kpi_value.c.period, kpi_value.c.scope, kpi_value.c.scope_id, kpi_value.c.kpi)
            )
            .mappings()
            .all()
        )
    return pd.DataFrame(rows, columns=[c.name for c in kpi_value.columns])


def kpi_codes(engine: Engine) -> set[str]:
    """Every KPI code stored, in any period (an incremental run replaces some families whole)."""
    with engine.connect() as conn:
        return set(conn.execute(select(kpi_value.c.kpi).distinct()).scalars())


def last_kpi_run(engine: Engine) -> dict[str, Any] | None:
    """The latest KPI run (``kpi_runs``), or None before the first."""
    with engine.connect() as conn:
        row = conn.execute(select(kpi_runs).order_by(kpi_runs.c.run_id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def reference_file_hashes(engine: Engine) -> list[tuple[str, str]]:
    """(name, content hash) of every reference file the warehouse follows (the supplier register, the
    spend scope rules): a new version of one changes figures no submission touched."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(reference_files.c.name, reference_files.c.content_hash).order_by(reference_files.c.name)
        ).all()
    return [(name, digest) for name, digest in rows]


def targets(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(select(target)).mappings().all(), columns=[c.name for c in target.columns]
        )


# -- submissions ------------------------------------------------------------------------------------
def owed_answers(engine: Engine) -> list[dict[str, Any]]:
    """Submissions whose member is still owed an answer (a crash between the load and the feedback)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(submissions)
            .where(submissions.c.answer_status == "owed")
            .order_by(submissions.c.received_at, submissions.c.submission_id)
        ).mappings()
        return [dict(r) for r in rows]


def submissions_awaiting_kpis(engine: Engine) -> list[dict[str, Any]]:
    """Submissions recorded (or replaced) since a KPI run last counted them (``kpis_at`` empty)."""
    s = submissions
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                s.c.submission_id, s.c.processed_at, s.c.member_id, s.c.return_type, s.c.period, s.c.status
            ).where(s.c.kpis_at.is_(None))
        ).mappings()
        return [dict(r) for r in rows]


def lake_paths(engine: Engine) -> set[str]:
    """Every lake file a submission names (accepted now or superseded since)."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(submissions.c.lake_path).where(submissions.c.lake_path.is_not(None))
            ).scalars()
        )


def raw_file_holds(engine: Engine) -> list[dict[str, Any]]:
    """What the retention step must weigh before deleting an original: per submission, the archive copy
    it names, when it was received and whether its answer is still owed.

    One archive copy serves every submission of the same member, bytes and name (the copy is written
    once), so a copy is as old as the latest submission naming it, not as the file.
    """
    s = submissions
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.c.submission_id, s.c.member_id, s.c.archive_path, s.c.received_at, s.c.answer_status)
        ).mappings()
        return [dict(r) for r in rows]


def submission(engine: Engine, submission_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = (
            conn.execute(select(submissions).where(submissions.c.submission_id == submission_id))
            .mappings()
            .first()
        )
    return dict(row) if row else None


def submissions_for(engine: Engine, periods: Iterable[str]) -> pd.DataFrame:
    """Every audit row of some periods (all statuses)."""
    with engine.connect() as conn:
        rows = (
            conn.execute(select(submissions).where(submissions.c.period.in_(list(periods)))).mappings().all()
        )
    return pd.DataFrame(rows, columns=[c.name for c in submissions.columns])


def accepted_periods(engine: Engine) -> list[str]:
    """Periods with at least one accepted return."""
    with engine.connect() as conn:
        return list(
            conn.execute(select(submissions.c.period).where(submissions.c.status == "accepted").distinct())
            .scalars()
            .all()
        )


def count_accepted(engine: Engine, periods: Iterable[str]) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(submissions)
                .where(submissions.c.period.in_(list(periods)) & (submissions.c.status == "accepted"))
            ).scalar()
            or 0
        )


def count_submissions(engine: Engine) -> int:
    """Every audit row, whatever its status: zero means the network has loaded nothing yet."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(submissions)).scalar() or 0)


# -- issued reports ---------------------------------------------------------------------------------
def issued_reports_of(engine: Engine, network_id: str, period: str | None = None) -> list[dict[str, Any]]:
    """Issued reports, oldest first (all periods unless one is named)."""
    query = select(issued_reports).where(issued_reports.c.network_id == network_id)
    if period:
        query = query.where(issued_reports.c.period == period)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(issued_reports.c.issued_at, issued_reports.c.report_id)).mappings()
        return [dict(r) for r in rows]


def issued_people_cells(engine: Engine) -> pd.DataFrame:
    """The ledger of counts of people earlier reports issued: kpi, scope, scope_id, period, value, hidden."""
    columns = ["kpi", "scope", "scope_id", "period", "value", "hidden"]
    with engine.connect() as conn:
        rows = conn.execute(select(*(issued_cells.c[c] for c in columns))).all()
    return pd.DataFrame(rows, columns=columns)

"""Warehouse tables. Alembic migrations in ``warehouse/migrations`` create and evolve them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _rows_of_a_submission(table: str) -> tuple[PrimaryKeyConstraint, Index]:
    """How the high-volume fact tables find a submission's rows, per backend (migration 0014).

    Nothing reads these tables by (submission, row): a submission's rows are written by one load, deleted
    by one supersede and re-read by one reclassification. On PostgreSQL a B-tree key costs the server
    about 4 µs per loaded row (a random place in a deep tree for every row), so the rows carry a BRIN
    index instead, about 0.5 µs: a submission's rows sit together in the heap, and each range of pages
    records the smallest and largest submission in it. The server's CPU per loaded row in the bench
    fell by a quarter to two fifths (bench/README.md). The row numbers stay unique because the load
    checks them and is the only writer (``warehouse.load.record_submission``). On SQLite, which has no
    BRIN, the key stays: an index on the submission alone costs as much as the key.
    """
    return (
        PrimaryKeyConstraint("submission_id", "row_number").ddl_if(dialect="sqlite"),
        Index(
            f"ix_{table}_submission",
            "submission_id",
            postgresql_using="brin",
            postgresql_with={"autosummarize": "on"},
        ).ddl_if(dialect="postgresql"),
    )


def created_on(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for comparing a warehouse on ``dialect`` with this metadata: an object
    built only on other backends (``ddl_if``) is not missing from this one."""

    def include(item: Any, _name: str | None, _type: str, reflected: bool, _compare_to: Any) -> bool:
        only = getattr(item, "_ddl_if", None)
        if reflected or only is None or only.dialect is None:
            return True
        return dialect == only.dialect if isinstance(only.dialect, str) else dialect in only.dialect

    return include


members = Table(
    "members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sector", String(40), nullable=False),
    Column("contact_email", String(200)),
)

periods = Table(
    "periods",
    metadata,
    Column("period", String(12), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("financial_year", String(8), nullable=False),
)

suppliers = Table(
    "suppliers",
    metadata,
    Column("supplier_ref", Integer, primary_key=True, autoincrement=False),
    Column("supplier_id", String(40), index=True),
    Column("supplier_name", String(300), nullable=False),
    # Normalised name; NULL when two register entries fold to the same key, so a name match is never ambiguous.
    Column("name_key", String(300), index=True),
    Column("postcode", String(10)),
    Column("postcode_area", String(2)),
    Column("postcode_district", String(4)),
    Column("employees", Integer),
    Column("turnover_gbp", Numeric(16, 2)),
    Column("size", String(8)),
    Column("is_vcse", Boolean),
    Column("is_diverse_owned", Boolean),
    Column("source", String(200)),
    Column("as_of", Date),
)

reference_files = Table(
    "reference_files",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

# One row per file taken (and per "could not process" answer). The same bytes count once per member, return
# type and period (migration 0010): identical content from another member or for another period is its own
# submission, never a duplicate of someone else's file.
submissions = Table(
    "submissions",
    metadata,
    Column("submission_id", String(16), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("return_type", String(20), nullable=False),
    Column("period", String(12), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),  # accepted | quarantined | superseded
    Column("rows_read", Integer, nullable=False),
    Column("rows_loaded", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    # Totals rows ("Grand Total", or an unlabelled sum of the rows above) not loaded and not counted as
    # problems: rows_read = rows_loaded + rows_rejected + rows_set_aside (migration 0013).
    Column("rows_set_aside", Integer, nullable=False, server_default="0"),
    Column("accepted_total_gbp", Numeric(16, 2)),
    Column("reason", Text),
    Column("superseded_by", String(16)),
    Column("shape", String(20)),
    Column("encoding", String(20)),
    Column("archive_path", String(500)),
    Column("lake_path", String(500)),
    Column("feedback_path", String(500)),
    # The member's answer (feedback files, e-mail): "owed" from the load's transaction until it is written
    # and sent, then "paid"; a crash in between leaves it owed for the next run (migration 0010).
    Column("answer_status", String(8)),
    # For engineers: why a file could not be processed (the exception), when it was quarantined for that.
    Column("error", Text),
    # When a KPI run counted this row (migration 0012): empty from the load until the next KPI run, which
    # recomputes the financial years of the rows still empty, and marks them in the transaction that
    # stores the figures. A row written during a run stays empty for the next one.
    Column("kpis_at", DateTime(timezone=True)),
    Index("ix_submissions_return", "member_id", "return_type", "period"),
    UniqueConstraint(
        "member_id", "return_type", "period", "content_hash", name="uq_submissions_return_content"
    ),
)

fact_spend = Table(
    "fact_spend",
    metadata,
    Column("submission_id", String(16), nullable=False),  # no foreign key: see migration 0006
    Column("row_number", BigInteger, nullable=False),
    *_rows_of_a_submission("fact_spend"),
    Column("member_id", String(64), nullable=False),
    Column("period", String(12), nullable=False),
    Column("payment_date", Date),
    Column("supplier_name", String(300), nullable=False),
    Column("supplier_name_key", String(300)),
    Column("supplier_id", String(40)),
    Column("supplier_postcode", String(10)),
    Column("postcode_area", String(2)),
    Column("postcode_district", String(4)),
    Column("amount_gbp", Numeric(14, 2), nullable=False),
    Column("transaction_id", String(100)),
    Column("category", String(200)),
    Column("department", String(200)),
    Column("supplier_size", String(8)),
    Column("is_vcse", Boolean),
    Column("is_diverse_owned", Boolean),
    Column("spend_tier", String(10), nullable=False),
    # Category and rule that put the line outside the influenceable spend; NULL = in scope (migration 0008).
    Column("out_of_scope", String(40)),
    Column("out_of_scope_rule", String(60)),
    # No (period, member_id) index: nothing reads fact_spend by period (the KPIs read spend_by_supplier),
    # and it was a fifth of the server's work per loaded row (migration 0012).
)

# fact_spend summed per submission and supplier profile (transforms.spend.spend_by_supplier), written
# in the same transaction as the facts: what the spend KPIs read.
spend_by_supplier = Table(
    "spend_by_supplier",
    metadata,
    Column("submission_id", String(16), primary_key=True),
    Column("line_group", Integer, primary_key=True, autoincrement=False),
    Column("member_id", String(64), nullable=False),
    Column("period", String(12), nullable=False),
    Column("spend_tier", String(10), nullable=False),
    Column("supplier_id", String(40)),
    Column("supplier_name_key", String(300)),
    Column("supplier_size", String(8)),
    Column("is_vcse", Boolean),
    Column("is_diverse_owned", Boolean),
    Column("postcode_area", String(2)),
    Column("postcode_district", String(4)),
    Column("out_of_scope", String(40)),
    Column("amount_gbp", Numeric(16, 2), nullable=False),
    Column("lines", Integer, nullable=False),
)

fact_workforce = Table(
    "fact_workforce",
    metadata,
    Column("submission_id", String(16), nullable=False),  # no foreign key: see migration 0006
    Column("row_number", BigInteger, nullable=False),
    *_rows_of_a_submission("fact_workforce"),
    Column("member_id", String(64), nullable=False),
    Column("period", String(12), nullable=False),
    Column("snapshot_date", Date, nullable=False),
    # Keyed hash (HMAC-SHA256) of member id + employee reference; the raw reference is never stored.
    Column("person_key", String(64), nullable=False),
    Column("hourly_rate_gbp", Numeric(8, 2), nullable=False),
    Column("weekly_hours", Numeric(6, 2), nullable=False),
    Column("employment_basis", String(12), nullable=False),
    Column("is_apprentice", Boolean, nullable=False),
    Column("apprenticeship_start_date", Date),
    Column("home_postcode_district", String(4)),
    Column("home_postcode_area", String(2)),
    Column("age_band", String(40)),
    Column("sex", String(40)),
    Column("ethnicity_group", String(80)),
    Column("disability", String(40)),
    Index("ix_fact_workforce_member_person", "member_id", "person_key"),
    Index("ix_fact_workforce_period_member", "period", "member_id"),
    # The KPIs read the snapshots of the years they recompute and each member's one before (migration 0012).
    Index("ix_fact_workforce_member_snapshot", "member_id", "snapshot_date"),
)

kpi_value = Table(
    "kpi_value",
    metadata,
    Column("kpi", String(60), primary_key=True),
    Column("scope", String(10), primary_key=True),  # network | member | sector
    Column("scope_id", String(64), primary_key=True),
    Column("period", String(12), primary_key=True),
    Column("value", Float),
    Column("unit", String(40), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

# One row per KPI run (migration 0012): when it started (the submissions processed since then are the next
# run's work), whether it recomputed everything, which periods it replaced, and the fingerprint of what
# every figure depends on besides the facts (config, reference files, the KPI code): when that changes the
# next run recomputes everything.
kpi_runs = Table(
    "kpi_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("full", Boolean, nullable=False),
    Column("periods", Text, nullable=False),  # JSON list of the period keys replaced
    Column("inputs_hash", String(64), nullable=False),
)

# Every e-mail to a member (feedback on a file, reminders about returns). ``key`` makes each one idempotent:
# ``feedback/<submission>/<file>`` or ``chaser/<member>/<day>``, so a re-run never mails twice.
member_emails = Table(
    "member_emails",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("kind", String(20), nullable=False),  # feedback | reminder | overdue
    Column("member_id", String(64), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("about", Text),  # the returns or file the message is about, for people reading the table
    Column("sent_on", Date, nullable=False),
    Column("status", String(10), nullable=False),  # sending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_member_emails_member_day", "member_id", "sent_on"),
)

fact_measure = Table(
    "fact_measure",
    metadata,
    Column("submission_id", String(16), primary_key=True),  # no foreign key: see migration 0006
    Column("row_number", BigInteger, primary_key=True),
    Column("member_id", String(64), nullable=False),
    Column("period", String(12), nullable=False),
    Column("measure_code", String(64), nullable=False),
    Column("value", Numeric(18, 4), nullable=False),
    Column("unit", String(40)),
    Column("notes", Text),
    Column("evidence_ref", String(300)),
    Column("programme_code", String(64)),  # the programme the figure belongs to, if any (migration 0008)
    Index("ix_fact_measure_period_member", "period", "member_id"),
)

# One row per job offer from recruitment returns: no identifier, only coarse answers (special-category
# data: published only as suppressed aggregates, see transforms.recruitment_kpis).
fact_recruitment = Table(
    "fact_recruitment",
    metadata,
    Column("submission_id", String(16), primary_key=True),  # no foreign key: see migration 0006
    Column("row_number", BigInteger, primary_key=True),
    Column("member_id", String(64), nullable=False),
    Column("period", String(12), nullable=False),
    Column("offer_date", Date, nullable=False),
    Column("start_date", Date),
    Column("programme_code", String(64)),
    Column("previously_unemployed", Boolean, nullable=False),
    Column("age_band", String(20)),
    Column("ethnic_group", String(20)),
    Column("disability", String(20)),
    Column("home_postcode_district", String(4)),
    Column("deprivation_decile", SmallInteger),
    Column("still_in_post_6m", Boolean),
    Index("ix_fact_recruitment_period_member", "period", "member_id"),
)

target = Table(
    "target",
    metadata,
    Column("kpi", String(80), primary_key=True),
    Column("scope", String(10), primary_key=True),  # network | member
    Column("scope_id", String(64), primary_key=True),
    Column("period", String(12), primary_key=True),
    Column("target", Float, nullable=False),
    Column("direction", String(6), nullable=False),
    Column("source", String(200), nullable=False),  # the config file or the droppable targets file
)

# Every City Hall report issued: what it was built from, a fingerprint of its content, where it went.
# A re-issue whose fingerprint equals the period's last one is not recorded or e-mailed again.
issued_reports = Table(
    "issued_reports",
    metadata,
    Column("report_id", String(100), primary_key=True),  # <network>-<period>-r<n>
    Column("network_id", String(64), nullable=False),
    Column("period", String(12), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("source_submission_ids", Text, nullable=False),  # JSON list, sorted
    Column("fingerprint", String(64), nullable=False),  # sha256 of the HTML
    Column(
        "paths", Text, nullable=False
    ),  # JSON: {"html": ..., "pdf": ..., "xlsx": ...} in bucket and outbox
    Column("emailed_to", Text),  # JSON list of recipients, null when not e-mailed
    Column("email_status", String(20), nullable=False),  # sent | failed | disabled | no recipients
    Index("ix_issued_reports_network_period", "network_id", "period", "issued_at"),
)

# The ledger of counts of people each issued report published, shown (with the value) or hidden, so that
# a later report never reveals by difference what an earlier one hid (docs/disclosure-control.md).
issued_cells = Table(
    "issued_cells",
    metadata,
    Column("report_id", String(100), primary_key=True),
    Column("kpi", String(60), primary_key=True),
    Column("scope", String(10), primary_key=True),
    Column("scope_id", String(64), primary_key=True),
    Column("period", String(12), primary_key=True),
    Column("value", Float),  # null when hidden: the ledger keeps no more than the report showed
    Column("hidden", Boolean, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)

FACT_TABLES = {
    "spend": fact_spend,
    "workforce": fact_workforce,
    "measures": fact_measure,
    "recruitment": fact_recruitment,
}
# Tables derived from a submission's facts, kept with them (written and superseded in the same transaction).
FACT_SUMMARIES = {"spend": spend_by_supplier}

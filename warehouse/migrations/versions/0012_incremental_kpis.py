"""KPIs incremental: a record of KPI runs, the workforce snapshots by member and date, no period index on spend

``submissions.kpis_at`` (empty until a KPI run has counted the row) and ``kpi_runs`` let a KPI run
recompute only the financial years the submissions since the last run touched (and everything when the
config, a reference file or the KPI code changed). Rows already there count as counted: the figures
stored were computed from them. The workforce matching reads
the snapshots of those years and each member's snapshot before them: ``(member_id, snapshot_date)``.
``fact_spend``'s ``(period, member_id)`` index is dropped: no query reads the facts by period (EXPLAIN on
PostgreSQL: the KPIs read ``spend_by_supplier``; supersede, reclassification and the supplier list go by
submission id or scan every line), and keeping it cost a fifth of the server's work per loaded row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("kpis_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE submissions SET kpis_at = processed_at"))
    op.create_table(
        "kpi_runs",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("periods", sa.Text(), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_index(
        "ix_fact_workforce_member_snapshot", "fact_workforce", ["member_id", "snapshot_date"], unique=False
    )
    op.drop_index("ix_fact_spend_period_member", table_name="fact_spend")


def downgrade() -> None:
    op.create_index("ix_fact_spend_period_member", "fact_spend", ["period", "member_id"], unique=False)
    op.drop_index("ix_fact_workforce_member_snapshot", table_name="fact_workforce")
    op.drop_table("kpi_runs")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("kpis_at")

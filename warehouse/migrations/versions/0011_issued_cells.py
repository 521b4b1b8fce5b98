"""issued cells: the ledger of every count of people a report issued, shown or hidden

Disclosure control weighs a new report against what earlier reports already published
(``docs/disclosure-control.md``): a figure an earlier report hid stays hidden, and one it showed is known
to every reader, so it can never be the complement that hides another.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_cells",
        sa.Column("report_id", sa.String(length=100), nullable=False),
        sa.Column("kpi", sa.String(length=60), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "kpi", "scope", "scope_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("issued_cells")

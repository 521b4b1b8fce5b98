"""issued reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_reports",
        sa.Column("report_id", sa.String(length=100), nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_submission_ids", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("paths", sa.Text(), nullable=False),
        sa.Column("emailed_to", sa.Text(), nullable=True),
        sa.Column("email_status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
    )
    with op.batch_alter_table("issued_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_issued_reports_network_period", ["network_id", "period", "issued_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("issued_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_issued_reports_network_period")
    op.drop_table("issued_reports")

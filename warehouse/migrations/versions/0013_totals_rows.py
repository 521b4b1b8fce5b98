"""Totals rows set aside: ``submissions.rows_set_aside``

A "Grand Total" row, or an unlabelled row whose amount is the sum of the rows above it, is not loaded
(it would count the spend twice) but is no fault of the member either: it is counted on its own, so that
``rows_read = rows_loaded + rows_rejected + rows_set_aside`` and "rows rejected" means rows with problems.
Rows already stored counted their totals rows as rejected; they are left as they are (0 set aside), since
the problem lists that would tell them apart are in the bucket, not the warehouse.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "submissions", sa.Column("rows_set_aside", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("rows_set_aside")

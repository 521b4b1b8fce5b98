"""spend in or out of scope: the category and rule that set a payment outside the influenceable spend

Issue 18: share KPIs divide by the spend a member can influence. Each spend line records the
out-of-scope category (taxes_hmrc, public_body, ...) and the rule that decided it
(``transforms.spend_scope``); the per-supplier summary keeps the category so the KPIs can split the
amounts. Both are NULL for in-scope spend, so lines loaded before this revision count as in scope until
they are classified again (``warehouse.load.reclassify_spend``).

The revision id names its subject rather than taking the next number, so a parallel 0008 on main
cannot collide with it; only ``down_revision`` may need changing when the branches meet.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fact_spend", sa.Column("out_of_scope", sa.String(length=40), nullable=True))
    op.add_column("fact_spend", sa.Column("out_of_scope_rule", sa.String(length=60), nullable=True))
    op.add_column("spend_by_supplier", sa.Column("out_of_scope", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spend_by_supplier") as batch:
        batch.drop_column("out_of_scope")
    with op.batch_alter_table("fact_spend") as batch:
        batch.drop_column("out_of_scope_rule")
        batch.drop_column("out_of_scope")

"""submissions: identical content is a duplicate per return, answers owed then paid, errors kept

The content hash was unique across the warehouse, so a file byte-identical to another member's (or to the
same member's last quarter) was dropped as a duplicate of someone else's file. It is now unique per member,
return type and period. ``answer_status`` records, in the load's own transaction, that the member is owed
an answer (feedback files, e-mail) until it has been paid; ``error`` keeps, for engineers, why a file
could not be processed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# SQLite's unique constraint on content_hash is unnamed: a naming convention lets batch mode find it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
PER_RETURN = ["member_id", "return_type", "period", "content_hash"]


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("submissions_content_hash_key", "submissions", type_="unique")
        op.create_unique_constraint("uq_submissions_return_content", "submissions", PER_RETURN)
        op.add_column("submissions", sa.Column("answer_status", sa.String(length=8), nullable=True))
        op.add_column("submissions", sa.Column("error", sa.Text(), nullable=True))
        return
    with op.batch_alter_table("submissions", naming_convention=NAMING, recreate="always") as batch:
        batch.drop_constraint("uq_submissions_content_hash", type_="unique")
        batch.create_unique_constraint("uq_submissions_return_content", PER_RETURN)
        batch.add_column(sa.Column("answer_status", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", naming_convention=NAMING) as batch:
        batch.drop_column("error")
        batch.drop_column("answer_status")
        batch.drop_constraint("uq_submissions_return_content", type_="unique")
        batch.create_unique_constraint("uq_submissions_content_hash", ["content_hash"])

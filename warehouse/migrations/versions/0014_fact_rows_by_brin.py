"""PostgreSQL: spend and workforce facts found by a BRIN index on the submission, not a B-tree key

The primary key ``(submission_id, row_number)`` of ``fact_spend`` and ``fact_workforce`` was a third or
more of the server's work per loaded row; nothing looks a row up by it. A submission's rows are written together, so a
BRIN index on ``submission_id`` finds them for the supersede deletes and the reclassification at a
fraction of the cost (``warehouse.schema._rows_of_a_submission``). The load checks that a file's row
numbers are unique before writing them. SQLite keeps the key: it has no BRIN, and there an index on the
submission alone costs as much as the key.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 03:00:00.000000
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("fact_spend", "fact_workforce")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_index(
            f"ix_{table}_submission",
            table,
            ["submission_id"],
            postgresql_using="brin",
            postgresql_with={"autosummarize": "on"},
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.drop_index(f"ix_{table}_submission", table_name=table)
        op.create_primary_key(f"{table}_pkey", table, ["submission_id", "row_number"])

"""fact tables without foreign keys to submissions

PostgreSQL checked ``fact_*.submission_id -> submissions`` once per row (an index lookup and a lock on
the same parent row, 250,000 times for one spend file): about half of a bulk load's time (bench/README.md).
Facts are only ever written by ``warehouse.load.record_submission``, in the same transaction as their
submission row, and removed with it, so the key guarded nothing the load does not already guarantee;
the tests check that no fact is left without its submission.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 09:00:00.000000
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FACT_TABLES = ("fact_spend", "fact_workforce", "fact_measure")
# SQLite's keys are unnamed: a naming convention lets batch mode find them by a name.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _key(table: str) -> str:
    return f"fk_{table}_submission_id_submissions"


def upgrade() -> None:
    for table in FACT_TABLES:
        if op.get_context().dialect.name == "postgresql":
            op.drop_constraint(f"{table}_submission_id_fkey", table, type_="foreignkey")
            continue
        with op.batch_alter_table(table, naming_convention=NAMING, recreate="always") as batch:
            batch.drop_constraint(_key(table), type_="foreignkey")


def downgrade() -> None:
    for table in FACT_TABLES:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            batch.create_foreign_key(_key(table), "submissions", ["submission_id"], ["submission_id"])

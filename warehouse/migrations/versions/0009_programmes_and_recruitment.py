"""programmes and recruitment: fact_measure.programme_code and fact_recruitment

Measures rows may name a network programme (its social return on investment adds them up); recruitment
returns bring one row per job offer, with no identifier and only coarse answers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fact_measure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("programme_code", sa.String(length=64), nullable=True))
    op.create_table(
        "fact_recruitment",
        sa.Column("submission_id", sa.String(length=16), nullable=False),
        sa.Column("row_number", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("offer_date", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("programme_code", sa.String(length=64), nullable=True),
        sa.Column("previously_unemployed", sa.Boolean(), nullable=False),
        sa.Column("age_band", sa.String(length=20), nullable=True),
        sa.Column("ethnic_group", sa.String(length=20), nullable=True),
        sa.Column("disability", sa.String(length=20), nullable=True),
        sa.Column("home_postcode_district", sa.String(length=4), nullable=True),
        sa.Column("deprivation_decile", sa.SmallInteger(), nullable=True),
        sa.Column("still_in_post_6m", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("submission_id", "row_number"),
    )
    with op.batch_alter_table("fact_recruitment", schema=None) as batch_op:
        batch_op.create_index("ix_fact_recruitment_period_member", ["period", "member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fact_recruitment", schema=None) as batch_op:
        batch_op.drop_index("ix_fact_recruitment_period_member")
    op.drop_table("fact_recruitment")
    with op.batch_alter_table("fact_measure", schema=None) as batch_op:
        batch_op.drop_column("programme_code")

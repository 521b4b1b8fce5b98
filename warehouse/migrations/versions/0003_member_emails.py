"""member emails: feedback and chaser mail to members, one row per message

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_emails",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("about", sa.Text(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("member_emails", schema=None) as batch_op:
        batch_op.create_index("ix_member_emails_member_day", ["member_id", "sent_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_member_emails_member_day")
    op.drop_table("member_emails")

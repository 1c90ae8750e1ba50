"""outbox_resends: who sent a failed mail again, when, old and new recipients (issue 17.5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_resends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_key", sa.String(length=300), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("old_recipients", sa.JSON(), nullable=False),
        sa.Column("new_recipients", sa.JSON(), nullable=False),
        sa.Column("previous_state", sa.String(length=20), nullable=False),
        sa.Column("previous_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_resends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_resends_mail_key"), ["mail_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_resends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_resends_mail_key"))
    op.drop_table("outbox_resends")

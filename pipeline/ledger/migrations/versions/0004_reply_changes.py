"""reply_changes: a unit's reply that changes fields of its case (issue 21)

A new table, so no existing row needs a default. One row per reply ("手机：139…"
under a receipt): applied at once, proposed to staff, confirmed or declined.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_no", sa.String(length=40), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("letter_no"),
    )
    with op.batch_alter_table("reply_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_changes_case_no"), ["case_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_reply_changes_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reply_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_changes_state"))
        batch_op.drop_index(batch_op.f("ix_reply_changes_case_no"))

    op.drop_table("reply_changes")

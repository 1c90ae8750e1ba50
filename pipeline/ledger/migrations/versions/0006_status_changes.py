"""status_changes: every change of a case's status (or selection), with who and when (issue 20.11)

A new table. A ledger written before it has no history: each message that has a
status gets one change, from nothing to its status and selection now, at its
arrival (source "backfill"), so a digest of an earlier day shows such a case as
it is now (what every digest showed before) and no case goes missing from it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_row", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("selected", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["message_row"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_changes_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_status_changes_message_row"), ["message_row"], unique=False)
    # Arrival is stored as UTC without a zone, the same as `at`: copied as it is.
    op.execute(
        "INSERT INTO status_changes (message_row, from_status, to_status, selected, at, source, who) "
        "SELECT id, NULL, status, selected, arrival, 'backfill', '' FROM messages WHERE status IS NOT NULL ORDER BY id"
    )


def downgrade() -> None:
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_changes_message_row"))
        batch_op.drop_index(batch_op.f("ix_status_changes_at"))

    op.drop_table("status_changes")

"""unit_addresses: sender addresses staff remembered for a roster unit (issue 20)

A new table, so no existing row needs a default. One row per address: the unit it
belongs to, who remembered it, when, and the case it was learned from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=True),
        sa.Column("after_message", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )
    with op.batch_alter_table("unit_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_addresses_unit"), ["unit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_addresses_unit"))

    op.drop_table("unit_addresses")

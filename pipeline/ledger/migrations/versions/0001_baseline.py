"""Baseline: the ledger as the release before migrations left it (commit 468c93e).

Revision ID: 0001
Revises:
Create Date: 2026-12-06

Why the tables are built here as a MetaData (not op.create_table calls): a
ledger written by an earlier release has no version; pipeline/ledger/migrate.py
brings it to this baseline with `bring_up()` — the tables and columns it lacks,
as that release's add-missing-columns did at every start — stamps it 0001 and
upgrades it from there. One definition serves both. Types are the database's
(DATETIME, not the program's UtcDateTime): a revision never imports from pipeline.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def baseline_metadata() -> sa.MetaData:
    """Every table, column, index and constraint of the baseline ledger."""
    metadata = sa.MetaData()
    sa.Table(
        "corrections",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old", sa.Text(), nullable=False),
        sa.Column("new", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Index("ix_corrections_case_no", metadata.tables["corrections"].c.case_no)
    sa.Table(
        "decisions",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Index("ix_decisions_case_no", metadata.tables["decisions"].c.case_no)
    sa.Table(
        "kv",
        metadata,
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    sa.Table(
        "login_attempts",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Index("ix_login_attempts_address", metadata.tables["login_attempts"].c.address)
    sa.Index("ix_login_attempts_at", metadata.tables["login_attempts"].c.at)
    sa.Index("ix_login_attempts_name", metadata.tables["login_attempts"].c.name)
    sa.Table(
        "mailbox_state",
        metadata,
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_ok", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures_in_row", sa.Integer(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    sa.Table(
        "messages",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=False),
        sa.Column("folder", sa.String(length=500), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("raw_path", sa.Text(), nullable=False),
        sa.Column("arrival", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("sender_name", sa.Text(), nullable=False),
        sa.Column("reply_to_ids", sa.JSON(), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("case_no", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("fields_read", sa.JSON(), nullable=True),
        sa.Column("normalized", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("account_key", sa.String(length=500), nullable=True),
        sa.Column("automatic_reason", sa.Text(), nullable=True),
        sa.Column("big_links", sa.JSON(), nullable=False),
        sa.Column("is_scan", sa.Boolean(), nullable=False),
        sa.Column("related_case", sa.String(length=40), nullable=True),
        sa.Column("superseded_by", sa.String(length=40), nullable=True),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("late_allowed", sa.Boolean(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("part_of", sa.Integer(), nullable=True),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_no"),
        sa.UniqueConstraint("mailbox", "folder", "uidvalidity", "uid", name="uq_message_uid"),
    )
    sa.Index("ix_messages_account_key", metadata.tables["messages"].c.account_key)
    sa.Index("ix_messages_changed_at", metadata.tables["messages"].c.changed_at)
    sa.Index("ix_messages_message_id", metadata.tables["messages"].c.message_id)
    sa.Index("ix_messages_part_of", metadata.tables["messages"].c.part_of)
    sa.Index("ix_messages_raw_sha256", metadata.tables["messages"].c.raw_sha256)
    sa.Index("ix_messages_sender", metadata.tables["messages"].c.sender)
    sa.Index("ix_messages_state", metadata.tables["messages"].c.state)
    sa.Index("ix_messages_status", metadata.tables["messages"].c.status)
    sa.Index("ix_messages_unit", metadata.tables["messages"].c.unit)
    sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("eml_path", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("unknown_sends", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    sa.Index("ix_outbox_case_no", metadata.tables["outbox"].c.case_no)
    sa.Index("ix_outbox_kind", metadata.tables["outbox"].c.kind)
    sa.Index("ix_outbox_sent_at", metadata.tables["outbox"].c.sent_at)
    sa.Index("ix_outbox_state", metadata.tables["outbox"].c.state)
    sa.Table(
        "scores",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reviewer", "case_no", "item", name="uq_score"),
    )
    sa.Index("ix_scores_case_no", metadata.tables["scores"].c.case_no)
    sa.Index("ix_scores_reviewer", metadata.tables["scores"].c.reviewer)
    sa.Table(
        "staff_entries",
        metadata,
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    sa.Table(
        "attachments",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_row", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("raw_name", sa.LargeBinary(), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_row"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Index("ix_attachments_message_row", metadata.tables["attachments"].c.message_row)
    sa.Table(
        "seen_message_ids",
        metadata,
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("message_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_row"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("message_id"),
    )
    sa.Table(
        "web_sessions",
        metadata,
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Index("ix_web_sessions_expires_at", metadata.tables["web_sessions"].c.expires_at)
    sa.Index("ix_web_sessions_user_id", metadata.tables["web_sessions"].c.user_id)
    return metadata


def upgrade() -> None:
    baseline_metadata().create_all(op.get_bind())


def downgrade() -> None:
    baseline_metadata().drop_all(op.get_bind())


def bring_up(connection: Connection) -> list[str]:
    """An unversioned ledger to this baseline: create the tables it lacks and add the
    columns it lacks (nullable, no default: what releases before migrations did, and
    code reads NULL as "not recorded"). Returns "table.column" names added."""
    metadata = baseline_metadata()
    metadata.create_all(connection, checkfirst=True)
    added: list[str] = []
    inspector = sa.inspect(connection)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
            added.append(f"{table.name}.{column.name}")
    return added

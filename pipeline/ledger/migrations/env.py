"""Alembic environment of the ledger.

Run two ways: by the program at start (pipeline/ledger/migrate.py hands us a
connection inside its locked transaction: config.attributes["connection"]), and
by a developer making a new revision (`make migration`, which points
sqlalchemy.url at a scratch SQLite ledger at head). There is no alembic.ini and
no logging set-up here: the program's own logging (logsetup) applies.

render_as_batch: SQLite cannot ALTER most things, so autogenerate writes
`op.batch_alter_table` blocks, which copy-and-move on SQLite and are plain
ALTER TABLE on PostgreSQL.
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from pipeline.ledger.schema import Base, UtcDateTime


def render_item(type_: str, obj, autogen_context) -> str | Literal[False]:
    """Our UtcDateTime is DATETIME in the database: a migration must not import app types
    (they change over time; a revision must keep meaning what it meant)."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("The ledger's migrations run against a database (no --sql mode).")

given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("sqlalchemy.url is not set (make migration sets it).")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            run(conn)
    finally:
        engine.dispose()

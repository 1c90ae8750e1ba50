"""Bring an existing ledger's tables up to the current schema.

create_all() makes missing tables but never adds a column to a table that
exists. A ledger written by an older version would then fail on the first
query that names a new column, so new columns are added here, each with a
default that means "what the old version did".
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

# (table, column, SQL type and default) added since the first release.
ADDED_COLUMNS = (("outbox", "unknown_sends", "INTEGER NOT NULL DEFAULT 0"),)


def add_missing_columns(engine: Engine) -> None:
    """ALTER TABLE ... ADD COLUMN for what is missing; another process doing the
    same at the same moment is fine (its duplicate-column error is ignored)."""
    with engine.connect() as conn:
        present = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t, _, _ in ADDED_COLUMNS}
    for table, column, ddl in ADDED_COLUMNS:
        if column in present[table]:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
        except (OperationalError, ProgrammingError):
            with engine.connect() as conn:
                if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
                    raise

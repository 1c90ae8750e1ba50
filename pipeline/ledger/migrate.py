"""Bring an existing ledger up to the current schema.

New tables come from `create_all`; a column added to an existing table is
added here with `ALTER TABLE ... ADD COLUMN` (nullable, no default), which
SQLite and PostgreSQL both do in place. Code reading such a column treats
NULL as "not recorded" (rows written before the column existed).
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from .schema import Base


def add_missing_columns(engine: Engine) -> list[str]:
    """Add every mapped column the database lacks; returns "table.column" names added."""
    added: list[str] = []
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            ddl = f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
            try:
                with engine.begin() as conn:
                    conn.execute(text(ddl))
            except (OperationalError, ProgrammingError):
                # Another worker added it at the same moment.
                if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                    raise
            added.append(f"{table.name}.{column.name}")
    return added

"""`python -m pipeline.ledger.migrations "what changed"` (or `make migration MSG=...`):
write the next revision for what schema.py now says.

A scratch SQLite ledger is upgraded to the current head and compared with
schema.py; the difference becomes versions/NNNN_<slug>.py (batch operations,
so it runs on SQLite and PostgreSQL). Read it before committing: autogenerate
does not see renames, and a NOT NULL column on a table with rows needs a
server_default.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from pipeline.ledger.migrate import alembic_config, scripts
from pipeline.ledger.schema import Base


def next_rev_id() -> str:
    numbers = [int(r.revision) for r in scripts().walk_revisions() if r.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print('usage: python -m pipeline.ledger.migrations "what changed"', file=sys.stderr)
        return 2
    message = argv[0].strip()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.sqlite3'}"
        command.upgrade(alembic_config(url=url), "head")
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        engine.dispose()
        if not diff:
            print("schema.py matches the migrations: nothing to write.")
            return 0
        rev_id = next_rev_id()
        script = command.revision(
            alembic_config(url=url),
            message=message,
            autogenerate=True,
            rev_id=rev_id,
        )
    for made in script if isinstance(script, list) else [script]:
        if made is not None:
            print(f"wrote {made.path}")
    for change in diff:
        print(f"  {change[0] if isinstance(change, tuple) else change}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Bring the ledger to the schema this code expects: Alembic migrations, run at start.

Three cases, decided inside one locked transaction:
- no tables yet: a new ledger, created from schema.py and stamped at head;
- our tables but no version: written by a release before migrations; brought
  to the baseline (0001: what that release's add-missing-columns did), stamped
  0001, then upgraded;
- a version: upgraded to head (nothing to do when it is head already, which is
  found without taking any lock).

Why one locked transaction: two workers starting together must not both
migrate. SQLite: BEGIN IMMEDIATE (the second waits for the first, up to the
busy timeout); PostgreSQL: a transaction-level advisory lock. Both databases
run DDL in the transaction, so a migration that fails leaves the ledger exactly
as it was, and the program says so instead of running on a half-changed schema.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from .errors import LedgerNewer, LedgerUpgradeFailed
from .schema import Base

if TYPE_CHECKING:  # Alembic is imported only when there is something to do (every command starts faster)
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# pg_advisory_xact_lock key: "ledger migration" (any constant shared by every worker).
PG_LOCK_KEY = 0x1ED6E2_0001
# SQLite's busy timeout for every ledger connection: how long one statement waits for
# another process's lock before "database is locked" (open.connect waits longer, in rounds).
SQLITE_BUSY_SECONDS = 30.0


def into_wal(cur: sqlite3.Cursor) -> None:
    """PRAGMA journal_mode=WAL, waiting while another process writes. Switching an
    old (rollback-journal) ledger takes an exclusive lock, and SQLite answers "database
    is locked" at once, without its busy wait, when it finds another writer first:
    workers started together on such a ledger would otherwise fail at their start.
    Every ledger connection switches here (the Ledger's engine and the migration's)."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    pause = 0.01
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> AlembicConfig:
    """Alembic's configuration without an .ini: where the scripts are, and the connection to use."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


_REVISION = re.compile(r'^(revision|down_revision)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|None)\s*$', re.M)


@lru_cache(maxsize=4)
def _head_in(folder: Path) -> str:
    """The newest revision, read from the version files' own `revision = "…"` lines: the check
    at every start needs no Alembic import. Anything unusual (several heads): ask Alembic."""
    revisions, parents = set(), set()
    for path in (folder / "versions").glob("*.py"):
        found = {m.group(1): m.group(2) or m.group(3) for m in _REVISION.finditer(path.read_text("utf-8"))}
        if found.get("revision"):
            revisions.add(found["revision"])
            if found.get("down_revision"):
                parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    current = scripts().get_current_head()
    if current is None:  # no revision file at all: a broken installation
        raise RuntimeError(f"no ledger migration found in {folder}")
    return current


def head() -> str:
    return _head_in(MIGRATIONS)


def current_revision(conn: Connection) -> str | None:
    """The ledger's version (None: no version table, a new or a pre-migration ledger)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    versions = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return versions[0] if len(versions) == 1 else ",".join(sorted(versions)) or None


def upgrade_schema(engine: Engine) -> str:
    """Make the ledger's schema current; returns what was done ("current", "created",
    "adopted", "upgraded"). Raises LedgerNewer / LedgerUpgradeFailed (Chinese), or the
    database's own error when it cannot be read at all (the caller says damaged/unreachable)."""
    with engine.connect() as conn:
        if current_revision(conn) == head():
            return "current"
    locked = _locking_engine(engine)
    try:
        with locked.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            return _migrate(conn)
    finally:
        if locked is not engine:
            locked.dispose()


def _migrate(conn: Connection) -> str:
    current = current_revision(conn)  # again: another worker may have done it while we waited
    if current == head():
        return "current"
    if current is not None and not _known(current):
        raise LedgerNewer(
            f"台账已由较新版本的程序升级过（台账版本 {current}，本程序只认识到 {head()}）："
            "请使用较新版本的程序，或从升级前的备份恢复。"
        )
    ours = set(inspect(conn).get_table_names()) & set(Base.metadata.tables)
    if current is None and not ours:
        Base.metadata.create_all(conn)
        _stamp_new(conn)
        log.info("new ledger created at schema %s", head())
        return "created"
    from alembic import command

    try:
        done = "upgraded"
        if current is None:
            added = scripts().get_revision(BASELINE).module.bring_up(conn)
            command.stamp(alembic_config(conn), BASELINE)
            log.info("unversioned ledger adopted at %s (columns added: %s)", BASELINE, added or "none")
            done = "adopted"
        command.upgrade(alembic_config(conn), "head")
        log.info("ledger upgraded from %s to %s", current or BASELINE, head())
        return done
    except Exception as exc:  # the transaction rolls back: nothing of the migration stays
        if isinstance(exc, DBAPIError) and _damaged(exc):
            raise  # the caller says "damaged" and how to rebuild
        log.exception("ledger migration failed")
        raise LedgerUpgradeFailed(
            f"台账升级到本版本的结构时出错（从版本 {current or '无版本'} 到 {head()}），升级已整体撤销，台账没有改动。"
            "请把日志文件 data/logs/intake.log 交给维护人员；在此之前可以继续使用上一版本的程序。"
        ) from exc


# Alembic's own version table (alembic.runtime.migration.MigrationContext._version).
_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _stamp_new(conn: Connection) -> None:
    """What `alembic stamp head` writes into a new ledger, without importing Alembic:
    every fresh installation and every test's ledger starts here, and Alembic's import
    and script loading cost more than creating the tables."""
    _VERSION.create(conn)
    conn.execute(_VERSION.insert().values(version_num=head()))


def _known(revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return scripts().get_revision(revision) is not None
    except CommandError:
        return False


def _damaged(exc: DBAPIError) -> bool:
    words = str(exc.orig or exc).lower()
    return "malformed" in words or "not a database" in words


def _locking_engine(engine: Engine) -> Engine:
    """SQLite: a short-lived engine whose transactions start with BEGIN IMMEDIATE (and
    whose DDL is inside them); foreign keys are off, as batch migrations need."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    locked = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @event.listens_for(locked, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we say when transactions begin, not the driver
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        into_wal(cur)
        cur.close()

    @event.listens_for(locked, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return locked

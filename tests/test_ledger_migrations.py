"""Schema changes as Alembic migrations (issue 18): a ledger written by the release
before migrations (tests/fixtures/ledger_v0, made by that release's own code, see
make_old_ledger.py there) upgrades in place on SQLite and PostgreSQL keeping every
row; a new ledger is created at head; two workers starting together migrate once;
a migration that fails leaves the ledger as it was; schema.py and the migrations
never drift apart."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from intake_env import one_chinese_line, run
from sqlalchemy import create_engine, inspect, text

from pipeline.ledger import Ledger
from pipeline.ledger import migrate as migrate_mod
from pipeline.ledger.errors import LedgerUpgradeFailed
from pipeline.ledger.schema import Base

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ledger_v0"
# Tables of the release before migrations, all holding rows in the fixture.
OLD_TABLES = {
    "messages": 13,
    "attachments": 21,
    "seen_message_ids": 12,
    "outbox": 14,
    "mailbox_state": 1,
    "decisions": 4,
    "corrections": 1,
    "scores": 2,
    "users": 3,
    "web_sessions": 1,
    "login_attempts": 1,
    "staff_entries": 9,
    "kv": 2,
}


def write_config(tmp: Path, database: str) -> Path:
    """The demo configuration (a folder mailbox, dry run) with its data in `tmp`."""
    data = yaml.safe_load((ROOT / "examples" / "demo_rules.yaml").read_text(encoding="utf-8"))
    (tmp / "mailbox").mkdir(exist_ok=True)
    data["mailboxes"][0]["path"] = str(tmp / "mailbox")
    data["storage"] = {
        "database": database,
        "raw_dir": "data/raw",
        "files_dir": "data/files",
        "outbox_dir": "outbox",
        "reports_dir": "outbox/reports",
    }
    path = tmp / "inbox_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def old_sqlite(tmp: Path) -> str:
    db = tmp / "data" / "ledger.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(gzip.decompress((FIXTURES / "ledger.sqlite3.gz").read_bytes()))
    return f"sqlite:///{db}"


def old_postgres(pg_cluster) -> str:
    name = f"old_{secrets.token_hex(4)}"
    url = pg_cluster.create_database(name)
    pg_cluster.psql(name, gzip.decompress((FIXTURES / "ledger.pg.sql.gz").read_bytes()).decode("utf-8"))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def old_ledger(request, tmp_path) -> str:
    """URL of a ledger written by the release before migrations."""
    if request.param == "sqlite":
        return old_sqlite(tmp_path)
    return old_postgres(request.getfixturevalue("pg_cluster"))


def every_row(url: str) -> dict[str, list[str]]:
    """Each old table's rows (old columns only), as sorted JSON text: what must survive."""
    baseline = migrate_mod.scripts().get_revision(migrate_mod.BASELINE).module.baseline_metadata()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in OLD_TABLES:
                names = ", ".join(f'"{c.name}"' for c in baseline.tables[table].columns)
                rows = conn.execute(text(f'SELECT {names} FROM "{table}"')).mappings().all()
                out[table] = sorted(json.dumps(dict(r), default=repr, sort_keys=True) for r in rows)
            return out
    finally:
        engine.dispose()


def versions(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return []
            return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def drift(url: str) -> list:
    """What schema.py says that the database does not have (or the reverse)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_the_fixture_is_the_previous_release_unversioned_with_rows_in_every_table(old_ledger):
    assert versions(old_ledger) == []
    assert {t: len(rows) for t, rows in every_row(old_ledger).items()} == OLD_TABLES


def test_previous_release_ledger_upgrades_in_place_keeping_every_row(old_ledger, tmp_path):
    before = every_row(old_ledger)
    config = write_config(tmp_path, old_ledger)

    proc = run(config, "check")  # the program's own door: open, migrate, full check
    assert "台账检查通过" in proc.stdout, proc.stdout

    assert versions(old_ledger) == [migrate_mod.head()]
    assert every_row(old_ledger) == before, "every row of every old table is kept, unchanged"
    assert drift(old_ledger) == [], "the upgraded ledger is exactly what schema.py describes"
    # The program works on it: accounts, cases and staff work as the old release left them.
    users = run(config, "user", "list").stdout
    assert "刘晶晶\t工作人员\t正常" in users and "离职员工\t工作人员\t已停用" in users, users
    shown = run(config, "show", "TJ-20210731-0013").stdout
    assert "许诺老师" in shown
    assert "不予受理" in run(config, "show", "TJ-20210728-0005").stdout
    assert run(config, "check").returncode == 0  # a second start: nothing to do


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_new_ledger_is_created_at_head_exactly_as_schema_py_says(dialect, tmp_path, request):
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database(f"new_{secrets.token_hex(4)}")
    Ledger(url).engine.dispose()
    assert versions(url) == [migrate_mod.head()]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:  # Alembic reads the version it would have stamped
            assert MigrationContext.configure(conn).get_current_revision() == migrate_mod.head()
    finally:
        engine.dispose()
    assert drift(url) == [], "schema.py changed without a migration: run `make migration MSG=...`"


def test_the_migrations_from_the_baseline_build_what_schema_py_says(tmp_path):
    """Upgrading step by step from an empty database ends where create_all does."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'stepwise.sqlite3'}"
    command.upgrade(migrate_mod.alembic_config(url=url), "head")
    assert drift(url) == []
    # The start-up check reads the head from the version files without importing Alembic: the same one.
    assert migrate_mod.head() == migrate_mod.scripts().get_current_head()


def start_together(url: str, workers: int) -> list[subprocess.CompletedProcess]:
    """`workers` processes open the ledger at the same moment: each imports, says it is
    ready, and waits on its stdin; all are released together once every one is ready."""
    code = (
        "import sys\n"
        "from pipeline.ledger import Ledger\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        f"Ledger({url!r}).engine.dispose()\n"
        "print('opened', flush=True)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(workers)
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


@pytest.mark.parametrize("kind", ["new", "old"])
def test_workers_starting_together_migrate_once(kind, old_ledger, tmp_path, request):
    if kind == "new":
        if old_ledger.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        else:
            url = request.getfixturevalue("pg_cluster").create_database(f"race_{secrets.token_hex(4)}")
        before = None
    else:
        url, before = old_ledger, every_row(old_ledger)
    for result in start_together(url, 3):  # three at once: two that wait on the first
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["opened"]
    assert versions(url) == [migrate_mod.head()]
    assert drift(url) == []
    if before is not None:
        assert every_row(url) == before


REVISION = '''
"""test revision"""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("next_counter", sa.Integer(), server_default="0", nullable=False))
    {more}


def downgrade():
    pass
'''


@pytest.fixture
def extra_revision(tmp_path, monkeypatch):
    """A copy of the migrations with one more revision (what the next schema change looks like)."""

    def install(more: str = "") -> None:
        copy = tmp_path / "migrations"
        shutil.copytree(migrate_mod.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
        body = REVISION.format(down=migrate_mod.head(), more=more or "pass")
        (copy / "versions" / "9001_test.py").write_text(body, encoding="utf-8")
        monkeypatch.setattr(migrate_mod, "MIGRATIONS", copy)
        migrate_mod.scripts.cache_clear()

    yield install
    migrate_mod.scripts.cache_clear()


def test_a_new_column_on_a_table_with_rows_keeps_them(old_ledger, extra_revision):
    """A counter like the intake's messages.version (0003) is this kind of change: batch mode
    copies the messages table on SQLite (its attachments keep pointing at it), ALTERs it on PostgreSQL."""
    before = every_row(old_ledger)
    extra_revision()
    Ledger(old_ledger).engine.dispose()
    assert versions(old_ledger) == ["9001"]
    assert every_row(old_ledger) == before
    engine = create_engine(old_ledger)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM messages WHERE next_counter = 0")) == 13
        orphans = conn.scalar(
            text(
                "SELECT count(*) FROM attachments a LEFT JOIN messages m ON m.id = a.message_row WHERE m.id IS NULL"
            )
        )
        assert orphans == 0
    engine.dispose()


def test_a_failed_migration_leaves_the_ledger_as_it_was(old_ledger, extra_revision):
    before = every_row(old_ledger)
    extra_revision('op.execute("UPDATE no_such_table SET x = 1")')
    with pytest.raises(LedgerUpgradeFailed) as caught:
        Ledger(old_ledger)
    assert "升级已整体撤销，台账没有改动" in str(caught.value)
    assert versions(old_ledger) == [], "not even the baseline stamp stays"
    assert every_row(old_ledger) == before
    engine = create_engine(old_ledger)
    with engine.connect() as conn:
        assert "next_counter" not in {c["name"] for c in inspect(conn).get_columns("messages")}
    engine.dispose()


def test_a_ledger_from_a_newer_release_is_refused_in_one_chinese_line(tmp_path):
    url = old_sqlite(tmp_path)
    Ledger(url).engine.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    proc = run(write_config(tmp_path, url), "status", check=False)
    assert proc.returncode == 4
    line = one_chinese_line(proc.stderr)
    assert "较新版本" in line and "ffff" in line, line


def test_0006_gives_every_case_of_an_0005_ledger_one_status_change_at_its_arrival(old_ledger, tmp_path):
    """A ledger at 0005 (the previous release's fixture, taken back down to 0005) upgrades
    to status_changes: one change per message with a status, from nothing to its status
    now at its arrival, so an earlier day's digest shows such cases as before; the program
    then adds to the history as it goes."""
    from alembic import command

    Ledger(old_ledger).engine.dispose()
    command.downgrade(migrate_mod.alembic_config(url=old_ledger), "0005")
    assert versions(old_ledger) == ["0005"]
    before = every_row(old_ledger)

    config = write_config(tmp_path, old_ledger)
    assert "台账检查通过" in run(config, "check").stdout
    assert versions(old_ledger) == [migrate_mod.head()]
    assert every_row(old_ledger) == before
    assert drift(old_ledger) == []
    engine = create_engine(old_ledger)
    with engine.connect() as conn:
        messages = conn.execute(
            text("SELECT id, status, selected, arrival FROM messages WHERE status IS NOT NULL ORDER BY id")
        ).all()
        changes = conn.execute(
            text(
                "SELECT message_row, from_status, to_status, selected, at, source, who FROM status_changes ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert len(messages) == 13
    assert [tuple(c) for c in changes] == [
        (m.id, None, m.status, m.selected, m.arrival, "backfill", "") for m in messages
    ]

    # The digest of a day before the last mail: those cases as they are (no history to rewind).
    out = run(config, "digest", "--date", "2021-07-30").stdout
    assert "每日汇总已生成" in out, out
    # A staff decision now is added to the history, after the backfilled change.
    run(config, "decide", "reject", "TJ-20210731-0013", "--reason", "重复推荐", "--no-notify")
    engine = create_engine(old_ledger)
    with engine.connect() as conn:
        last = conn.execute(
            text(
                "SELECT c.from_status, c.to_status, c.source FROM status_changes c "
                "JOIN messages m ON m.id = c.message_row WHERE m.case_no = 'TJ-20210731-0013' ORDER BY c.id"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in last][-1][1:] == ("rejected", "staff"), last
    assert len(last) == 2

"""A damaged ledger (issue 12, item 2), damaged the way it was found: truncated to
half, a garbage header, 4 KB of random bytes over page 3. Every command that
uses the ledger stops with one Chinese line saying what to do; nothing is sent;
`rebuild` sets the damaged file aside and restores the same records. An
unreachable PostgreSQL ledger is said in Chinese too."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import deliver, intake_config, mixed_messages  # noqa: E402
from intake_env import one_chinese_line, run_py  # noqa: E402
from mailservers import free_port  # noqa: E402
from test_ledger_recovery import snapshot  # noqa: E402


def checkpoint(db: Path) -> None:
    """Fold the WAL into the file, as after a clean stop: the damage then hits committed pages."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def damage(db: Path, how: str) -> None:
    size = db.stat().st_size
    if how == "half":
        os.truncate(db, size // 2)
    elif how == "header":
        with open(db, "r+b") as fh:
            fh.write(b"this is not a database at all!!")
    else:  # 4 KB of random bytes over page 3
        with open(db, "r+b") as fh:
            fh.seek(2 * 4096)
            fh.write(os.urandom(4096))


@pytest.mark.parametrize("how", ["half", "header", "page3"])
def test_damaged_sqlite_ledger_stops_every_command_with_one_chinese_line(
    how, tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    plan, unit_list = mixed_messages(12, tag=f"dmg-{how}")
    deliver(dovecot_server, user, password, plan)
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list)
    assert run_py(config, "once", "--quiet").returncode == 0
    before = snapshot(config)
    sent = len(smtp_server.messages())
    db = tmp_path / "data" / "ledger.sqlite3"
    checkpoint(db)
    assert db.stat().st_size > 4 * 4096
    damage(db, how)

    for command in (("once", "--quiet"), ("status",), ("export",), ("check",)):
        proc = run_py(config, *command)
        assert proc.returncode == 4, (command, proc.stdout, proc.stderr)
        line = one_chinese_line(proc.stderr)
        assert "台账" in line and "备份" in line and "rebuild" in line, line
    assert len(smtp_server.messages()) == sent
    log = (tmp_path / "data" / "logs" / "intake.log").read_text(encoding="utf-8")
    assert "Traceback" in log, "the details are kept for whoever investigates"

    proc = run_py(config, "rebuild")
    assert proc.returncode == 0, proc.stderr
    assert "损坏的台账文件已移到" in proc.stdout
    assert list((tmp_path / "data").glob("ledger.sqlite3.damaged-*")), "the damaged file is kept"
    assert snapshot(config) == before
    assert run_py(config, "once", "--quiet").returncode == 0
    assert len(smtp_server.messages()) == sent


def test_unreachable_postgresql_ledger_is_one_chinese_line(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    plan, unit_list = mixed_messages(2, tag="pg-down")
    url = f"postgresql+psycopg://intake@127.0.0.1:{free_port()}/intake"
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list, database=url)
    for command in (("once", "--quiet"), ("status",)):
        proc = run_py(config, *command)
        assert proc.returncode == 4, proc.stderr
        assert "无法连接台账数据库" in one_chinese_line(proc.stderr)

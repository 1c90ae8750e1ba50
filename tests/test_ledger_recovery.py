"""A lost, emptied or outdated ledger (issue 12, item 1), reproduced as it was found:
after a complete run the ledger is deleted, emptied, or replaced by an older backup,
and `run.py once` runs again on the same dovecot mailbox and SMTP server.

The program must refuse (one Chinese line, nothing sent), and `run.py rebuild`
must restore the same case numbers and statuses without sending anything twice.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import NO_RECEIPT, deliver, intake_config, mixed_messages  # noqa: E402
from intake_env import export, one_chinese_line, receipts_by_case, run_py  # noqa: E402


def snapshot(config: Path) -> list[tuple]:
    """What must survive a rebuild: each message's case number, arrival, status, receipt state."""
    return sorted(
        (r["case_no"], r["message_id"], r["arrival"], r["status"], r["receipt_sent"]) for r in export(config)
    )


def assert_each_receipt_once(config: Path, smtp) -> None:
    should = {r["case_no"] for r in export(config) if r["status"] not in NO_RECEIPT}
    counts = receipts_by_case(smtp)
    assert set(counts) == should
    assert max(counts.values()) == 1, counts


def remove_ledger(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


@pytest.mark.parametrize("how", ["rm", "truncate"])
def test_lost_or_emptied_sqlite_ledger_is_refused_then_rebuilt_without_sending_twice(
    how, tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    plan, unit_list = mixed_messages(20, tag=f"lost-{how}")
    deliver(dovecot_server, user, password, plan)
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list)
    assert run_py(config, "once", "--quiet").returncode == 0
    before = snapshot(config)
    sent = len(smtp_server.messages())
    assert sent == sum(1 for r in before if r[3] not in NO_RECEIPT) > 10

    db = tmp_path / "data" / "ledger.sqlite3"
    if how == "rm":
        remove_ledger(db)  # `rm data/ledger.sqlite3`
    else:
        os.truncate(db, 0)  # `truncate -s 0 data/ledger.sqlite3`
    for command in (("once", "--quiet"), ("status",), ("export",)):
        proc = run_py(config, *command)
        assert proc.returncode == 4, (command, proc.stdout, proc.stderr)
        line = one_chinese_line(proc.stderr)
        assert "台账" in line and "rebuild" in line and "备份" in line
    assert len(smtp_server.messages()) == sent, "nothing may be sent from an empty ledger"

    proc = run_py(config, "rebuild")
    assert proc.returncode == 0, proc.stderr
    assert "没有发送任何邮件" in proc.stdout
    assert len(smtp_server.messages()) == sent
    assert snapshot(config) == before, "same case numbers, arrivals, statuses and receipt states"

    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert len(smtp_server.messages()) == sent, "the run after a rebuild sends nothing again"
    assert_each_receipt_once(config, smtp_server)


def test_without_the_claims_journal_the_raw_store_and_outbox_still_stop_the_run(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    plan, unit_list = mixed_messages(6, tag="nojournal")
    deliver(dovecot_server, user, password, plan)
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list)
    assert run_py(config, "once", "--quiet").returncode == 0
    sent = len(smtp_server.messages())
    remove_ledger(tmp_path / "data" / "ledger.sqlite3")
    for path in (tmp_path / "data" / "journal").iterdir():
        path.unlink()
    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 4
    line = one_chinese_line(proc.stderr)
    assert "原始邮件库" in line and "发件箱" in line
    # Rebuilding cannot give the old case numbers back: it says so instead of renumbering.
    proc = run_py(config, "rebuild")
    assert proc.returncode == 4
    assert "备份" in one_chinese_line(proc.stderr)
    assert run_py(config, "once", "--quiet").returncode == 4
    assert len(smtp_server.messages()) == sent


def test_ledger_restored_from_an_older_backup_is_refused_then_completed(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    plan, unit_list = mixed_messages(24, tag="older")
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list)
    deliver(dovecot_server, user, password, plan[:12])
    assert run_py(config, "once", "--quiet").returncode == 0
    backup = tmp_path / "ledger-backup.sqlite3"
    proc = run_py(config, "backup", "--to", str(backup))
    assert proc.returncode == 0, proc.stderr
    assert oct(backup.stat().st_mode & 0o777) == "0o600"

    deliver(dovecot_server, user, password, plan[12:])
    assert run_py(config, "once", "--quiet").returncode == 0
    before = snapshot(config)
    sent = len(smtp_server.messages())

    proc = run_py(config, "restore", str(backup))
    assert proc.returncode == 0, proc.stderr
    assert "rebuild" in proc.stdout  # the backup is older than the journal: say what to do next
    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 4
    assert "较早的备份" in one_chinese_line(proc.stderr)
    assert len(smtp_server.messages()) == sent

    proc = run_py(config, "rebuild")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(config) == before
    assert run_py(config, "once", "--quiet").returncode == 0
    assert len(smtp_server.messages()) == sent
    assert_each_receipt_once(config, smtp_server)


def test_emptied_postgresql_ledger_is_refused_then_rebuilt(
    tmp_path, dovecot_server, imap_account, smtp_server, pg_cluster
):
    user, password = imap_account
    plan, unit_list = mixed_messages(12, tag="pg-lost")
    deliver(dovecot_server, user, password, plan)
    url = pg_cluster.create_database(f"intake_{secrets.token_hex(4)}")
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list, database=url)
    assert run_py(config, "once", "--quiet").returncode == 0
    before = snapshot(config)
    sent = len(smtp_server.messages())

    engine = create_engine(url)
    with engine.begin() as conn:  # the database was re-created (or its tables dropped)
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 4
    assert "rebuild" in one_chinese_line(proc.stderr)

    proc = run_py(config, "rebuild")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(config) == before
    assert run_py(config, "once", "--quiet").returncode == 0
    assert len(smtp_server.messages()) == sent
    # New mail after the rebuild gets a fresh case number: the id sequence moved past the restored rows.
    more, _ = mixed_messages(2, tag="pg-after", first_unit=40)
    deliver(dovecot_server, user, password, more)
    assert run_py(config, "once", "--quiet").returncode == 0
    assert len({r["case_no"] for r in export(config)}) == len(plan) + 2

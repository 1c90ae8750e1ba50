"""Faults against real servers: IMAP server restarts, SMTP refusals and outages,
a full disk, a locked ledger. Each time nothing may be lost or sent twice."""

from __future__ import annotations

import collections
import email
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import NO_RECEIPT, Planned, deliver, intake_config, mixed_messages, padded, start_py  # noqa: E402
from intake_env import (  # noqa: E402
    DEADLINE,
    Nomination,
    export,
    one_chinese_line,
    receipts_by_case,
    run_py,  # in this process, unless given a preexec_fn
    submission,
)

from pipeline.outbox.queue import _safe_key  # noqa: E402


def ledger(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "data" / "ledger.sqlite3", timeout=30)


def assert_all_once(config: Path, plan: list[Planned], smtp) -> list[dict]:
    """Every delivered message has one record with a final status; every receipt went out once."""
    records = export(config)
    assert collections.Counter(r["message_id"] for r in records) == collections.Counter(
        p.message_id for p in plan
    )
    assert all(r["status"] for r in records)
    should = {r["case_no"] for r in records if r["status"] not in NO_RECEIPT}
    counts = receipts_by_case(smtp)
    assert set(counts) == should
    assert max(counts.values(), default=1) == 1, counts
    return records


def make_due(config: Path) -> None:
    """Let the retry delay pass: what a later run (minutes later) would see."""
    with ledger(config) as db:
        db.execute("UPDATE outbox SET next_try_at = '2000-01-01 00:00:00.000000' WHERE state = 'pending'")


def outbox_states(config: Path) -> dict[str, int]:
    with ledger(config) as db:
        return dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())


@pytest.fixture
def small_plan():
    return mixed_messages(10, tag="fault")


# ---------------------------------------------------------------- IMAP


def test_dovecot_restarted_mid_fetch_loses_nothing(tmp_path, private_dovecot, smtp_server):
    user, password = "restart@example.org", "restart-pw-1"
    private_dovecot.add_user(user, password)
    plan, unit_list = mixed_messages(60, tag="rs")
    # Make the mailbox large enough that reading it spans many FETCH batches.
    plan = padded(plan)
    deliver(private_dovecot, user, password, plan)
    config = intake_config(tmp_path, private_dovecot, (user, password), smtp_server, unit_list)

    proc = start_py(config, "once", "--quiet", text=False)
    restarted = threading.Event()
    at_restart: list[int] = []

    def restart_when_reading() -> None:
        # Restart once some messages are done and many are still unread.
        db_path = tmp_path / "data" / "ledger.sqlite3"
        while proc.poll() is None:
            if db_path.exists():
                try:
                    with sqlite3.connect(db_path, timeout=30) as db:
                        done = db.execute("SELECT count(*) FROM messages WHERE state='done'").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
                if done >= 5:
                    at_restart.append(done)
                    private_dovecot.restart()
                    restarted.set()
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=restart_when_reading)
    killer.start()
    out, err = proc.communicate(timeout=300)
    killer.join()
    assert restarted.is_set(), "the run finished before the restart could happen"
    assert at_restart[0] < len(plan), "restart happened after everything was read"
    first = len(export(config))
    print(
        f"\nrestart after {at_restart[0]} messages; first run: exit {proc.returncode}, "
        f"{first} of {len(plan)} recorded; stderr: {err.decode()[-300:]}"
    )
    if proc.returncode != 0:
        assert "邮箱" in err.decode()

    second = run_py(config, "once", "--quiet")
    assert second.returncode == 0, second.stderr
    assert_all_once(config, plan, smtp_server)


# ---------------------------------------------------------------- SMTP


@pytest.mark.parametrize("code", [421, 451])
def test_temporary_smtp_refusal_keeps_mail_pending_until_a_later_flush(
    code, tmp_path, dovecot_server, imap_account, smtp_server, small_plan
):
    plan, unit_list = small_plan
    user, password = imap_account
    deliver(dovecot_server, user, password, plan)
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list)
    smtp_server.fail_next(code, "Try again later", count=100, command="MAIL")
    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert smtp_server.messages() == []
    states = outbox_states(config)
    assert states.get("pending", 0) == sum(1 for p in plan if p.kind not in ("auto", "duplicate"))
    assert "稍后重试" in proc.stdout

    # Still refused on the next run: nothing is sent before the retry time either.
    run_py(config, "once", "--quiet")
    assert smtp_server.messages() == []

    with smtp_server._lock:
        smtp_server._script.clear()
    make_due(config)
    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert outbox_states(config) == {"sent": states["pending"]}
    assert_all_once(config, plan, smtp_server)


def test_permanent_smtp_refusal_is_failed_and_listed_in_the_digest(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    nom = Nomination.sample("北京针灸学会", "北京针灸")
    raw = submission("bjzj@bj.example.cn", "推荐表", "perm-1@bj.example.cn", nomination=nom)
    dovecot_server.append(user, password, "INBOX", raw, DEADLINE - timedelta(days=3))
    from intake_env import write_config

    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    smtp_server.fail_next(550, "5.1.1 Mailbox unavailable", count=5, command="DATA")
    run_py(config, "once", "--quiet")
    assert outbox_states(config) == {"failed": 1}
    make_due(config)
    run_py(config, "once", "--quiet")  # a failed mail is never retried
    assert smtp_server.messages() == []
    assert outbox_states(config) == {"failed": 1}

    proc = run_py(config, "digest")
    assert proc.returncode == 0, proc.stderr
    html = "\n".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "outbox" / "reports").glob("每日汇总_*.html")
    )
    assert "bjzj@bj.example.cn" in html
    assert "Mailbox unavailable" in html


def test_smtp_down_during_once_keeps_everything_and_sends_it_once_later(
    tmp_path, dovecot_server, imap_account, smtp_server, small_plan
):
    plan, unit_list = small_plan
    user, password = imap_account
    deliver(dovecot_server, user, password, plan)
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list)
    smtp_server.down()
    proc = run_py(config, "once", "--quiet")
    # Mail was read and processed; sending is deferred, which is not an error of the run.
    assert proc.returncode == 0, proc.stderr
    expected = sum(1 for p in plan if p.kind not in ("auto", "duplicate"))
    assert f"稍后重试 {expected} 封" in proc.stdout
    assert outbox_states(config) == {"pending": expected}
    assert len(list((tmp_path / "outbox" / "receipt").glob("*.eml"))) == expected

    smtp_server.up()
    make_due(config)
    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 0, proc.stderr
    run_py(config, "once", "--quiet")
    assert outbox_states(config) == {"sent": expected}
    assert_all_once(config, plan, smtp_server)


# ---------------------------------------------------------------- disk full


def _file_size_limit(limit: int):
    def apply() -> None:
        # Writing past the limit then fails with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_file_size_limit_while_storing_raw_mail_loses_nothing(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    small = Nomination.sample("北京针灸学会", "北京针灸")
    big = Nomination.sample("天津市针灸学会", "津门针灸")
    raws = [
        submission("bjzj@bj.example.cn", "推荐表", "fs-1@bj.example.cn", nomination=small),
        submission("tjzj@tj.example.cn", "推荐表", "fs-2@tj.example.cn", nomination=big),
        submission(
            "jszj@js.example.cn",
            "推荐表",
            "fs-3@js.example.cn",
            nomination=Nomination.sample("江苏省针灸学会", "江苏针灸"),
        ),
    ]
    # The second message carries a 3 MB attachment: its raw copy exceeds the limit.
    msg = email.message_from_bytes(raws[1], policy=policy.default)
    msg.add_attachment(
        os.urandom(3 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="资料.bin"
    )
    raws[1] = msg.as_bytes()
    for i, raw in enumerate(raws):
        dovecot_server.append(user, password, "INBOX", raw, DEADLINE - timedelta(days=3, minutes=-i))
    from intake_env import write_config

    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    run_py(config, "status")  # create the ledger before the limit applies
    proc = run_py(config, "once", "--quiet", preexec_fn=_file_size_limit(2 * 1024 * 1024))
    assert proc.returncode != 0
    assert "磁盘空间不足" in one_chinese_line(proc.stderr)  # no tracebacks on the terminal
    assert [r["message_id"] for r in export(config)] == ["fs-1@bj.example.cn"]

    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 0, proc.stderr
    records = export(config)
    assert sorted(r["message_id"] for r in records) == [
        "fs-1@bj.example.cn",
        "fs-2@tj.example.cn",
        "fs-3@js.example.cn",
    ]
    assert sorted(receipts_by_case(smtp_server).values()) == [1, 1, 1]


def test_disk_full_while_writing_the_outbox_loses_nothing(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    raws = [
        submission(
            "bjzj@bj.example.cn",
            "推荐表",
            "full-1@bj.example.cn",
            nomination=Nomination.sample("北京针灸学会", "北京针灸"),
        ),
        submission(
            "tjzj@tj.example.cn",
            "推荐表",
            "full-2@tj.example.cn",
            nomination=Nomination.sample("天津市针灸学会", "津门针灸"),
        ),
    ]
    for i, raw in enumerate(raws):
        dovecot_server.append(user, password, "INBOX", raw, DEADLINE - timedelta(days=3, minutes=-i))
    from intake_env import write_config

    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    # The first receipt's temp file is /dev/full: the kernel answers ENOSPC to every write.
    day = (DEADLINE - timedelta(days=3)).strftime("%Y%m%d")
    receipt_dir = tmp_path / "outbox" / "receipt"
    receipt_dir.mkdir(parents=True)
    full = receipt_dir / f"{_safe_key(f'receipt:TJ-{day}-0001')}.eml.tmp"
    full.symlink_to("/dev/full")

    proc = run_py(config, "once", "--quiet")
    assert proc.returncode != 0
    assert "磁盘空间不足" in one_chinese_line(proc.stderr)  # no tracebacks on the terminal
    assert smtp_server.messages() == []
    with ledger(config) as db:
        assert db.execute("SELECT state FROM messages").fetchall() == [("claimed",)]
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert not full.exists() and not full.is_symlink()  # no half-written file is left

    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 0, proc.stderr
    records = export(config)
    assert sorted(r["message_id"] for r in records) == ["full-1@bj.example.cn", "full-2@tj.example.cn"]
    assert all(r["receipt_sent"] for r in records)
    assert sorted(receipts_by_case(smtp_server).values()) == [1, 1]


# ---------------------------------------------------------------- locked ledger


def test_ledger_locked_by_another_process_waits_then_processes_everything(
    tmp_path, dovecot_server, imap_account, smtp_server, small_plan
):
    plan, unit_list = small_plan
    user, password = imap_account
    deliver(dovecot_server, user, password, plan)
    config = intake_config(tmp_path, dovecot_server, imap_account, smtp_server, unit_list)
    run_py(config, "status")  # creates the ledger (WAL mode)

    holder = sqlite3.connect(tmp_path / "data" / "ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO kv(key, value) VALUES ('lock-test', 'held')")
    proc = start_py(config, "once", "--quiet")
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    still_running = proc.poll() is None
    with ledger(config) as db:
        assert (
            db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        )  # nothing written under the lock
    holder.execute("COMMIT")
    holder.close()
    out, err = proc.communicate(timeout=120)
    print(f"\nonce while locked: still running after 3 s: {still_running}, exit {proc.returncode}")
    if proc.returncode != 0:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in err), err
        proc2 = run_py(config, "once", "--quiet")
        assert proc2.returncode == 0, proc2.stderr
    else:
        assert still_running, "once finished although the ledger was locked"
    assert_all_once(config, plan, smtp_server)

"""Saying 'sent' only when it was (issue 12, item 4), as it was found: `digest --send`
and `packet --send` while the SMTP server is down printed '…，已发送给 …' and
exited 0. Now each says what happened to its mail (sent, queued and when,
failed and why) and exits non-zero when the mail did not go; a packet that
fails for good also alerts staff by mail."""

from __future__ import annotations

import email
import sqlite3
from datetime import datetime
from email import policy

import pytest
from intake_env import TZ, Nomination, export, one_chinese_line, run, submission, write_config

UPSTREAM = "xcc@cast.example.org.cn"


@pytest.fixture
def selected(tmp_path, dovecot_server, imap_account, smtp_server):
    """An installation with one accepted submission selected for the packet."""
    upstream = {"name": "中国科协调研宣传部", "addresses": [UPSTREAM], "deadline": "2021-08-10 00:00"}
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
    user, password = imap_account
    raw = submission(
        "bjzj@bj.example.cn",
        "北京推荐",
        "rep-1@bj.example.cn",
        nomination=Nomination.sample("北京针灸学会", "北京针灸"),
    )
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    case = export(config)[0]["case_no"]
    run(config, "decide", "select", case)
    return config, smtp_server


def outbox(config, kind: str) -> list[tuple]:
    with sqlite3.connect(config.parent / "data" / "ledger.sqlite3") as db:
        return db.execute("SELECT state, attempts FROM outbox WHERE kind = ?", (kind,)).fetchall()


def subjects(smtp) -> list[str]:
    return [str(email.message_from_bytes(m.data, policy=policy.default)["Subject"]) for m in smtp.messages()]


def test_digest_and_packet_with_smtp_down_say_queued_and_exit_nonzero(selected):
    config, smtp = selected
    smtp.down()
    for command, recipient in (
        (("digest", "--send"), "staff@society.example.cn"),
        (("packet", "--send"), UPSTREAM),
    ):
        proc = run(config, *command, check=False)
        assert proc.returncode == 5, (command, proc.stdout, proc.stderr)
        assert "已发送给" not in proc.stdout + proc.stderr
        line = one_chinese_line(proc.stderr)
        assert f"未能发给 {recipient}" in line and "自动重试" in line, line
    # Each was really tried (not left behind other mail with 0 attempts) and waits in the queue.
    assert outbox(config, "digest") == [("pending", 1)]
    assert outbox(config, "packet") == [("pending", 1)]

    smtp.up()
    proc = run(config, "packet", "--send")  # asked again: sent now, whatever its retry time
    assert proc.returncode == 0, proc.stderr
    assert f"已发送给 {UPSTREAM}" in proc.stdout
    assert outbox(config, "packet") == [("sent", 2)]
    assert [m.rcpts for m in smtp.messages()][-1] == [UPSTREAM]


def test_packet_refused_for_good_fails_loudly_and_alerts_staff(selected):
    config, smtp = selected
    smtp.fail_next(550, "5.1.1 no such user", count=1, command="DATA")
    proc = run(config, "packet", "--send", check=False)
    assert proc.returncode == 5
    line = one_chinese_line(proc.stderr)
    assert f"发给 {UPSTREAM} 失败" in line and "no such user" in line, line
    assert outbox(config, "packet") == [("failed", 1)]
    run(config, "once", "--quiet")  # the alert to staff goes out with the next run
    alerts = [s for s in subjects(smtp) if s.startswith("【紧急】")]
    assert alerts == ["【紧急】上报中国科协调研宣传部的材料包发送失败"]


def test_digest_sent_says_so_and_exits_zero(selected):
    config, smtp = selected
    proc = run(config, "digest", "--send")
    assert "已发送给 staff@society.example.cn" in proc.stdout
    assert any(s.startswith("【每日汇总】") or "汇总" in s for s in subjects(smtp))

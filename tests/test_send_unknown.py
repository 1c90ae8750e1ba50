"""A connection dropped after DATA (issue 12, item 3), as it was found: the SMTP
server stores the mail, then closes the connection before its 250. The outcome
is unknown, so the receipt is not sent again in the same run; a later run asks
the Sent folder when it can (1 delivery), else resends once (at most 2)."""

from __future__ import annotations

import email
import sqlite3
from datetime import timedelta
from email import policy
from pathlib import Path

from intake_env import DEADLINE, Nomination, run, submission, write_config
from mailservers import install_sent_copy


def deliver_one(dovecot, account) -> None:
    user, password = account
    raw = submission(
        "bjzj@bj.example.cn",
        "推荐表",
        "drop-1@bj.example.cn",
        nomination=Nomination.sample("北京针灸学会", "北京针灸"),
    )
    dovecot.append(user, password, "INBOX", raw, DEADLINE - timedelta(days=3))


def receipt_row(config: Path) -> tuple[str, int, int]:
    with sqlite3.connect(config.parent / "data" / "ledger.sqlite3") as db:
        return db.execute(
            "SELECT state, attempts, unknown_sends FROM outbox WHERE kind = 'receipt'"
        ).fetchone()


def later(config: Path) -> None:
    """The next cron run, minutes later: the unknown send's recheck time has come."""
    with sqlite3.connect(config.parent / "data" / "ledger.sqlite3") as db:
        db.execute("UPDATE outbox SET next_try_at = '2000-01-01 00:00:00.000000' WHERE state = 'unknown'")


def receipts(smtp) -> list:
    return [
        m
        for m in smtp.messages()
        if "【回执】" in str(email.message_from_bytes(m.data, policy=policy.default)["Subject"])
    ]


def test_dropped_after_data_with_a_sent_folder_is_delivered_once(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    install_sent_copy(smtp_server, dovecot_server, user, password)
    config = write_config(
        tmp_path,
        dovecot_server,
        imap_account,
        smtp_server,
        extra_smtp={"sent_check_mailbox": "报送邮箱", "sent_folder": "Sent"},
    )
    deliver_one(dovecot_server, imap_account)
    smtp_server.drop_after_data(100)  # every send is stored, and every connection dropped before the 250

    proc = run(config, "once", "--quiet")
    assert "结果不确定 1 封" in proc.stdout
    assert len(receipts(smtp_server)) == 1, "no blind retry inside the run"
    assert receipt_row(config)[0] == "unknown"

    run(config, "once", "--quiet")  # minutes later, before the recheck time: still nothing
    assert len(receipts(smtp_server)) == 1
    later(config)
    run(config, "once", "--quiet")  # the Sent folder has it: settled without sending
    assert receipt_row(config)[0] == "sent"
    later(config)
    run(config, "once", "--quiet")
    assert len(receipts(smtp_server)) == 1


def test_dropped_after_data_without_a_sent_folder_is_resent_once_at_most(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    deliver_one(dovecot_server, imap_account)
    smtp_server.drop_after_data(100)

    run(config, "once", "--quiet")
    assert len(receipts(smtp_server)) == 1, "no blind retry inside the run"
    assert receipt_row(config) == ("unknown", 1, 1)
    run(config, "once", "--quiet")  # the same cron minute: not yet
    assert len(receipts(smtp_server)) == 1

    later(config)
    run(config, "once", "--quiet")  # one resend, later, in another run
    assert len(receipts(smtp_server)) == 2
    assert receipt_row(config) == ("unknown", 2, 2)

    later(config)
    run(config, "once", "--quiet")  # two unknown outcomes: stop, and tell staff
    assert len(receipts(smtp_server)) == 2
    state, attempts, _ = receipt_row(config)
    assert (state, attempts) == ("failed", 2)
    run(config, "digest")
    html = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "outbox" / "reports").glob("每日汇总_*.html")
    )
    assert "无法确认" in html


def test_dropped_once_then_accepted_is_two_deliveries_and_sent(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    deliver_one(dovecot_server, imap_account)
    smtp_server.drop_after_data(1)
    run(config, "once", "--quiet")
    assert receipt_row(config)[0] == "unknown"
    later(config)
    run(config, "once", "--quiet")
    assert receipt_row(config)[0] == "sent"
    assert len(receipts(smtp_server)) == 2

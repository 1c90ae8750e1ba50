"""A failed mail can be sent again (issue 17.5), as it was found: after a 550 on the
packet, correcting the address and running `packet --send` again answered
"失败…不会重试" with status 5 forever, and nothing could resend any failed mail.
Now `packet --send` sends the packet again to the corrected address, and
`run.py resend` (the console calls the same function) sends any failed mail
again — to a new address when the address was the problem — recording who,
when, the old and new addresses and why it had not gone. Through the real SMTP
server (aiosmtpd answering 550 to a mistyped address, or to DATA)."""

from __future__ import annotations

import email
import re
import sqlite3
from datetime import datetime
from email import policy
from pathlib import Path

import pytest
import yaml
from intake_env import TZ, Nomination, export, one_chinese_line, run, submission, write_config

TYPO = "xcc@cast.exmaple.org.cn"
UPSTREAM = "xcc@cast.example.org.cn"


def outbox(config: Path, kind: str) -> list[tuple]:
    with sqlite3.connect(config.parent / "data" / "ledger.sqlite3") as db:
        return db.execute(
            "SELECT id, state, recipients FROM outbox WHERE kind = ? ORDER BY id", (kind,)
        ).fetchall()


def resends(config: Path) -> list[tuple]:
    with sqlite3.connect(config.parent / "data" / "ledger.sqlite3") as db:
        return db.execute(
            "SELECT who, old_recipients, new_recipients, previous_state, previous_error FROM outbox_resends ORDER BY id"
        ).fetchall()


def delivered(smtp, subject_part: str) -> list[list[str]]:
    """The envelope recipients of every mail the server accepted whose subject has `subject_part`."""
    return [
        m.rcpts
        for m in smtp.messages()
        if subject_part in str(email.message_from_bytes(m.data, policy=policy.default)["Subject"])
    ]


@pytest.fixture
def installation(tmp_path, dovecot_server, imap_account, smtp_server):
    """One accepted submission from 北京, selected for the packet; the upstream address mistyped."""
    upstream = {"name": "中国科协调研宣传部", "addresses": [TYPO], "deadline": "2021-08-10 00:00"}
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
    smtp_server.unknown_recipients = {TYPO, "old-bjzj@bj.example.cn"}
    user, password = imap_account
    raw = submission(
        "bjzj@bj.example.cn",
        "北京推荐",
        "rs-1@bj.example.cn",
        nomination=Nomination.sample("北京针灸学会", "北京针灸"),
    )
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    case = export(config)[0]["case_no"]
    run(config, "decide", "select", case)
    return config, smtp_server, case


def set_upstream(config: Path, address: str) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["upstream"]["addresses"] = [address]
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_packet_refused_for_a_mistyped_address_goes_after_the_address_is_corrected(installation):
    config, smtp, _ = installation
    proc = run(config, "packet", "--send", check=False)
    assert proc.returncode == 5
    line = one_chinese_line(proc.stderr)
    assert f"发给 {TYPO} 失败" in line and "User unknown" in line and "可以重新发送（邮件编号" in line, line
    [(packet_id, state, _)] = outbox(config, "packet")
    assert state == "failed"

    set_upstream(config, UPSTREAM)  # staff correct the address in inbox_rules.yaml
    proc = run(config, "packet", "--send")
    assert f"已发送给 {UPSTREAM}" in proc.stdout, proc.stdout
    assert outbox(config, "packet") == [(packet_id, "sent", f'["{UPSTREAM}"]')]
    assert delivered(smtp, "账号材料")[-1:] == [[UPSTREAM]]
    [(who, old, new, previous, why)] = resends(config)
    assert (old, new, previous) == (f'["{TYPO}"]', f'["{UPSTREAM}"]', "failed")
    assert "packet --send" in who and "User unknown" in why

    proc = run(config, "packet", "--send")  # asked once more: it went, nothing is sent twice
    assert proc.returncode == 0 and f"已发送给 {UPSTREAM}" in proc.stdout
    assert len([r for r in delivered(smtp, "账号材料") if r == [UPSTREAM]]) == 1
    assert len(resends(config)) == 1


def test_a_failed_receipt_is_resent_to_a_corrected_address_and_recorded(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    units = [{"name": "北京针灸学会", "addresses": ["old-bjzj@bj.example.cn", "bjzj@bj.example.cn"]}]
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, units=units)
    smtp_server.unknown_recipients = {"old-bjzj@bj.example.cn"}
    user, password = imap_account
    raw = submission(
        "old-bjzj@bj.example.cn",
        "北京推荐",
        "rs-2@bj.example.cn",
        nomination=Nomination.sample("北京针灸学会", "北京针灸"),
    )
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    case = export(config)[0]["case_no"]
    [(receipt_id, state, _)] = outbox(config, "receipt")
    assert state == "failed"
    run(config, "backup", "--to", str(tmp_path / "before-resend.sqlite3"))

    listed = run(config, "resend").stdout
    assert f"#{receipt_id}" in listed and "回执" in listed and "User unknown" in listed, listed

    proc = run(config, "resend", str(receipt_id), "--to", "bjzj@bj.example.cn", "--by", "刘晶晶")
    assert "已发送给 bjzj@bj.example.cn" in proc.stdout, proc.stdout
    assert delivered(smtp_server, "【回执】") == [["bjzj@bj.example.cn"]]
    got = email.message_from_bytes(smtp_server.messages()[-1].data, policy=policy.default)
    assert got["To"] == "bjzj@bj.example.cn" and case in str(got["Subject"])
    [(who, old, new, previous, why)] = resends(config)
    assert (who, old, new, previous) == (
        "刘晶晶",
        '["old-bjzj@bj.example.cn"]',
        '["bjzj@bj.example.cn"]',
        "failed",
    )
    audit = run(config, "show", case).stdout
    assert re.search(
        r"刘晶晶：重新发送「【回执】[^」]*」，收件人由 old-bjzj@bj.example.cn 改为 bjzj@bj.example.cn", audit
    ), audit
    assert "没有发送失败的邮件" in run(config, "resend").stdout

    again = run(config, "resend", str(receipt_id), check=False)
    assert again.returncode == 1 and "不再重发" in one_chinese_line(again.stderr)
    bad = run(config, "resend", str(receipt_id), "--to", "刘晶晶", check=False)
    assert bad.returncode == 1 and "不是有效的邮箱地址" in one_chinese_line(bad.stderr)
    assert len(smtp_server.messages()) == 1

    # A backup from before the resend, restored: the ledger is behind the outbox journal until a rebuild;
    # a ledger lost altogether is rebuilt the same way. Either way the mail stays sent to the new
    # address, with its resend record and audit line, and nothing is sent again.
    proc = run(config, "restore", str(tmp_path / "before-resend.sqlite3"))
    assert "rebuild" in proc.stdout, proc.stdout
    assert run(config, "check", check=False).returncode == 4
    for lose_it_all in (False, True):
        if lose_it_all:
            for suffix in ("", "-wal", "-shm"):
                (tmp_path / "data" / f"ledger.sqlite3{suffix}").unlink(missing_ok=True)
        out = run(config, "rebuild").stdout
        assert "恢复 1 条重新发送的记录" in out, out
        assert outbox(config, "receipt")[0][1:] == ("sent", '["bjzj@bj.example.cn"]')
        assert [r[:4] for r in resends(config)] == [
            ("刘晶晶", '["old-bjzj@bj.example.cn"]', '["bjzj@bj.example.cn"]', "failed")
        ]
        assert "收件人由 old-bjzj@bj.example.cn 改为 bjzj@bj.example.cn" in run(config, "show", case).stdout
        run(config, "once", "--quiet")
        assert len(smtp_server.messages()) == 1


def test_a_mail_refused_at_data_is_resent_by_its_case_number_once_the_other_side_is_fixed(
    installation,
):
    config, smtp, case = installation
    smtp.fail_next(550, "5.7.1 Message rejected: mailbox full", count=1, command="DATA")
    proc = run(config, "decide", "reject", case, "--reason", "账号已注销", "--send", check=False)
    assert proc.returncode == 5 and "mailbox full" in one_chinese_line(proc.stderr)
    proc = run(config, "resend", case, "--by", "刘晶晶")
    assert "已发送给 bjzj@bj.example.cn" in proc.stdout, proc.stdout
    assert delivered(smtp, "不予受理") == [["bjzj@bj.example.cn"]]
    [(who, old, new, previous, why)] = resends(config)
    assert old == new == '["bjzj@bj.example.cn"]' and "mailbox full" in why


def test_resend_when_the_server_still_refuses_says_so(installation):
    config, smtp, _ = installation
    run(config, "packet", "--send", check=False)
    [(packet_id, _, _)] = outbox(config, "packet")
    proc = run(config, "resend", str(packet_id), check=False)  # the address is still wrong
    assert proc.returncode == 5
    line = one_chinese_line(proc.stderr)
    assert f"发给 {TYPO} 失败" in line and "User unknown" in line, line
    assert outbox(config, "packet")[0][1] == "failed"
    assert len(resends(config)) == 1, "the attempt is recorded even though it failed again"


def test_two_staff_resending_the_same_mail_at_once_send_it_once(installation):
    """Two people press 重新发送 on the same failed packet in the same moment."""
    import threading

    from pipeline.config import load_config
    from pipeline.ledger import Ledger
    from pipeline.outbox.requeue import ResendRefused
    from pipeline.staff.resend import resend_mail

    config_path, smtp, _ = installation
    run(config_path, "packet", "--send", check=False)
    [(packet_id, state, _)] = outbox(config_path, "packet")
    assert state == "failed"
    config = load_config(config_path)
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def press(who: str) -> None:
        ledger = Ledger(config.database_url)
        start.wait()
        try:
            results[who] = resend_mail(ledger, config, packet_id, who, [UPSTREAM])
        except ResendRefused as exc:
            results[who] = exc

    threads = [threading.Thread(target=press, args=(who,)) for who in ("刘晶晶", "易文军")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    sent = [r for r in results.values() if getattr(r, "state", None) == "sent"]
    assert len(sent) == 1, results
    other = next(r for r in results.values() if r is not sent[0])
    assert isinstance(other, ResendRefused) or not other.delivered, other
    assert delivered(smtp, "账号材料") == [[UPSTREAM]]
    assert len(resends(config_path)) == 1

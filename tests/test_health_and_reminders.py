"""Mailbox health alerts, the upstream-selection reminder, the daily sending cap, `status`."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

from intake_env import TZ, Nomination, export, run, submission, write_config

from pipeline.config import load_config
from pipeline.staff.reminders import remind_upstream_selection


def subjects(smtp) -> list[str]:
    return [email.message_from_bytes(m.data, policy=policy.default)["Subject"] for m in smtp.messages()]


def test_failing_mailbox_alerts_staff_once_and_shows_in_the_digest(tmp_path, dovecot_server, smtp_server):
    config = write_config(
        tmp_path,
        dovecot_server,
        ("nobody@example.org", "wrong-password"),
        smtp_server,
        extra_level={"alert_after_failed_polls": 2},
    )
    for _ in range(3):
        assert run(config, "once", check=False).returncode != 0
    alerts = [s for s in subjects(smtp_server) if "警告" in s]
    assert len(alerts) == 1 and "报送邮箱" in alerts[0]
    alert = email.message_from_bytes(smtp_server.messages()[0].data, policy=policy.default)
    assert alert["To"] == "staff@society.example.cn"
    run(config, "digest")
    html = next((tmp_path / "outbox" / "reports").glob("每日汇总_*.html")).read_text(encoding="utf-8")
    assert "报送邮箱" in html and "登录失败" in html


def test_upstream_selection_reminder_two_days_before(tmp_path, dovecot_server, imap_account, smtp_server):
    upstream = {
        "name": "中国科协调研宣传部",
        "addresses": ["up@cast.example.org.cn"],
        "deadline": "2021-08-10 00:00",
    }
    path = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
    config = load_config(path)
    assert remind_upstream_selection(config, send=True, now=datetime(2021, 8, 5, 9, 0, tzinfo=TZ)) is None
    assert remind_upstream_selection(config, send=True, now=datetime(2021, 8, 8, 9, 0, tzinfo=TZ))
    remind_upstream_selection(config, send=True, now=datetime(2021, 8, 9, 9, 0, tzinfo=TZ))
    assert [s for s in subjects(smtp_server) if "尚未选定" in s] == [
        "【提醒】尚未选定上报中国科协调研宣传部的账号"
    ]


def test_daily_cap_defers_the_rest(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, extra_smtp={"daily_cap": 2})
    user, password = imap_account
    for i, (addr, unit) in enumerate(
        [
            ("bjzj@bj.example.cn", "北京针灸学会"),
            ("tjzj@tj.example.cn", "天津市针灸学会"),
            ("jszj@js.example.cn", "江苏省针灸学会"),
        ]
    ):
        raw = submission(addr, "推荐表", f"cap-{i}@x", nomination=Nomination.sample(unit, f"账号{i}"))
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, i, tzinfo=TZ))
    proc = run(config, "once")
    assert "稍后重试 1 封" in proc.stdout
    assert len(smtp_server.messages()) == 2
    assert sorted(r["receipt_sent"] for r in export(config)) == [False, True, True]


def test_status_lists_every_roster_unit(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account
    raw = submission(
        "bjzj@bj.example.cn", "推荐表", "st-1@x", nomination=Nomination.sample("北京针灸学会", "北京针灸")
    )
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    out = run(config, "status").stdout
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "已受理" in lines["北京针灸学会"] and "北京针灸" in lines["北京针灸学会"]
    assert "未报送" in lines["江苏省针灸学会"]

"""The digest as staff read it (issue 20, item 11, the digest's part).

As found: `digest --date 2021-08-01` changed only the file name (subject and body
showed today's state); to-dos ended with "命令：python run.py show TJ-…"; a 逾期
unit never appeared among the things to do. Now an earlier day's digest shows
that day (its subject, its countdown, only the mail that had arrived); each
to-do ends with a console link; a late submission is a to-do for a person."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

import pytest
from intake_env import TZ, Nomination, export, run, submission, write_config


@pytest.fixture
def late_and_on_time(tmp_path, dovecot_server, imap_account, smtp_server):
    """北京 on time (07-20), 上海 after the deadline (08-03 10:00); the deadline is 2021-08-02 00:00."""
    config = write_config(
        tmp_path, dovecot_server, imap_account, smtp_server, deadline=datetime(2021, 8, 2, tzinfo=TZ)
    )
    user, password = imap_account
    for sender, unit, name, msg_id, when in (
        (
            "bjzj@bj.example.cn",
            "北京针灸学会",
            "京针之声",
            "d-bj@bj.example.cn",
            datetime(2021, 7, 20, 10, 0, tzinfo=TZ),
        ),
        (
            "a@shzj.example.cn",
            "上海市针灸学会",
            "海上针灸",
            "d-sh@shzj.example.cn",
            datetime(2021, 8, 3, 10, 0, tzinfo=TZ),
        ),
    ):
        raw = submission(sender, f"{unit}推荐", msg_id, nomination=Nomination.sample(unit, name), sent=when)
        dovecot_server.append(user, password, "INBOX", raw, when)
    run(config, "once", "--quiet")
    cases = {r["message_id"]: r for r in export(config)}
    assert cases["d-sh@shzj.example.cn"]["status"] == "late"
    return config, smtp_server, cases["d-sh@shzj.example.cn"]["case_no"]


def digest_mail(config, smtp, *args: str):
    before = len(smtp.messages())
    run(config, "digest", "--send", *args)
    (mail,) = [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[before:]]
    return str(mail["Subject"]), mail.get_body(("plain",)).get_content()


def test_an_earlier_days_digest_shows_that_day(late_and_on_time):
    config, smtp, _ = late_and_on_time
    subject, body = digest_mail(config, smtp, "--date", "2021-07-25")
    assert "2021-07-25" in subject and "已受理 1/" in subject, subject
    assert "每日汇总（2021-07-25 08:00）" in body, body
    assert "报送截止：2021-08-02 00:00（北京时间），还有 8 天" in body, body  # 07-25 … 08-01
    # 上海's late mail had not arrived on 07-25: 上海 had sent nothing yet.
    lines = {line.strip().split("：")[0]: line for line in body.splitlines() if line.startswith("  ")}
    assert "未报送" in lines["上海市针灸学会"] and "逾期" not in body, body
    assert "名单内 4 个单位：未报送 3，已受理 1" in body
    assert (config.parent / "outbox" / "reports" / "每日汇总_2021-07-25.html").is_file()


def test_todos_end_with_a_console_link_and_the_late_unit_is_one(late_and_on_time):
    config, smtp, late_case = late_and_on_time
    subject, body = digest_mail(config, smtp)
    todo = body.split("今天要做的事")[1].split("各单位情况")[0]
    assert "逾期" in todo and "上海市针灸学会 的报送在截止后才收到" in todo, todo
    assert f"打开：http://127.0.0.1:8080/case/{late_case}" in todo, todo
    assert "python run.py" not in body and "命令：" not in body, body

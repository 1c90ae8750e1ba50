"""An earlier day's digest shows each case as it stood then (issue 20, item 11).

As found: `digest --date D` counted D's arrivals, but showed each case's status of
today — a case staff accepted two days later read 已受理 in D's digest, though on D
it was waiting for the unit's fix. Now every status change is kept (status_changes:
from, to, the packet selection, when, by whom), and D's digest reads each case's status at its moment
(D at the digest hour, the moment it is stamped with). The days are set with the
campaign's `clock`; a rebuilt ledger gives back the same history."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

import openpyxl
import pytest
import yaml
from intake_env import TZ, Nomination, export, run, submission, write_config

from pipeline.config import load_config
from pipeline.ledger import Ledger, MessageRow
from pipeline.ledger.status_history import history

ARRIVAL = datetime(2021, 7, 20, 7, 30, tzinfo=TZ)  # before that day's 08:00 digest


def set_clock(config, when: str) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["clock"] = when
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def digest_body(config, smtp, *args: str) -> tuple[str, str]:
    before = len(smtp.messages())
    run(config, "digest", "--send", *args)
    (mail,) = [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[before:]]
    return str(mail["Subject"]), mail.get_body(("plain",)).get_content()


def unit_line(body: str, unit: str) -> str:
    (line,) = [line.strip() for line in body.splitlines() if line.startswith(f"  {unit}：")]
    return line


def changes_of(config, case_no: str) -> list[tuple]:
    """The case's status history: (from, to, selected, when in Beijing time, source, who)."""
    ledger = Ledger(load_config(config).database_url)
    try:
        with ledger.session() as s:
            row_id = s.query(MessageRow.id).filter(MessageRow.case_no == case_no).scalar()
            return [
                (c.from_status, c.to_status, c.selected, c.at.astimezone(TZ), c.source, c.who)
                for c in history(s, row_id)
            ]
    finally:
        ledger.engine.dispose()


@pytest.fixture
def accepted_two_days_later(tmp_path, dovecot_server, imap_account, smtp_server):
    """北京's form has a wrong phone number (需补正 on 07-20); 刘晶晶 accepts it on 07-22 07:45
    and selects it for the packet on 07-23 07:50."""
    upstream = {
        "name": "中国科协调研宣传部",
        "addresses": ["xcc@cast.example.org.cn"],
        "deadline": "2021-08-10 00:00",
    }
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
    user, password = imap_account
    nomination = Nomination.sample("北京针灸学会", "京针之声", 手机="022-1")
    raw = submission(
        "bjzj@bj.example.cn", "北京针灸学会推荐", "asof-bj@bj.example.cn", nomination=nomination, sent=ARRIVAL
    )
    dovecot_server.append(user, password, "INBOX", raw, ARRIVAL)
    set_clock(config, "2021-07-20 09:00")
    run(config, "once", "--quiet")
    (case,) = export(config)
    assert case["status"] == "needs_fix", case["status"]
    set_clock(config, "2021-07-22 07:45")
    run(config, "decide", "accept", case["case_no"], "--reason", "电话核实", "--by", "刘晶晶")
    set_clock(config, "2021-07-23 07:50")
    run(config, "decide", "select", case["case_no"], "--by", "刘晶晶")
    set_clock(config, "2021-07-25 09:00")
    return config, smtp_server, case["case_no"]


def test_an_earlier_days_digest_shows_the_status_the_case_had_that_day(accepted_two_days_later):
    config, smtp, case_no = accepted_two_days_later
    subject, body = digest_body(config, smtp, "--date", "2021-07-20")
    assert "2021-07-20" in subject and "已受理 0/4" in subject, subject
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：需补正"), body
    assert "名单内 4 个单位：需补正 1，未报送 3" in body, body
    # That day's sheet, beside today's: 北京 as it stood then.
    sheet = openpyxl.load_workbook(config.parent / "outbox" / "reports" / "汇总表_2021-07-20.xlsx")
    cells = [str(c) for row in sheet.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "需补正" in cells and "已受理" not in cells, cells

    subject, body = digest_body(config, smtp, "--date", "2021-07-22")  # the 08:00 digest, after 07:45
    assert "已受理 1/" in subject, subject
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：已受理"), body
    assert "已选定：尚未选定" in body, body  # selected only the next morning

    _, body = digest_body(config, smtp, "--date", "2021-07-21")  # the day between: still waiting
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：需补正"), body

    _, body = digest_body(config, smtp, "--date", "2021-07-23")
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：已选定上报"), body

    _, body = digest_body(config, smtp)  # today (the clock's 07-25): as it is now
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：已选定上报"), body


def test_every_status_change_is_kept_and_a_rebuild_gives_the_same_history(accepted_two_days_later):
    config, smtp, case_no = accepted_two_days_later
    before = changes_of(config, case_no)
    assert before == [
        (None, "needs_fix", False, ARRIVAL, "intake", ""),
        ("needs_fix", "accepted", False, datetime(2021, 7, 22, 7, 45, tzinfo=TZ), "staff", "刘晶晶"),
        ("accepted", "accepted", True, datetime(2021, 7, 23, 7, 50, tzinfo=TZ), "staff", "刘晶晶"),
    ]

    db = load_config(config).path("data/ledger.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    sent = len(smtp.messages())
    out = run(config, "rebuild").stdout
    assert "按工作人员处理记录恢复 2 条" in out, out
    assert len(smtp.messages()) == sent
    assert changes_of(config, case_no) == before, "the decision comes back at the time it was made"
    _, body = digest_body(config, smtp, "--date", "2021-07-20")
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：需补正"), body
    _, body = digest_body(config, smtp, "--date", "2021-07-22")
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：已受理"), body
    _, body = digest_body(config, smtp, "--date", "2021-07-23")
    assert unit_line(body, "北京针灸学会").startswith("北京针灸学会：已选定上报"), body

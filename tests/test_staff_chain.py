"""Staff jobs end to end (digest, reminders, decisions, packet) and the two-level
chain: our packet mail is a valid submission for a second installation (科协)."""

from __future__ import annotations

import email
import io
from datetime import datetime, timedelta
from email import policy
from html.parser import HTMLParser

import openpyxl
import pytest
from intake_env import TZ, Nomination, export, run, submission, write_config

UPSTREAM_USER = "xcc@cast.example.org.cn"


def parsed(smtp):
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()]


class TextOf(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data):
        self.text.append(data)


DEADLINE = (datetime.now(TZ) + timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def society(tmp_path, dovecot_server, imap_account, smtp_server):
    """Four roster units before a deadline five days from now: 北京 accepted, 上海 (a domain, no
    address) with a 粉丝数量 to fix, an unknown sender, and 天津/江苏 with nothing sent."""
    upstream = {
        "name": "中国科协调研宣传部",
        "addresses": [UPSTREAM_USER],
        "deadline": (DEADLINE + timedelta(days=8)).strftime("%Y-%m-%d %H:%M"),
        "accounts": 1,
    }
    config = write_config(
        tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream, deadline=DEADLINE
    )
    user, password = imap_account
    bj = Nomination.sample("北京针灸学会", "北京针灸")
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission("bjzj@bj.example.cn", "北京推荐", "bj-1@bj.example.cn", nomination=bj),
        datetime(2021, 7, 20, 10, 0, tzinfo=TZ),
    )
    sh = Nomination.sample("上海市针灸学会", "上海针灸<script>alert(1)</script>", 粉丝数量="=1+2")
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission("a@shzj.example.cn", "<b>上海</b>推荐", "sh-1@shzj.example.cn", nomination=sh, xlsx=True),
        datetime(2021, 7, 21, 10, 0, tzinfo=TZ),
    )
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission(
            "who@else.example.com",
            "推荐",
            "x-1@else.example.com",
            nomination=Nomination.sample("某单位", "某号"),
        ),
        datetime(2021, 7, 21, 11, 0, tzinfo=TZ),
    )
    run(config, "once")
    return config, smtp_server


def case_of(config, message_id: str) -> str:
    return next(r["case_no"] for r in export(config) if r["message_id"] == message_id)


def test_digest_mail_and_summary_sheet(society):
    config, smtp = society
    before = len(smtp.messages())
    run(config, "digest", "--send")
    digest = parsed(smtp)[before]
    assert digest["To"] == "staff@society.example.cn"
    html = digest.get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    parser = TextOf()
    parser.feed(html)
    text = "".join(parser.text)
    assert "江苏省针灸学会" in text  # on the roster, sent nothing
    assert "发件人不在名单" in text
    assert "名单内 4 个单位：需补正 1，未报送 2，已受理 1" in digest.get_body(("plain",)).get_content()
    xlsx = next(p for p in digest.iter_attachments() if p.get_filename() == "汇总表.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))
    ws = wb["汇总"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"北京针灸学会", "上海市针灸学会", "天津市针灸学会", "江苏省针灸学会"}
    assert rows["江苏省针灸学会"][2] == "未报送"
    assert rows["北京针灸学会"][2] == "已受理"
    assert rows["上海市针灸学会"][2] == "需补正"
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert cell.data_type == "s"  # formula injection stays text
    # A second digest with nothing changed is not mailed again the same day.
    run(config, "digest", "--send")
    assert len(smtp.messages()) == before + 1


def test_reminders_say_the_right_thing_to_each_unit_once(society):
    config, smtp = society
    before = len(smtp.messages())
    said = run(config, "remind", "--days", "3", "--send").stdout
    # One sentence for the staff member: what was written, then what happened to it.
    headline = said.splitlines()[0]
    assert headline.startswith("催报（截止前 3 天这一档）：新写入 3 封") and "已发送" in headline
    assert "。；" not in said
    run(config, "remind", "--days", "3", "--send")
    reminders = parsed(smtp)[before:]
    by_to = {m["To"]: m for m in reminders}
    # 北京 is accepted; 上海 has only a domain, so its fix reminder goes to the address it sent from.
    assert sorted(by_to) == ["a@shzj.example.cn", "jszj@js.example.cn", "tjzj@tj.example.cn"]
    assert all(m["Cc"] == "staff@society.example.cn" for m in reminders)
    nothing = by_to["jszj@js.example.cn"].get_body(("plain",)).get_content()
    assert "尚未收到贵单位的推荐材料" in nothing and "补正" not in nothing
    assert "“走好网上群众路线‘百佳账号’推选”" in nothing  # quotes never nest as “…“…”…”
    assert "还有 5 天" in nothing and f"{DEADLINE.month}月{DEADLINE.day}日前" in nothing
    fix = by_to["a@shzj.example.cn"]
    assert "补正" in fix["Subject"]
    fix_text = fix.get_body(("plain",)).get_content()
    assert "「粉丝数量」" in fix_text and "尚未收到" not in fix_text


def test_no_reminder_after_the_deadline(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)  # deadline 2021-08-02
    out = run(config, "remind", "--days", "1", "--send").stdout
    assert "已过" in out and "不再" in out
    assert smtp_server.messages() == []
    assert not list((tmp_path / "outbox").glob("reminder/*.eml"))


def test_staff_decisions_are_audited_everywhere(society):
    config, smtp = society
    case = case_of(config, "x-1@else.example.com")
    run(
        config,
        "decide",
        "assign",
        case,
        "--unit",
        "江苏省针灸学会",
        "--reason",
        "该单位新邮箱",
        "--by",
        "刘晶晶",
    )
    rec = next(r for r in export(config) if r["case_no"] == case)
    assert rec["unit"] == "江苏省针灸学会" and rec["status"] == "accepted"
    run(config, "digest")
    wb = openpyxl.load_workbook(config.parent / "outbox" / "reports" / "汇总表.xlsx")
    ws = wb["全部来信"]
    col = [c.value for c in ws[1]].index("人工决定")
    lines = [r[col] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == case]
    assert lines and "刘晶晶" in lines[0] and "该单位新邮箱" in lines[0]
    shown = run(config, "show", case).stdout
    assert "刘晶晶：指定单位" in shown


def test_upstream_quota_is_enforced(society):
    config, _ = society
    bj = case_of(config, "bj-1@bj.example.cn")
    sh = case_of(config, "sh-1@shzj.example.cn")
    run(config, "decide", "accept", sh, "--reason", "粉丝数已电话核实")  # its 粉丝数量 was "=1+2"
    run(config, "decide", "select", bj)
    proc = run(config, "decide", "select", sh, check=False)
    assert proc.returncode != 0 and "名额" in (proc.stderr + proc.stdout)

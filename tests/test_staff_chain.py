"""Staff jobs end to end (digest, reminders, decisions, packet) and the two-level
chain: our packet mail is a valid submission for a second installation (科协)."""

from __future__ import annotations

import email
import io
import json
import zipfile
from datetime import datetime
from email import policy
from html.parser import HTMLParser

import openpyxl
import pytest
from intake_env import TZ, Nomination, export, run, submission, write_config
from mailservers import SmtpServer

UPSTREAM_USER = "xcc@cast.example.org.cn"


def parsed(smtp):
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()]


class TextOf(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def society(tmp_path, dovecot_server, imap_account, smtp_server):
    upstream = {
        "name": "中国科协调研宣传部",
        "addresses": [UPSTREAM_USER],
        "deadline": "2021-08-10 00:00",
        "accounts": 1,
    }
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
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
    xlsx = next(p for p in digest.iter_attachments() if p.get_filename() == "汇总表.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))
    ws = wb.worksheets[0]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) >= {"北京针灸学会", "上海市针灸学会", "天津市针灸学会", "江苏省针灸学会"}
    assert rows["江苏省针灸学会"][1] == "未报送"
    assert rows["北京针灸学会"][1] == "已受理"
    assert ws.freeze_panes == "A2"
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            assert cell.data_type == "s"  # formula injection stays text
    # A second digest with nothing changed is not mailed again the same day.
    run(config, "digest", "--send")
    assert len(smtp.messages()) == before + 1


def test_reminders_go_once_per_unit_per_schedule_point(society):
    config, smtp = society
    before = len(smtp.messages())
    run(config, "remind", "--days", "3", "--send")
    run(config, "remind", "--days", "3", "--send")
    reminders = [m for m in parsed(smtp)[before:] if "催报" in m["Subject"]]
    to = sorted(m["To"] for m in reminders)
    # 北京 is accepted; 上海 has no address (domain only) so cannot be reminded.
    assert to == ["jszj@js.example.cn", "tjzj@tj.example.cn"]
    assert all(m["Cc"] == "staff@society.example.cn" for m in reminders)


def test_staff_decisions_are_audited_and_notify_the_unit(society):
    config, smtp = society
    case = case_of(config, "x-1@else.example.com")
    before = len(smtp.messages())
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
        "--send",
    )
    rec = next(r for r in export(config) if r["case_no"] == case)
    assert rec["unit"] == "江苏省针灸学会" and rec["status"] == "accepted"
    notice = parsed(smtp)[before]
    assert notice["To"] == "who@else.example.com" and "已受理" in notice["Subject"]
    assert "该单位新邮箱" in notice.get_body(("plain",)).get_content()
    run(config, "digest")
    html = next((config.parent / "outbox" / "reports").glob("每日汇总_*.html")).read_text(encoding="utf-8")
    assert "刘晶晶" in html  # the audit line is shown


def test_upstream_quota_is_enforced(society):
    config, _ = society
    bj = case_of(config, "bj-1@bj.example.cn")
    sh = case_of(config, "sh-1@shzj.example.cn")
    run(config, "decide", "accept", sh, "--reason", "粉丝数已电话核实")  # its 粉丝数量 was "=1+2"
    run(config, "decide", "select", bj)
    proc = run(config, "decide", "select", sh, check=False)
    assert proc.returncode != 0 and "名额" in (proc.stderr + proc.stdout)


def test_packet_is_a_valid_submission_at_the_next_level(society, tmp_path, dovecot_server, request):
    config, smtp = society
    run(config, "decide", "select", case_of(config, "bj-1@bj.example.cn"))
    before = len(smtp.messages())
    run(config, "packet", "--send")
    packet_mail = smtp.messages()[before]
    assert packet_mail.rcpts == [UPSTREAM_USER]
    msg = email.message_from_bytes(packet_mail.data, policy=policy.default)
    part = next(msg.iter_attachments())
    with zipfile.ZipFile(io.BytesIO(part.get_content())) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = zf.namelist()
    assert "汇总表.xlsx" in names
    assert any(n.endswith("推荐表.docx") for n in names)
    # Re-running the packet with the same selection sends nothing new.
    run(config, "packet", "--send")
    assert len(smtp.messages()) == before + 1
    assert manifest

    # Level two: 中国科协 runs this same software; the society is on its roster.
    cast_dir = tmp_path / "cast"
    cast_dir.mkdir()
    cast_account = (UPSTREAM_USER, "cast-pass")
    dovecot_server.add_user(*cast_account)
    cast_smtp = SmtpServer(user=UPSTREAM_USER, password="cast-smtp")
    cast_smtp.up()
    request.addfinalizer(cast_smtp.down)
    cast_config = write_config(
        cast_dir,
        dovecot_server,
        cast_account,
        cast_smtp,
        units=[{"name": "中国针灸学会", "addresses": [smtp.user]}],
        level_name="中国科协调研宣传部",
        deadline=datetime(2021, 8, 10, 0, 0, tzinfo=TZ),
    )
    dovecot_server.append(*cast_account, "INBOX", packet_mail.data, datetime(2021, 8, 5, 10, 0, tzinfo=TZ))
    run(cast_config, "once")
    records = export(cast_config)
    assert len(records) == 1
    rec = records[0]
    assert rec["unit"] == "中国针灸学会"
    assert rec["fields"]["账号名称"] == "北京针灸"
    assert rec["normalized"]["粉丝数量"] == 123000
    assert rec["status"] == "accepted", rec["problems"]
    receipt = email.message_from_bytes(cast_smtp.messages()[0].data, policy=policy.default)
    assert receipt["To"] == smtp.user and "已受理" in receipt["Subject"]

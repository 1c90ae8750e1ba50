"""Daily digest: counts that agree with where each unit stands, what to do first,
and a layout that fits a phone (rendered in Chromium at 375 px)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import PHONE, new_page, shoot, sideways_overflow

from pipeline.model import Problem, Status
from pipeline.reports.digest import digest_fingerprint, digest_subject, digest_text, render_digest_html
from pipeline.reports.views import DigestData, MailboxHealth, StaffTask, SubmissionView, UnitRow, UpstreamInfo

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BJ = timezone(timedelta(hours=8))
EVIL = '<script>alert("x")</script>'


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "h3":
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "h3" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    c.close()
    return c


def view(case_no, unit, status, subject="推荐材料", name="针灸之声", selected=False) -> SubmissionView:
    return SubmissionView(
        case_no=case_no,
        unit=unit,
        sender="sender@example.cn",
        message_id=f"{case_no}@example.cn",
        arrival=datetime(2021, 7, 30, 9, 15, tzinfo=BJ),
        status=status,
        fields={"账号名称": name},
        normalized={},
        problems=[],
        attachments=[],
        subject=subject,
        selected=selected,
    )


@pytest.fixture()
def data() -> DigestData:
    a = view("TJ-001", "北京针灸学会", Status.ACCEPTED, name="京针<b>粗</b>", selected=True)
    b = view("TJ-002", "上海市针灸学会", Status.NEEDS_FIX)
    b.problems = [Problem("手机", "phone_invalid", "手机号码应为11位数字。")]
    c = view("TJ-003", None, Status.UNKNOWN_UNIT, subject=EVIL)
    d = view("TJ-004", "天津市针灸学会", Status.MANUAL_REVIEW)
    d.is_scan = True
    e = view("TJ-005", "山西省针灸学会", Status.LATE)
    e.problems = [Problem(None, "late", "本邮件于 2021-08-02 10:00（北京时间）到达，已超过报送截止时间。")]
    long_unit = "新疆生产建设兵团第十三师针灸学会暨中医药适宜技术推广中心联合办公室"
    return DigestData(
        campaign="走好网上群众路线“百佳账号”推选",
        level_name="中国针灸学会信息与会员部",
        generated_at=datetime(2021, 7, 31, 8, 0, tzinfo=BJ),
        deadline=datetime(2021, 8, 2, 0, 0, tzinfo=BJ),
        days_left=2,
        counts={
            Status.ACCEPTED: 1,
            Status.NEEDS_FIX: 1,
            Status.UNKNOWN_UNIT: 1,
            Status.MANUAL_REVIEW: 1,
            Status.LATE: 1,
        },
        changes=[("新受理", a), ("需补正", b)],
        tasks=[
            StaffTask("发送失败", f"给 x@example.cn 的邮件“回执：{EVIL}”未能发出：550 mailbox unavailable。"),
            StaffTask(
                "待人工核对",
                "推荐表是扫描件或照片：对照原件核对…",
                "https://intake.example.cn/case/TJ-004",
                d,
            ),
            StaffTask(
                "发件人不在名单", "sender@example.cn 发来的邮件不在名单中…", "python run.py show TJ-003", c
            ),
        ],
        failed_mails=[("x@example.cn", "回执：" + EVIL, "550 mailbox unavailable")],
        mailboxes=[
            MailboxHealth("主邮箱", datetime(2021, 7, 31, 7, 55, tzinfo=BJ), None, 0),
            MailboxHealth("备用邮箱", None, "LOGIN failed <auth>", 4),
        ],
        units=[
            UnitRow("北京针灸学会", a),
            UnitRow("上海市针灸学会", b),
            UnitRow("天津市针灸学会", d),
            UnitRow("山西省针灸学会", e),
            UnitRow("河北省针灸学会", None),
            UnitRow(long_unit, None),
        ],
        upstream=UpstreamInfo("中国科协调研宣传部", datetime(2021, 8, 10, 0, 0, tzinfo=BJ), 1, [a], None),
    )


def test_counts_follow_unit_states(data):
    """Units that sent something (逾期, 需补正, 待核对) are never counted as 未报送."""
    text = digest_text(data)
    assert "名单内 6 个单位：待人工核对 1，需补正 1，未报送 2，逾期 1，已选定上报 1" in text
    html_text = "".join(parse(render_digest_html(data, TEMPLATES)).text)
    assert "未报送 2" in html_text
    lines = {line.strip().split("：")[0]: line for line in text.splitlines() if line.startswith("  ")}
    assert "未报送" in lines["河北省针灸学会"] and "逾期" in lines["山西省针灸学会"]
    assert "需补正" in lines["上海市针灸学会"]


def test_what_to_do_comes_first_and_says_where(data):
    html = render_digest_html(data, TEMPLATES)
    doc = parse(html)
    assert doc.headings[0].startswith("一、今天要做的事")
    assert doc.headings[1] == "二、上报中国科协调研宣传部"
    assert doc.headings[2] == "三、各单位情况" and doc.headings[3].startswith("四、自上次汇总以来的变化")
    assert ("href", "https://intake.example.cn/case/TJ-004") in doc.attrs
    text = digest_text(data)
    assert text.index("今天要做的事") < text.index("各单位情况") < text.index("自上次汇总以来的变化")
    assert "打开：https://intake.example.cn/case/TJ-004" in text
    assert "命令：python run.py show TJ-003" in text
    assert "上报中国科协调研宣传部：截止 2021-08-10 00:00（还有 10 天），名额 1 个；已选定：" in text
    assert "材料包尚未发送" in text


def test_days_are_never_negative(data):
    data.generated_at = datetime(2026, 12, 3, 8, 0, tzinfo=BJ)
    text = digest_text(data)
    assert "（北京时间），已截止 1949 天" in text and " -1" not in text and "距截止" not in text
    html_text = "".join(parse(render_digest_html(data, TEMPLATES)).text)
    assert "已截止 1949 天" in html_text and "距截止 -" not in html_text


def test_everything_from_mail_is_escaped(data):
    html = render_digest_html(data, TEMPLATES)
    doc = parse(html)
    assert "script" not in doc.tags
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "京针&lt;b&gt;粗&lt;/b&gt;" in html
    assert EVIL in "".join(doc.text)
    # Web mail strips <style>; everything is inline.
    assert "style" not in doc.tags and "class" not in {k for k, _ in doc.attrs}


def test_fits_a_phone_in_chromium(data, browser, tmp_path):
    """At 375 px nothing scrolls sideways, and the tasks start on the first screen."""
    html = render_digest_html(data, TEMPLATES)
    path = tmp_path / "digest.html"
    path.write_text(html, encoding="utf-8")
    page = new_page(browser, PHONE, 740)
    page.goto(path.as_uri())
    shoot(page, "digest-375")
    assert sideways_overflow(page) <= 0
    top = page.evaluate("() => document.querySelector('h3').getBoundingClientRect().top")
    assert top < 300, top
    page.context.close()
    wide = new_page(browser, 1280, 900)
    wide.goto(path.as_uri())
    shoot(wide, "digest-1280")
    wide.context.close()


def test_subject(data):
    assert (
        digest_subject(data) == "【每日汇总】走好网上群众路线“百佳账号”推选 2021-07-31：待办 3 项，已受理 1/6"
    )
    data.campaign = "百佳\r\n账号"
    assert "\n" not in digest_subject(data)


def test_fingerprint(data):
    base = digest_fingerprint(data)
    same = copy.deepcopy(data)
    same.generated_at += timedelta(days=1)
    same.days_left = 1
    same.mailboxes[0].last_ok = datetime(2021, 8, 1, 7, 0, tzinfo=BJ)
    assert digest_fingerprint(same) == base
    changed = copy.deepcopy(data)
    changed.units[1].submission.status = Status.ACCEPTED
    assert digest_fingerprint(changed) != base
    healed = copy.deepcopy(data)
    healed.mailboxes[1].failures_in_row, healed.mailboxes[1].last_error = 0, None
    assert digest_fingerprint(healed) != base
    sent = copy.deepcopy(data)
    sent.upstream.packet_sent = datetime(2021, 8, 5, tzinfo=BJ)
    assert digest_fingerprint(sent) != base


def test_badly_decoded_subject_still_renders(data):
    data.tasks[2].view.subject = "乱码\udcff主题"
    html = render_digest_html(data, TEMPLATES)
    html.encode("utf-8")  # must not raise
    assert "乱码?主题" in html

"""Daily digest HTML: parsed back with html.parser."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.model import Problem, Status
from pipeline.reports.digest import digest_fingerprint, digest_subject, render_digest_html
from pipeline.reports.views import DigestData, MailboxHealth, SubmissionView, UnitRow

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BJ = timezone(timedelta(hours=8))
EVIL = '<script>alert("x")</script>'


class Collector(HTMLParser):
    """Collects start tags, attributes, text, and table rows (as lists of cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "h3":
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "h3" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def view(
    case_no: str, unit: str | None, status: Status, subject: str = "推荐材料", name: str = "针灸之声"
) -> SubmissionView:
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
    )


@pytest.fixture()
def data() -> DigestData:
    a = view("TJ-001", "北京针灸学会", Status.ACCEPTED, name="京针<b>粗</b>")
    b = view("TJ-002", "上海市针灸学会", Status.NEEDS_FIX)
    b.problems = [Problem("手机", "p", "手机号码应为11位数字。")]
    c = view("TJ-003", None, Status.UNKNOWN_UNIT, subject=EVIL)
    d = view("TJ-004", "天津针灸学会", Status.MANUAL_REVIEW)
    return DigestData(
        campaign="百佳账号推荐",
        level_name="中国针灸学会",
        generated_at=datetime(2021, 7, 31, 8, 0, tzinfo=BJ),
        deadline=datetime(2021, 8, 2, 17, 0, tzinfo=BJ),
        days_left=2,
        counts={
            Status.ACCEPTED: 3,
            Status.NEEDS_FIX: 1,
            Status.UNKNOWN_UNIT: 1,
            Status.MANUAL_REVIEW: 1,
            Status.LATE: 0,
        },
        changes=[("新报送", a), ("新报送", b)],
        needs_staff=[("发件人不在名单", c), ("待人工核对", d)],
        missing_units=["河北省针灸学会", "山西<省>针灸学会"],
        failed_mails=[("x@example.cn", "回执：" + EVIL, "550 mailbox unavailable")],
        mailboxes=[
            MailboxHealth("主邮箱", datetime(2021, 7, 31, 7, 55, tzinfo=BJ), None, 0),
            MailboxHealth("备用邮箱", None, "LOGIN failed <auth>", 4),
        ],
        units=[UnitRow("北京针灸学会", a), UnitRow("上海市针灸学会", b), UnitRow("河北省针灸学会", None)],
    )


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


def test_sections_and_numbers(data):
    html = render_digest_html(data, TEMPLATES)
    doc = parse(html)
    assert doc.headings == [
        "一、各状态数量",
        "二、新增与变化",
        "三、需要处理",
        "四、尚未报送的单位",
        "五、邮箱状态",
    ]
    rows = {r[0]: r[1:] for r in doc.rows if r}
    assert rows["已受理"] == ["3"]
    assert rows["需补正"] == ["1"]
    assert rows["合计"] == ["6"]
    assert "逾期" not in rows  # zero counts are not listed
    text = "".join(doc.text)
    assert "距截止还有 2 天" in text
    assert "名单内单位 3 个，已受理 1 个，尚未报送 2 个" in text
    assert "2021-08-02 17:00" in text
    change_rows = [r for r in doc.rows if r and r[0] == "新报送"]
    assert [r[1] for r in change_rows] == ["TJ-001", "TJ-002"]
    assert change_rows[1][-1] == "手机号码应为11位数字。"
    needs = [r for r in doc.rows if len(r) == 7 and r[0] in ("发件人不在名单", "待人工核对")]
    assert [r[1] for r in needs] == ["TJ-003", "TJ-004"]
    assert needs[0][2] == "（未识别单位）"
    assert ["1", "河北省针灸学会"] in doc.rows and ["2", "山西<省>针灸学会"] in doc.rows
    box = [r for r in doc.rows if r and r[0] == "备用邮箱"][0]
    assert box == ["备用邮箱", "从未成功", "LOGIN failed <auth>", "4"]
    assert [r for r in doc.rows if r and r[0] == "主邮箱"][0] == ["主邮箱", "2021-07-31 07:55", "无", "0"]
    assert "有 1 个邮箱收信异常" in text
    assert ["x@example.cn", "回执：" + EVIL, "550 mailbox unavailable"] in doc.rows


def test_everything_from_mail_is_escaped(data):
    html = render_digest_html(data, TEMPLATES)
    doc = parse(html)
    assert "script" not in doc.tags and "b" in doc.tags  # only our own <b>, never the sender's
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "京针&lt;b&gt;粗&lt;/b&gt;" in html
    texts = "".join(doc.text)
    assert EVIL in texts  # shown to staff as text
    # Web mail strips <style>; everything is inline.
    assert "style" not in doc.tags and "class" not in {k for k, _ in doc.attrs}


def test_empty_digest_and_deadline_passed(data):
    data.changes, data.needs_staff, data.missing_units, data.failed_mails = [], [], [], []
    data.counts, data.days_left = {}, -1
    text = "".join(parse(render_digest_html(data, TEMPLATES)).text)
    for sentence in (
        "尚未收到任何邮件",
        "没有新的变化",
        "没有发送失败的邮件",
        "名单内单位均已报送",
        "已截止 1 天",
    ):
        assert sentence in text


def test_subject(data):
    assert digest_subject(data) == "【每日汇总】百佳账号推荐 2021-07-31：已受理 3，需处理 3"
    data.campaign = "百佳\r\n账号"
    assert "\n" not in digest_subject(data)


def test_fingerprint(data):
    base = digest_fingerprint(data)
    assert len(base) == 64
    same = copy.deepcopy(data)
    same.generated_at += timedelta(days=1)
    same.days_left = 1
    same.mailboxes[0].last_ok = datetime(2021, 8, 1, 7, 0, tzinfo=BJ)
    assert digest_fingerprint(same) == base
    changed = copy.deepcopy(data)
    changed.units[1].submission.status = Status.ACCEPTED
    assert digest_fingerprint(changed) != base
    fewer = copy.deepcopy(data)
    fewer.missing_units.pop()
    assert digest_fingerprint(fewer) != base
    healed = copy.deepcopy(data)
    healed.mailboxes[1].failures_in_row, healed.mailboxes[1].last_error = 0, None
    assert digest_fingerprint(healed) != base


def test_badly_decoded_subject_still_renders(data):
    data.needs_staff[0][1].subject = "乱码\udcff主题"
    html = render_digest_html(data, TEMPLATES)
    html.encode("utf-8")  # must not raise
    assert "乱码?主题" in html

"""Mail from strangers, as a real intake address gets it (issue 17.8).

Found in an outside test with real Chinese phishing: a .docx "个人劳动补贴通知"
and a .png "综合补贴领取小程序", sent from addresses not on the roster, each got
a receipt "发件人不在名单…" — backscatter to whoever the spammer forged. Now a
stranger is answered only when the mail is recognisably a submission; the rest
is filed for staff (who may mark it spam) without a reply. From the same corpus:
a Subject mixing UTF-8 and GBK bytes, a `From: "Server"` with no address, and
robot mail that left empty folders under data/files/.

Everything goes through dovecot, `run.py once`, `run.py decide` and a real SMTP server.
"""

from __future__ import annotations

import io
import random
from datetime import datetime
from email.message import EmailMessage

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from intake_env import DOCX, TZ, export, run, write_config
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def subsidy_notice_docx() -> bytes:
    """A Word notice as these phishing mails carry it: a red-headed official-looking
    title, running prose, a numbered list and a table asking for bank details."""
    d = docx.Document()
    head = d.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run_ = head.add_run("人力资源和社会保障局")
    run_.bold, run_.font.size, run_.font.color.rgb = True, Pt(22), RGBColor(0xC0, 0, 0)
    title = d.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("关于发放2025年度个人劳动补贴的通知").bold = True
    d.add_paragraph("各企事业单位职工：")
    d.add_paragraph(
        "根据国家有关政策精神，为切实减轻职工生活负担，经研究决定，对符合条件的在职职工发放2025年度个人劳动补贴，"
        "补贴标准为每人每月人民币八百元，按季度一次性发放至本人银行账户。请各位职工收到本通知后及时办理申领手续。"
    )
    d.add_paragraph(
        "申领人须在通知发布之日起三个工作日内，使用手机扫描附件中的二维码进入办理页面，如实填写本人姓名、身份证号、"
        "银行卡号及预留手机号码，并输入收到的短信验证码完成身份核验。逾期未办理者视为自动放弃，补贴不再补发。"
    )
    for item in ("一、补贴对象：在职职工。", "二、办理方式：扫码在线办理。", "三、咨询电话：请见办理页面。"):
        d.add_paragraph(item, style="List Number")
    table = d.add_table(rows=2, cols=4)
    table.style = "Table Grid"
    for i, label in enumerate(("姓名", "身份证号", "银行卡号", "预留手机")):
        table.cell(0, i).text = label
    d.add_paragraph("特此通知。")
    d.add_paragraph("2025年3月18日").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def mini_program_png() -> bytes:
    """A phone-screen picture: a big headline, a fake QR code, the lure in small print."""
    img = Image.new("RGB", (720, 1280), (255, 248, 236))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 720, 180), fill=(214, 48, 49))
    draw.text((60, 50), "综合补贴领取小程序", font=ImageFont.truetype(FONT, 64), fill="white")
    size, left, top = 22, 129, 300
    dots = random.Random(7)

    def finder(x: int, y: int) -> bool | None:
        """The three corner squares of a QR code (7x7: ring, gap, 3x3 core), else None."""
        for fx, fy in ((0, 0), (18, 0), (0, 18)):
            dx, dy = x - fx, y - fy
            if -1 <= dx <= 7 and -1 <= dy <= 7:
                return max(abs(dx - 3), abs(dy - 3)) in (0, 1, 3)
        return None

    for y in range(25):
        for x in range(25):
            black = finder(x, y)
            if black is None:
                black = dots.random() < 0.5
            if black:
                box = (left + x * size, top + y * size, left + (x + 1) * size - 1, top + (y + 1) * size - 1)
                draw.rectangle(box, fill="black")
    small = ImageFont.truetype(FONT, 34)
    draw.text((80, 900), "微信扫码  三分钟到账", font=small, fill=(60, 60, 60))
    draw.text((80, 960), "个人劳动补贴 每月800元", font=small, fill=(60, 60, 60))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def phishing(sender: str, subject: str, msg_id: str, name: str, data: bytes, ctype: tuple[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{msg_id}>"
    msg.set_content("各位同事：附件为最新补贴申报通知，请尽快按要求办理，逾期视为放弃。")
    msg.add_attachment(data, maintype=ctype[0], subtype=ctype[1], filename=name)
    return msg.as_bytes()


@pytest.fixture
def intake(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account

    def deliver(raw: bytes) -> None:
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 9, 0, tzinfo=TZ))

    return config, smtp_server, deliver


def by_id(config) -> dict[str, dict]:
    return {r["message_id"]: r for r in export(config)}


def test_phishing_from_forged_strangers_gets_no_receipt_and_staff_can_mark_it_spam(intake):
    config, smtp, deliver = intake
    deliver(
        phishing(
            "财务处 <caiwu@hrss-gov.example.com>",
            "关于发放2025年度个人劳动补贴的通知（请于3日内申报）",
            "lure-1@hrss-gov.example.com",
            "个人劳动补贴通知.docx",
            subsidy_notice_docx(),
            DOCX,
        )
    )
    deliver(
        phishing(
            '"办公室" <office@subsidy.example.net>',
            "【通知】2025年度综合补贴申报领取",
            "lure-2@subsidy.example.net",
            "综合补贴领取小程序.png",
            mini_program_png(),
            ("image", "png"),
        )
    )
    run(config, "once")
    assert smtp.messages() == []  # no backscatter to the forged addresses
    records = by_id(config)
    docx_lure, png_lure = records["lure-1@hrss-gov.example.com"], records["lure-2@subsidy.example.net"]
    for r in (docx_lure, png_lure):
        assert r["status"] == "unknown_unit"  # filed for staff, not lost
        assert not r["receipt_sent"]
    assert [a["name"] for a in docx_lure["attachments"]] == ["个人劳动补贴通知.docx"]
    assert not any(docx_lure["fields"].values())  # its table of 姓名/身份证号/银行卡号 is not our 推荐表

    for r in (docx_lure, png_lure):
        out = run(config, "decide", "标记为垃圾邮件", r["case_no"], "--by", "刘晶晶").stdout
        assert "标记为垃圾邮件" in out
    run(config, "once")
    records = by_id(config)
    for key in ("lure-1@hrss-gov.example.com", "lure-2@subsidy.example.net"):
        assert records[key]["status"] == "ignored"
        assert records[key]["problems"][0]["code"] == "spam"
    assert smtp.messages() == []  # marking spam answers nobody either
    # A roster unit's mail can't be marked spam by mistake.
    refused = run(config, "decide", "垃圾邮件", docx_lure["case_no"], check=False)
    assert refused.returncode != 0  # already ignored


def test_a_stranger_is_answered_when_the_form_is_found_or_the_campaign_named(intake):
    """What still earns a stranger a receipt: the 推荐表 found by its labels, or
    materials named for the campaign (in a file name, not merely a subject word)."""
    from intake_env import Nomination, submission
    from test_backscatter import INVOICE_PDF, mail

    config, smtp, deliver = intake
    nom = Nomination.sample("某医院针灸科", "某医院针灸")
    deliver(submission("new@hospital.example.cn", "材料", "form@hospital", nomination=nom))
    deliver(
        mail(
            "office@unit.example.cn",
            "材料",
            "named@unit",
            "百佳账号推选材料.pdf",
            INVOICE_PDF,
            ("application", "pdf"),
        )
    )
    deliver(
        mail(
            "x@spam.example.net",
            "推荐表 申报 报送",
            "words@spam",
            "说明.pdf",
            INVOICE_PDF,
            ("application", "pdf"),
        )
    )
    run(config, "once")
    answered = sorted(m.rcpts[0] for m in smtp.messages())
    assert answered == ["new@hospital.example.cn", "office@unit.example.cn"]
    assert by_id(config)["words@spam"]["status"] == "unknown_unit"


def test_a_subject_mixing_utf8_and_gbk_is_read_in_full(intake):
    config, smtp, deliver = intake
    subject = "开".encode() + "发票".encode("gbk") + "：2025年度".encode() + "个人劳动补贴".encode("gbk")
    raw = (
        b"From: bjzj@bj.example.cn\r\nTo: intake@society.example.cn\r\n"
        b"Subject: " + subject + b"\r\nMessage-ID: <mixed@bj.example.cn>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "请问发票怎么开？".encode() + b"\r\n"
    )
    deliver(raw)
    run(config, "once")
    record = by_id(config)["mixed@bj.example.cn"]
    assert record["subject"] == "开发票：2025年度个人劳动补贴"
    assert "\ufffd" not in record["subject"]


def test_a_sender_without_an_address_is_filed_and_flagged_for_staff(intake):
    config, smtp, deliver = intake
    raw = (
        b'From: "Server"\r\nTo: intake@society.example.cn\r\nSubject: Mailbox quota exceeded\r\n'
        b"Message-ID: <no-address@mail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "您的邮箱空间已满，请点击链接升级。".encode()
        + b"\r\n"
    )
    deliver(raw)
    run(config, "once")
    record = by_id(config)["no-address@mail.example"]
    assert record["status"] == "correspondence"  # filed like any letter
    assert record["sender"] == ""
    assert "no_address" in [p["code"] for p in record["problems"]]
    shown = run(config, "show", record["case_no"]).stdout
    assert "发件人：Server" in shown  # who it claims to be
    assert "发件人一栏只有名称“Server”，没有邮件地址" in shown  # staff see nobody can be answered
    assert smtp.messages() == []
    refused = run(config, "reply", record["case_no"], "--text", "收到", check=False)
    assert refused.returncode != 0 and "没有可回复的发件地址" in refused.stderr


def test_ignored_robot_mail_leaves_no_folder_under_files(intake):
    config, smtp, deliver = intake
    msg = EmailMessage()
    msg["From"] = "bjzj@bj.example.cn"
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "自动回复：您的来信已收到"
    msg["Auto-Submitted"] = "auto-replied"
    msg["Message-ID"] = "<auto-1@bj.example.cn>"
    msg.set_content("您好，我正在休假，回来后尽快回复。")
    deliver(msg.as_bytes())
    run(config, "once")
    record = by_id(config)["auto-1@bj.example.cn"]
    assert record["status"] == "ignored"
    files = config.parent / "data" / "files"
    assert not (files / record["case_no"]).exists()
    assert not files.exists() or list(files.iterdir()) == []

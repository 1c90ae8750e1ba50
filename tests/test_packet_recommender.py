"""The packet speaks for the organisation (issue 20, item 5).

As found: the cover letter and the zip name presented "中国针灸学会信息与会员部"
(the department that runs the intake) as the recommender. Now the recommender
is this_level.organisation (中国针灸学会); the department only runs the mailbox
and is named beside the contact. The packet opens with the organisation's
推荐函.docx (a stamp place left, readable when printed), and a unit's own form
sent as a scan or PDF (its stamped original) goes up beside our filled form."""

from __future__ import annotations

import email
import hashlib
import io
import zipfile
from datetime import datetime
from email import policy
from pathlib import Path

import pdfplumber
from docx import Document
from fixtures_forms import image_only_pdf, soffice_convert
from intake_env import TZ, Nomination, export, run, submission, write_config
from printed import READABLE_PT, render_page

from pipeline.campaign import builtin
from pipeline.model import Status
from pipeline.reports.packet import LetterInfo, build_packet
from pipeline.reports.views import AttachmentView, SubmissionView

UPSTREAM = "xcc@cast.example.org.cn"
DEPARTMENT = "中国针灸学会信息与会员部"


def test_the_packet_and_its_letter_name_the_organisation(tmp_path, dovecot_server, imap_account, smtp_server):
    upstream = {"name": "中国科协调研宣传部", "addresses": [UPSTREAM], "deadline": "2021-08-10 00:00"}
    config = write_config(
        tmp_path,
        dovecot_server,
        imap_account,
        smtp_server,
        upstream=upstream,
        level_name=DEPARTMENT,
        extra_level={"organisation": "中国针灸学会"},
    )
    user, password = imap_account
    raw = submission(
        "bjzj@bj.example.cn",
        "北京推荐",
        "o-1@bj.example.cn",
        nomination=Nomination.sample("北京针灸学会", "京针之声"),
    )
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    run(config, "decide", "select", export(config)[0]["case_no"])
    before = len(smtp_server.messages())
    run(config, "packet", "--send")
    (mail,) = [
        email.message_from_bytes(m.data, policy=policy.default) for m in smtp_server.messages()[before:]
    ]
    assert str(mail["Subject"]).startswith("中国针灸学会推荐") and DEPARTMENT not in str(mail["Subject"])
    body = mail.get_body(("plain",)).get_content()
    assert "现报送中国针灸学会推荐参加" in body and f"现报送{DEPARTMENT}" not in body
    assert body.rstrip().splitlines()[-2] == "中国针灸学会"  # signed by the organisation
    assert f"联系人：刘晶晶 010-64089967（{DEPARTMENT}）" in body
    assert "推荐函.docx：中国针灸学会的推荐函" in body
    (part,) = [p for p in mail.iter_attachments()]
    assert part.get_filename() == "推荐材料_中国针灸学会.zip"
    with zipfile.ZipFile(io.BytesIO(part.get_content())) as zf:
        names = zf.namelist()
        letter = Document(io.BytesIO(zf.read("推荐函.docx")))
    assert names[0] == "推荐函.docx"
    text = "\n".join(p.text for p in letter.paragraphs)
    assert "中国科协调研宣传部：" in text and "经中国针灸学会组织推荐" in text
    assert "1. 京针之声（北京针灸学会推荐" in text and "推荐单位（盖章）：中国针灸学会" in text
    assert DEPARTMENT not in text.replace(f"（{DEPARTMENT}）", "")


def test_the_letter_prints_readable_and_a_scanned_original_goes_up(tmp_path: Path):
    form = builtin().form
    scan = image_only_pdf()  # the unit's stamped 推荐表, scanned
    store = tmp_path / "store"
    store.mkdir()
    atts = []
    for name, kind, data in (
        ("附件1推荐表.docx", "推荐表", b"word form"),
        ("推荐表盖章.PDF", "推荐表", scan),
        ("图文案例.docx", "图文案例", b"article"),
    ):
        path = store / hashlib.sha256(data).hexdigest()
        path.write_bytes(data)
        atts.append(AttachmentView(name, kind, hashlib.sha256(data).hexdigest(), len(data), path))
    view = SubmissionView(
        case_no="TJ-001",
        unit="北京针灸学会",
        sender="s@example.cn",
        message_id="m@x",
        arrival=datetime(2021, 8, 1, 9, 30, tzinfo=TZ),
        status=Status.ACCEPTED,
        fields={label: f"{label}值" for label in form.labels} | {"账号名称": "京针之声"},
        normalized={},
        problems=[],
        attachments=atts,
    )
    packet = build_packet(
        [view],
        tmp_path / "out",
        level_name="中国针灸学会",
        max_mail_bytes=50_000_000,
        letter=LetterInfo("中国科协调研宣传部", "“百佳账号”推选", "刘晶晶 010-64089967", ("运营主体",)),
    )
    with zipfile.ZipFile(packet.zip_paths[0]) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    folder = "1_京针之声"
    assert files[f"{folder}/推荐表_单位原件.pdf"] == scan  # the stamped original, as sent
    assert f"{folder}/附件1推荐表.docx" not in files  # the Word form is replaced by the filled one
    assert f"{folder}/推荐表.docx" in files and f"{folder}/图文案例.docx" in files
    kinds = {f["path"]: f["kind"] for f in packet.manifest["files"]}
    assert (
        kinds[f"{folder}/推荐表_单位原件.pdf"] == "单位原件（盖章扫描件）"
        and kinds["推荐函.docx"] == "推荐函"
    )

    pdf = soffice_convert({"推荐函.docx": files["推荐函.docx"]}, tmp_path / "pdf")["推荐函.docx"]
    render_page(pdf, "推荐函")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        chars = [c for c in page.chars if c["text"].strip()]
        text = (page.extract_text() or "").replace(" ", "")
    assert len(doc.pages) == 1 and min(c["size"] for c in chars) >= READABLE_PT
    assert "推荐函" in text and "推荐单位（盖章）：中国针灸学会" in text and "运营主体：运营主体值" in text
    # Room for the seal: at least 4 cm (113 pt) between the organisation's line and the date line.
    sign = next(c for c in chars if c["text"] == "盖")["top"]
    date = next(c for c in chars if c["text"] == "年")["top"]
    assert date - sign >= 100, (sign, date)

"""parse_message end to end, on messages built the way each client builds them."""

from __future__ import annotations

import base64
import hashlib

from mime_builders import (
    attachment,
    b64_lines,
    encoded_word,
    envelope,
    fake_docx,
    fake_pdf,
    file_part,
    forwarded,
    foxmail_raw_gbk_attachment,
    message,
    multipart,
    part,
    rfc2047_inside_rfc2231_attachment,
    rfc2231_attachment,
    text_part,
    tnef_bytes,
    zip_bytes,
)

from pipeline.message import parse_message
from pipeline.message.replies import case_number_in, is_reply_subject
from pipeline.model import ParsedMessage


def _names(parsed: ParsedMessage) -> list[tuple[str, str]]:
    return [(a.name, a.origin) for a in parsed.attachments]


def test_envelope_fields():
    raw = message(
        [
            *envelope(
                "关于朱镕基推荐材料", sender="Unit@Example.CN", sender_name="广东省针灸学会", charset="gb2312"
            ),
            ("Cc", "a@x.cn, =?utf-8?B?5byg5LiJ?= <B@X.cn>"),
            ("Reply-To", "reply@x.cn"),
            ("In-Reply-To", "<r1@x.cn>"),
            ("References", "<r0@x.cn>\r\n <r1@x.cn>"),
            ("Content-Type", "text/plain; charset=gb2312"),
            ("Content-Transfer-Encoding", "base64"),
        ],
        b64_lines("请查收。朱镕基".encode("gbk")),
    )
    p = parse_message(raw)
    assert p.message_id == "abc123@example.cn"
    assert p.subject == "关于朱镕基推荐材料"
    assert (p.from_addr, p.from_name) == ("unit@example.cn", "广东省针灸学会")
    assert p.to == ["intake@example.org"]
    assert p.cc == ["a@x.cn", "b@x.cn"]
    assert p.reply_to == ["reply@x.cn"]
    assert p.in_reply_to == "r1@x.cn"
    assert p.references == ["r0@x.cn", "r1@x.cn"]
    assert p.date_header is not None and p.date_header.utcoffset().total_seconds() == 8 * 3600
    assert p.body_text == "请查收。朱镕基"
    assert p.automatic is None
    assert p.attachments == [] and p.problems == []


def test_split_encoded_word_subject():
    data = "报价399元".encode("gb2312")
    subject = f"=?gb2312?B?{base64.b64encode(data[:-1]).decode()}?=\r\n =?gb2312?B?{base64.b64encode(data[-1:]).decode()}?="
    raw = message([("From", "a@b.cn"), ("Subject", subject)], b"x")
    assert parse_message(raw).subject == "报价399元"


def test_missing_message_id_is_synthesized_from_content():
    raw = message([("From", "a@b.cn"), ("Subject", "x")], b"body")
    p = parse_message(raw)
    assert p.message_id == f"sha256-{hashlib.sha256(raw).hexdigest()[:32]}@local"
    assert parse_message(raw).message_id == p.message_id
    assert parse_message(raw + b"!").message_id != p.message_id


def test_foxmail_message_with_raw_gbk_filename_and_rfc2231():
    raw = multipart(
        "mixed",
        [
            text_part("您好，推荐材料见附件。", "gb2312"),
            foxmail_raw_gbk_attachment("附件1-推荐表.docx", fake_docx()),
            rfc2231_attachment("镕基案例.pdf", fake_pdf(), "gb2312", split_at=1),
            rfc2047_inside_rfc2231_attachment("图文案例.docx", fake_docx("图文")),
        ],
        envelope(charset="gb2312"),
    )
    p = parse_message(raw)
    assert p.body_text == "您好，推荐材料见附件。"
    assert _names(p) == [
        ("附件1-推荐表.docx", "附件1-推荐表.docx"),
        ("镕基案例.pdf", "镕基案例.pdf"),
        ("图文案例.docx", "图文案例.docx"),
    ]
    assert p.attachments[0].raw_name == "附件1-推荐表.docx".encode("gbk")
    assert p.attachments[0].data == fake_docx()
    assert p.attachments[0].content_type.endswith("wordprocessingml.document")


def test_octet_stream_docx_without_disposition_and_unnamed():
    named = file_part(
        fake_docx(),
        [("Content-Type", f'application/octet-stream; name="{encoded_word("推荐表.docx".encode())}"')],
    )
    unnamed = file_part(fake_docx(), [("Content-Type", "application/octet-stream")])
    p = parse_message(multipart("mixed", [text_part("见附件"), named, unnamed], envelope()))
    assert [a.name for a in p.attachments] == ["推荐表.docx", "附件1.docx"]
    assert all(a.data == fake_docx() for a in p.attachments)


def test_inline_disposition_pdf_is_an_attachment():
    pdf = file_part(
        fake_pdf(),
        [
            ("Content-Type", 'application/pdf; name="case.pdf"'),
            ("Content-Disposition", 'inline; filename="case.pdf"'),
        ],
    )
    p = parse_message(multipart("mixed", [text_part("见附件"), pdf], envelope()))
    assert _names(p) == [("case.pdf", "case.pdf")]
    assert p.body_text == "见附件"


def test_cid_images_in_html_are_pictures():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    img = file_part(png, [("Content-Type", "image/png"), ("Content-ID", "<img1@qq>")])
    named = file_part(
        png,
        [
            ("Content-Type", 'image/png; name="p2.png"'),
            ("Content-ID", "<img2@qq>"),
            ("Content-Disposition", "inline"),
        ],
    )
    html = text_part('<p>案例</p><img src="cid:img1@qq"><img src="cid:img2@qq">', subtype="html")
    related = multipart("related", [html, img, named])
    alternative = multipart("alternative", [text_part("案例"), related.split(b"\r\n", 1)[1]])
    p = parse_message(message(envelope(), b"").rstrip(b"\r\n") + b"\r\n" + alternative)
    assert _names(p) == [("正文图片1.png", "正文图片/正文图片1.png"), ("p2.png", "正文图片/p2.png")]
    assert p.body_text == "案例"


def test_html_only_body_is_stripped():
    html = "<html><head><style>p{}</style></head><body><div>第一段</div><p>第二&nbsp;段<br>第三段</p><script>x()</script></body></html>"
    p = parse_message(multipart("mixed", [text_part(html, subtype="html")], envelope()))
    assert p.body_text == "第一段\n\n第二 段\n第三段"


def test_forwarded_message_with_gbk_zip():
    inner_zip = zip_bytes({"材料/推荐表.docx": fake_docx(), "案例.pdf": fake_pdf()}, encoding="gbk")
    inner = multipart(
        "mixed",
        [text_part("内层正文：不要进入外层正文"), attachment("材料.zip", inner_zip)],
        envelope("原始邮件"),
    )
    outer = multipart("mixed", [text_part("转发给您，请查收"), forwarded(inner)], envelope("转发：原始邮件"))
    p = parse_message(outer)
    assert p.body_text == "转发给您，请查收"
    assert "内层正文" not in p.body_text
    assert _names(p) == [
        ("推荐表.docx", "转发邮件1/材料.zip/材料/推荐表.docx"),
        ("案例.pdf", "转发邮件1/材料.zip/案例.pdf"),
    ]
    assert p.problems == []


def test_base64_encoded_forward():
    inner = multipart("mixed", [text_part("内层"), attachment("推荐表.docx", fake_docx())], envelope("原始"))
    fw = part([("Content-Type", "message/rfc822"), ("Content-Transfer-Encoding", "base64")], b64_lines(inner))
    p = parse_message(multipart("mixed", [text_part("外层"), fw], envelope()))
    assert _names(p) == [("推荐表.docx", "转发邮件1/推荐表.docx")]
    assert p.attachments[0].data == fake_docx()
    assert p.body_text == "外层"


def test_forward_depth_limit():
    msg = multipart("mixed", [text_part("底层"), attachment("deep.pdf", fake_pdf())], envelope())
    for _ in range(6):
        msg = multipart("mixed", [text_part("转发"), forwarded(msg)], envelope())
    p = parse_message(msg)
    assert p.attachments == []
    assert [x.code for x in p.problems] == ["forward_too_deep"]


def test_winmail_dat_gbk_names():
    tnef = tnef_bytes([("推荐表.docx".encode("gbk"), fake_docx()), ("案例.pdf".encode("gbk"), fake_pdf())])
    part_ = file_part(
        tnef,
        [
            ("Content-Type", 'application/ms-tnef; name="winmail.dat"'),
            ("Content-Disposition", 'attachment; filename="winmail.dat"'),
        ],
    )
    p = parse_message(multipart("mixed", [text_part("见附件"), part_], envelope()))
    assert _names(p) == [("推荐表.docx", "winmail.dat/推荐表.docx"), ("案例.pdf", "winmail.dat/案例.pdf")]
    assert p.attachments[0].data == fake_docx()


def test_unexpandable_archive_is_kept_with_problem():
    data = zip_bytes({f"{i}.txt": b"x" for i in range(300)})
    p = parse_message(multipart("mixed", [text_part("见附件"), attachment("材料.zip", data)], envelope()))
    assert _names(p) == [("材料.zip", "材料.zip")]
    assert [x.code for x in p.problems] == ["archive_too_many"]
    assert "200" in p.problems[0].message


def test_archive_budget_is_shared_by_all_archives_of_a_message():
    from pipeline.config import Limits

    blob = bytes(range(256)) * 2048  # 512 KB, incompressible enough for the ratio check
    parts = [attachment(f"材料{i}.zip", zip_bytes({f"{i}.bin": blob})) for i in range(3)]
    p = parse_message(multipart("mixed", [text_part("x"), *parts], envelope()), Limits(max_unpacked_mb=1))
    # two fit in 1 MB, the third is refused and kept as it came
    assert [a.origin for a in p.attachments] == ["材料0.zip/0.bin", "材料1.zip/1.bin", "材料2.zip"]
    assert [x.code for x in p.problems] == ["archive_bomb"]


def test_top_level_zip_replaced_by_members():
    data = zip_bytes({"推荐表.docx": fake_docx()})
    p = parse_message(multipart("mixed", [text_part("见附件"), attachment("材料.zip", data)], envelope()))
    assert _names(p) == [("推荐表.docx", "材料.zip/推荐表.docx")]


def test_office_file_renamed_to_zip_is_not_expanded():
    p = parse_message(multipart("mixed", [text_part("x"), attachment("推荐表.zip", fake_docx())], envelope()))
    assert _names(p) == [("推荐表.docx", "推荐表.docx")]
    assert p.problems == []


def test_path_traversal_attachment_name_is_sanitized():
    p = parse_message(
        multipart("mixed", [text_part("x"), attachment("../../etc/passwd.pdf", fake_pdf())], envelope())
    )
    assert _names(p) == [("passwd.pdf", "passwd.pdf")]
    assert any("已整理" in d for d in p.attachments[0].defects)


def test_broken_base64_and_wrong_lengths_do_not_raise():
    broken = part(
        [("Content-Type", 'application/pdf; name="a.pdf"'), ("Content-Transfer-Encoding", "base64")],
        b"JVBERi0xLjQK!!!###\r\nnot base64 at all===\r\nAAA",
    )
    raw = multipart("mixed", [text_part("x"), broken], envelope())
    raw = raw.replace(b"--\r\n", b"")  # missing closing boundary
    p = parse_message(raw)
    assert p.attachments and p.attachments[0].name == "a.pdf"


def test_body_gb2312_label_gbk_bytes_and_defect_for_garbage():
    raw = message(
        [
            ("From", "a@b.cn"),
            ("Content-Type", "text/plain; charset=gb2312"),
            ("Content-Transfer-Encoding", "8bit"),
        ],
        "镕".encode("gbk") + b"\r\n",
    )
    assert parse_message(raw).body_text == "镕"
    raw = message(
        [
            ("From", "a@b.cn"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ],
        b"ok \xff\xfe\x80 ok",
    )
    p = parse_message(raw)
    assert "ok" in p.body_text and any("替换" in d for d in p.defects)


def test_big_links_and_automatic_wired_in():
    html = (
        '<div id="QQMailBigAttach"><a href="https://mail.qq.com/cgi-bin/ftnExs_download?k=1&amp;t=exs_ftn_download">'
        "案例视频.mp4</a></div>"
    )
    raw = multipart(
        "alternative",
        [text_part("见超大附件"), text_part(html, subtype="html")],
        envelope(extra=[("Auto-Submitted", "auto-replied")]),
    )
    p = parse_message(raw)
    assert [(b.provider, b.name) for b in p.big_links] == [("qq", "案例视频.mp4")]
    assert p.automatic and "Auto-Submitted" in p.automatic
    assert p.body_text == "见超大附件"


def test_garbage_input():
    for raw in (b"", b"\x00\xff" * 100, b"From: \r\n\r\n", b"Content-Type: multipart/mixed\r\n\r\n--x"):
        p = parse_message(raw)
        assert isinstance(p, ParsedMessage) and p.message_id


def test_case_number_and_reply_subjects():
    assert case_number_in("Re: 【回执】TJ-20210801-0007 已受理", "") == "TJ-20210801-0007"
    assert case_number_in("回复：补正", "> 受理编号：tj-20210801-0012\n> 原始邮件") == "TJ-20210801-0012"
    assert case_number_in("推荐材料", "电话 13800000000") is None
    assert case_number_in("XTJ-20210801-00071", "") is None
    for subject in ("Re: 回执", "RE：回执", "回复：回执", "答复:回执", "Re[2]: 回执"):
        assert is_reply_subject(subject), subject
    for subject in ("Fw: 回执", "转发：回执", "推荐材料", "Report: x"):
        assert not is_reply_subject(subject), subject


def test_nesting_that_breaks_the_stdlib_parser_keeps_the_envelope():
    # email.feedparser recurses once per nesting level; thousands of levels overflow it.
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(3000)
    )
    raw = (
        b"From: Unit@X.cn\r\nSubject: =?utf-8?B?5o6o6I2Q?=\r\nMessage-ID: <n@x>\r\n" + nested + b"\r\nhi\r\n"
    )
    p = parse_message(raw)
    assert (p.subject, p.from_addr, p.message_id) == ("推荐", "unit@x.cn", "n@x")
    assert [x.code for x in p.problems] == ["message_unreadable"]

"""classify_attachment decides by content; the name only breaks ties."""

from __future__ import annotations

import io
import os
import zipfile

import docx
from docx.shared import Cm
from fixtures_forms import docx_grid, sample_values, xlsx_grid
from media_fixtures import make_video
from PIL import Image

from pipeline.campaign import builtin
from pipeline.documents import read_document
from pipeline.documents.classify import article_chars, classify_attachment, is_article
from pipeline.form import extract_form
from pipeline.model import AttachmentKind, Document

SENTENCE = "针灸科普账号坚持群众导向，解答群众健康问题，深受读者欢迎。"


def png(color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(buf, format="PNG")
    return buf.getvalue()


def article_docx(paragraphs: int, pictures: int = 0, sentence: str = SENTENCE) -> bytes:
    document = docx.Document()
    document.add_paragraph("科普进社区，针灸惠民生")
    for i in range(paragraphs):
        document.add_paragraph(sentence * 3)
        if i < pictures:
            document.add_picture(io.BytesIO(png((i * 40, 100, 50))), width=Cm(4))
    for i in range(paragraphs, pictures):
        document.add_picture(io.BytesIO(png((i * 40, 100, 50))), width=Cm(4))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def kind(name: str, data: bytes) -> AttachmentKind:
    """As intake classifies: with the form stage's verdict on the document."""
    doc = read_document(name, data)
    return classify_attachment(name, data, doc, extract_form(doc, builtin().form))


def test_form_by_content_whatever_the_name():
    assert kind("新建 Microsoft Word 文档.docx", docx_grid(sample_values(0))) == AttachmentKind.FORM
    assert kind("Book1.xlsx", xlsx_grid(sample_values(1))) == AttachmentKind.FORM


def test_article_by_content():
    assert kind("附件2.docx", article_docx(4, pictures=3)) == AttachmentKind.ARTICLE
    assert kind("说明.docx", article_docx(3)) == AttachmentKind.ARTICLE


def test_form_named_like_an_article_is_still_a_form():
    assert kind("图文案例.docx", docx_grid(sample_values(2))) == AttachmentKind.FORM


def test_short_note_is_other():
    document = docx.Document()
    document.add_paragraph("请查收。")
    buf = io.BytesIO()
    document.save(buf)
    assert kind("说明.docx", buf.getvalue()) == AttachmentKind.OTHER


def test_picture_video_archive_other(tmp_path):
    assert kind("IMG_0001.JPG", png()) == AttachmentKind.PICTURE
    assert kind("图1.dat", png()) == AttachmentKind.PICTURE  # magic, not name
    video = tmp_path / "v.mp4"
    make_video(video, seconds=1)
    assert kind("案例视频.mp4", video.read_bytes()) == AttachmentKind.VIDEO
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "x")
    assert kind("材料.zip", buf.getvalue()) == AttachmentKind.ARCHIVE
    assert kind("data.bin", os.urandom(3000)) == AttachmentKind.OTHER


def test_unreadable_document_keeps_its_named_role():
    enc = Document(file="推荐表.doc", format="doc")
    enc.problems.append(
        __import__("pipeline.model", fromlist=["Problem"]).Problem(None, "encrypted", "已加密")
    )
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    assert classify_attachment("推荐表.doc", ole, enc) == AttachmentKind.FORM
    assert classify_attachment("图文案例.doc", ole, enc) == AttachmentKind.ARTICLE
    assert classify_attachment("其他.doc", ole, enc) == AttachmentKind.OTHER


def test_article_helpers():
    doc = read_document("a.docx", article_docx(2, pictures=3))
    assert doc.image_count == 3
    assert is_article(doc)
    assert article_chars(doc) == len("科普进社区，针灸惠民生") + 2 * 3 * len(SENTENCE)

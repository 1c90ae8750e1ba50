"""check_materials against the notice: 图文 ≤1500字 + ≥3 pictures, or MP4 video ≤5 minutes."""

from __future__ import annotations

import io

import docx
import pytest
from docx.shared import Cm
from media_fixtures import make_video
from PIL import Image

from pipeline.campaign import builtin
from pipeline.config import Materials
from pipeline.documents import read_document
from pipeline.documents.classify import classify_attachment
from pipeline.documents.materials import check_materials
from pipeline.form import extract_form
from pipeline.model import Attachment, AttachmentKind

TEN = "针灸科普进社区惠民。"  # 10 characters
assert len(TEN) == 10


def png(seed: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (100, 80), (seed * 50 % 256, 90, 160)).save(buf, format="PNG")
    return buf.getvalue()


def article(chars: int, pictures: int) -> bytes:
    """A docx article of exactly `chars` non-space characters (in 10-char sentences)."""
    assert chars % 100 == 0
    document = docx.Document()
    for i in range(chars // 100):
        document.add_paragraph(" ".join([TEN] * 10))  # spaces must not count
        if i < pictures:
            document.add_picture(io.BytesIO(png(i)), width=Cm(3))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def item(name: str, data: bytes):
    doc = read_document(name, data)
    kind = classify_attachment(name, data, doc, extract_form(doc, builtin().form))
    return Attachment(name=name, data=data), kind, doc


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("videos")
    out = {}
    for name in ("case.mp4", "case.mov"):
        out[name] = make_video(work / name, seconds=2)
    return out


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def test_good_article_with_inline_pictures():
    items = [item("案例.docx", article(1400, pictures=3))]
    assert items[0][1] == AttachmentKind.ARTICLE
    assert check_materials(items, Materials()) == []


def test_article_too_long():
    problems = check_materials([item("案例.docx", article(1600, pictures=3))], Materials())
    assert codes(problems) == ["article_too_long"]
    assert "1600" in problems[0].message and "1500" in problems[0].message
    assert problems[0].field == "材料"


def test_separate_pictures_count():
    items = [item("案例.docx", article(800, pictures=1)), item("图1.jpg", png(1)), item("图2.png", png(2))]
    assert [k for _, k, _ in items][1:] == [AttachmentKind.PICTURE, AttachmentKind.PICTURE]
    assert check_materials(items, Materials()) == []


def test_too_few_pictures():
    problems = check_materials(
        [item("案例.docx", article(800, pictures=1)), item("图1.jpg", png(1))], Materials()
    )
    assert codes(problems) == ["too_few_pictures"]
    assert "2 张" in problems[0].message and "3 张以上" in problems[0].message


def test_long_article_without_pictures_gets_both_problems():
    problems = check_materials([item("案例.docx", article(1600, pictures=0))], Materials())
    assert codes(problems) == ["article_too_long", "too_few_pictures"]


def test_materials_missing():
    assert codes(check_materials([], Materials())) == ["materials_missing"]
    only_pictures = check_materials([item("图1.jpg", png(1))], Materials())
    assert codes(only_pictures) == ["materials_missing"]
    assert "图片" in only_pictures[0].message
    assert check_materials([], Materials(require_materials=False)) == []


def test_good_video(videos):
    items = [item("案例.mp4", videos["case.mp4"])]
    assert items[0][1] == AttachmentKind.VIDEO
    assert check_materials(items, Materials()) == []


def test_video_too_long(videos):
    # 2-second clip against a 1-second limit, instead of generating 5 minutes of video.
    problems = check_materials([item("案例.mp4", videos["case.mp4"])], Materials(video_max_minutes=1 / 60))
    assert codes(problems) == ["video_too_long"]
    assert "2秒" in problems[0].message


def test_video_not_mp4(videos):
    problems = check_materials([item("案例.mov", videos["case.mov"])], Materials())
    assert codes(problems) == ["video_not_mp4"]
    assert "MOV" in problems[0].message and "MP4" in problems[0].message


def test_broken_video(videos):
    data = videos["case.mp4"][:40]
    problems = check_materials(
        [(Attachment(name="案例.mp4", data=data), AttachmentKind.VIDEO, None)], Materials()
    )
    assert codes(problems) == ["video_unreadable"]


def test_video_alone_satisfies_materials(videos):
    items = [item("案例.mp4", videos["case.mp4"]), item("照片.jpg", png(3))]
    assert check_materials(items, Materials()) == []


def test_unreadable_article_is_not_also_missing():
    att = Attachment(name="图文案例.docx", data=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    doc = read_document(att.name, att.data)
    assert doc.problems  # the reader explains what is wrong with the file
    assert check_materials([(att, AttachmentKind.ARTICLE, doc)], Materials()) == []


def test_article_in_the_same_file_as_the_form():
    from fixtures_forms import docx_grid, sample_values

    document = docx.Document(io.BytesIO(docx_grid(sample_values(0))))
    document.add_paragraph("图文案例：科普进社区")
    for i in range(4):
        document.add_paragraph(" ".join([TEN] * 10))
        document.add_picture(io.BytesIO(png(i)), width=Cm(3))
    buf = io.BytesIO()
    document.save(buf)
    items = [item("推荐表及案例.docx", buf.getvalue())]
    assert items[0][1] == AttachmentKind.FORM
    assert check_materials(items, Materials()) == []
    short = check_materials(items, Materials(article_max_chars=300))
    assert codes(short) == ["article_too_long"]

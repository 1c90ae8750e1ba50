"""read_document: sniffing, legacy formats via LibreOffice, encrypted/corrupt/limits."""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import docx
import olefile
import pytest
from fixtures_forms import docx_grid, sample_values, xlsx_grid
from media_fixtures import make_video
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.campaign import builtin
from pipeline.config import Limits
from pipeline.documents import read_document
from pipeline.documents.convert import Converter, seed_profile
from pipeline.documents.isolate import IsolationError, run_isolated
from pipeline.documents.sniff import sniff
from pipeline.form import extract_form

FORM = builtin().form

VALUES_DOC = sample_values(0)
VALUES_XLS = sample_values(1)


def form_docx(values: dict[str, str]) -> bytes:
    """The 附件1 grid plus a closing paragraph, as Word always writes one.

    (LibreOffice drops a table that is the very last body element when it
    saves .doc, which python-docx output can be.)
    """
    document = docx.Document(io.BytesIO(docx_grid(values)))
    document.add_paragraph("推荐单位（盖章）")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def soffice_batch(sources: dict[str, bytes], target: str, workdir: Path) -> dict[str, bytes]:
    """Convert every source in ONE soffice call; returns {stem: converted bytes}."""
    tag = target.split(":")[0] + str(len(target))
    src_dir = workdir / f"src_{tag}"
    out_dir = workdir / f"out_{tag}"
    src_dir.mkdir()
    paths = []
    for name, data in sources.items():
        path = src_dir / name
        path.write_bytes(data)
        paths.append(str(path))
    seed_profile(workdir / "profile")
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            *paths,
        ],
        check=True,
        capture_output=True,
        timeout=180,
        start_new_session=True,
    )
    return {p.stem: p.read_bytes() for p in out_dir.iterdir()}


PDF_WITH_PASSWORD = (
    'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
    '"DocumentOpenPassword":{"type":"string","value":"secret"}}'
)


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> dict[str, bytes]:
    """.doc/.wps/.xls/.et/.pdf forms made from generated .docx/.xlsx by LibreOffice."""
    if not shutil.which("soffice"):
        pytest.fail(
            "LibreOffice (soffice) is required: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui"
        )
    work = tmp_path_factory.mktemp("legacy")
    form = form_docx(VALUES_DOC)
    docs = soffice_batch({"form.docx": form}, "doc", work)
    pdfs = soffice_batch({"form.docx": form}, "pdf", work)
    sheets = soffice_batch({"form.xlsx": xlsx_grid(VALUES_XLS)}, "xls", work)
    locked = soffice_batch({"locked.docx": form}, PDF_WITH_PASSWORD, work)
    return {
        "pdf_locked": locked["locked"],
        "docx": form,
        "xlsx": xlsx_grid(VALUES_XLS),
        "doc": docs["form"],
        "xls": sheets["form"],
        "pdf": pdfs["form"],
    }


@pytest.fixture(scope="module")
def converter(tmp_path_factory):
    with Converter(tmp_path_factory.mktemp("conv")) as conv:
        yield conv


def encrypt(data: bytes) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("secret", out)
    return out.getvalue()


def codes(doc) -> list[str]:
    return [p.code for p in doc.problems]


# ---------------------------------------------------------------- good files


@pytest.mark.parametrize(
    ("name", "key", "fmt", "values"),
    [
        ("推荐表.docx", "docx", "docx", VALUES_DOC),
        ("推荐表.doc", "doc", "doc", VALUES_DOC),
        ("推荐表.wps", "doc", "wps", VALUES_DOC),  # WPS writes the MS binary format
        ("推荐表.xlsx", "xlsx", "xlsx", VALUES_XLS),
        ("推荐表.xls", "xls", "xls", VALUES_XLS),
        ("推荐表.et", "xls", "et", VALUES_XLS),  # a BIFF .xls renamed, as the research verified
        ("推荐表.pdf", "pdf", "pdf", VALUES_DOC),
    ],
)
def test_every_format_yields_all_fields(legacy, converter, name, key, fmt, values):
    doc = read_document(name, legacy[key], converter=converter)
    assert doc.format == fmt
    assert codes(doc) == []
    form = extract_form(doc, FORM)
    assert form.labels_found == 15
    assert form.fields == values


def test_doc_table_cells_survive_conversion(legacy, converter):
    doc = read_document("推荐表.doc", legacy["doc"], converter=converter)
    texts = {c.text for t in doc.tables for c in t.cells}
    assert {"账号名称", VALUES_DOC["账号名称"], "手机", VALUES_DOC["手机"]} <= texts


def test_extension_is_ignored(legacy, converter):
    # A docx named .wps, a doc named .docx, an xlsx named .et all read by content.
    assert (
        extract_form(read_document("a.wps", legacy["docx"], converter=converter), FORM).fields == VALUES_DOC
    )
    assert (
        extract_form(read_document("a.docx", legacy["doc"], converter=converter), FORM).fields == VALUES_DOC
    )
    assert extract_form(read_document("a.et", legacy["xlsx"], converter=converter), FORM).fields == VALUES_XLS
    assert sniff(legacy["doc"], "x.pdf").kind == "doc"


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize("key", ["docx", "xlsx"])
def test_encrypted_ooxml(legacy, key):
    doc = read_document(f"推荐表.{key}", encrypt(legacy[key]))
    assert codes(doc) == ["encrypted"]
    assert "未加密" in doc.problems[0].message
    assert doc.tables == [] and doc.paragraphs == []


def test_encrypted_pdf(legacy):
    doc = read_document("推荐表.pdf", legacy["pdf_locked"])
    assert codes(doc) == ["encrypted"]


def test_encrypted_doc(legacy, tmp_path):
    """A .doc whose FIB says fEncrypted (what Word/WPS write with a password)."""
    path = tmp_path / "locked.doc"
    path.write_bytes(legacy["doc"])
    ole = olefile.OleFileIO(str(path), write_mode=True)
    stream = bytearray(ole.openstream("WordDocument").read())
    flags = struct.unpack_from("<H", stream, 0x0A)[0]
    struct.pack_into("<H", stream, 0x0A, flags | 0x0100)  # fEncrypted
    ole.write_stream("WordDocument", bytes(stream))
    ole.close()
    doc = read_document("推荐表.wps", path.read_bytes())
    assert codes(doc) == ["encrypted"]
    assert doc.format == "wps"


def test_web_page_saved_as_doc(converter):
    """Word/WPS "save as web page" files often travel as .doc."""
    rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in VALUES_DOC.items())
    page = f'<html><head><meta charset="utf-8"></head><body><p>推荐表</p><table border="1">{rows}</table><p>完</p></body></html>'
    doc = read_document("推荐表.doc", page.encode(), converter=converter)
    assert codes(doc) == [] and doc.format == "doc"
    assert extract_form(doc, FORM).fields == VALUES_DOC


def _rtf(lines: list[str]) -> bytes:
    """Plain RTF with every non-ASCII character as a \\uN escape."""
    body = "\\par ".join("".join(f"\\u{ord(ch)}?" if ord(ch) > 127 else ch for ch in line) for line in lines)
    return ("{\\rtf1\\ansi\\uc1 " + body + "\\par}").encode("ascii")


def test_rtf_named_wps(converter):
    doc = read_document("推荐表.wps", _rtf(["账号名称：针灸之窗", "手机：13800138000"]), converter=converter)
    assert doc.format == "wps" and codes(doc) == []
    assert doc.paragraphs[:2] == ["账号名称：针灸之窗", "手机：13800138000"]


@pytest.mark.parametrize("key", ["docx", "xlsx", "doc", "xls", "pdf"])
def test_truncated_files_are_corrupt(legacy, converter, key):
    data = legacy[key]
    doc = read_document(f"推荐表.{key}", data[: len(data) // 2], converter=converter)
    assert codes(doc) == ["corrupt"], doc.problems
    assert "重新" in doc.problems[0].message


def test_random_bytes_named_doc_do_not_crash(converter):
    doc = read_document("推荐表.doc", os.urandom(20000), converter=converter)
    assert codes(doc) == ["unsupported_format"]
    assert "推荐表.doc" in doc.problems[0].message


def test_random_bytes_behind_ole_magic(converter):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(5000)
    doc = read_document("推荐表.doc", data, converter=converter)
    assert codes(doc) == ["corrupt"]


def test_empty_file():
    assert codes(read_document("推荐表.docx", b"")) == ["corrupt"]


def test_too_large(legacy):
    big = legacy["docx"] + b"\0" * (1024 * 1024)
    doc = read_document("推荐表.docx", big, limits=Limits(max_attachment_mb=1))
    assert codes(doc) == ["too_large"]
    assert "1 MB" in doc.problems[0].message


def test_plain_zip_and_presentation_are_unsupported():
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ppt/presentation.xml", "<p/>")
    assert codes(read_document("推荐表.pptx", buf.getvalue())) == ["unsupported_format"]


def test_video_gets_duration(tmp_path):
    video = tmp_path / "v.mp4"
    make_video(video, seconds=2)
    doc = read_document("案例.mp4", video.read_bytes())
    assert doc.format == "mp4" and codes(doc) == []
    assert doc.duration_seconds == pytest.approx(2.0, abs=0.3)


# ---------------------------------------------------------------- isolation


def _sleep_forever() -> None:
    time.sleep(600)


def _allocate() -> bytearray:
    return bytearray(3 * 1024**3)


def test_isolation_timeout_kills_child():
    with pytest.raises(IsolationError) as info:
        run_isolated(_sleep_forever, timeout=0.5)
    assert info.value.reason == "timeout"


def test_isolation_memory_cap():
    with pytest.raises(IsolationError) as info:
        run_isolated(_allocate, timeout=30, memory_mb=512)
    assert info.value.reason == "memory"


def test_isolation_passes_results_and_exceptions():
    assert run_isolated(sorted, [3, 1, 2], timeout=30) == [1, 2, 3]
    with pytest.raises(ZeroDivisionError):
        run_isolated(divmod, 1, 0, timeout=30)


@pytest.mark.parametrize("key", ["docx", "doc", "xls", "xlsx", "pdf"])
def test_mutated_files_never_raise(legacy, converter, key):
    """Seeded byte flips and cuts: always a Document, every problem a Chinese sentence."""
    rng = random.Random(key)
    for _ in range(12):
        data = bytearray(legacy[key])
        for _ in range(rng.randint(1, 30)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        doc = read_document(f"推荐表.{key}", bytes(data), converter=converter)
        for problem in doc.problems:
            assert problem.code and re.search(r"[\u4e00-\u9fff]", problem.message)

"""Old-format files that LibreOffice opens must be read, not refused.

Each fixture reproduces the structure of a real file that was refused
(Apache POI's test-data: FloatingPictures.doc, test-fields.doc, footnote.doc
and MarkAuthorsTable.doc all carry comments; WORKBOOK_in_capitals.xls,
OddStyleRecord.xls and NoGutsRecords.xls name their stream "WORKBOOK";
47950_lower.doc names every stream in lower case) and is made here from
generated forms by LibreOffice, then edited byte-wise where needed.
"""

from __future__ import annotations

import html
from pathlib import Path

import olefile
import pytest
from fixtures_forms import sample_values, soffice_convert, xlsx_grid

from pipeline.campaign import builtin
from pipeline.documents import convert, read_document
from pipeline.documents.convert import Converter
from pipeline.documents.sniff import sniff
from pipeline.form import extract_form

FORM = builtin().form

VALUES = sample_values(3)

_FODT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"'
    ' office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>'
)


def _fodt_form(values: dict[str, str], comment: str) -> bytes:
    """A two-column 推荐表 with a reviewer's comment (批注) on the title, as flat ODF."""
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    rows = "".join(
        f"<table:table-row>{cell.format(html.escape(k))}{cell.format(html.escape(v))}</table:table-row>"
        for k, v in values.items()
    )
    note = f"<office:annotation><dc:creator>审核人</dc:creator><text:p>{html.escape(comment)}</text:p></office:annotation>"
    body = (
        f"<text:p>推荐表{note}</text:p>"
        '<table:table table:name="推荐表"><table:table-column table:number-columns-repeated="2"/>'
        f"{rows}</table:table><text:p>推荐单位（盖章）</text:p>"
    )
    return (_FODT_HEAD + body + "</office:text></office:body></office:document>").encode()


def _soffice(sources: dict[str, bytes], target: str, work: Path) -> dict[str, bytes]:
    """{stem: converted bytes}."""
    return {
        Path(name).stem: data
        for name, data in soffice_convert(sources, work / f"out_{target}", target).items()
    }


def _rename_streams(data: bytes, names: dict[str, str]) -> bytes:
    """Rename OLE directory entries in place (same length; the tree order is case-blind)."""
    for old, new in names.items():
        assert len(old) == len(new)
        needle = old.encode("utf-16-le") + b"\0\0"
        assert data.count(needle) == 1, f"{old} is not exactly one directory entry"
        data = data.replace(needle, new.encode("utf-16-le") + b"\0\0")
    return data


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("legacy_files")
    docs = _soffice({"commented.fodt": _fodt_form(VALUES, "请核对粉丝数量")}, "doc", work)
    sheets = _soffice({"sheet.xlsx": xlsx_grid(VALUES)}, "xls", work)
    commented = docs["commented"]
    return {
        "commented_doc": commented,
        "capitals_xls": _rename_streams(sheets["sheet"], {"Workbook": "WORKBOOK"}),
        "lower_doc": _rename_streams(
            commented, {"WordDocument": "worddocument", "1Table": "1table", "\x01CompObj": "\x01compobj"}
        ),
    }


@pytest.fixture(scope="module")
def converter(tmp_path_factory):
    with Converter(tmp_path_factory.mktemp("conv")) as conv:
        yield conv


def _fields(doc) -> dict[str, str]:
    assert [p.code for p in doc.problems] == [], doc.problems
    return extract_form(doc, FORM).fields


def test_doc_with_comments_is_read(files, converter):
    """A Writer view of a commented document aborts soffice on the -nogui packages."""
    doc = read_document("推荐表.doc", files["commented_doc"], converter=converter)
    assert doc.format == "doc"
    assert _fields(doc) == VALUES
    assert converter.restarts == 0  # read by the warm soffice, not after a crash


def test_stream_names_in_other_case_are_read(files, converter):
    assert sniff(files["capitals_xls"], "a.xls").kind == "xls"
    assert sniff(files["lower_doc"], "a.doc").kind == "doc"
    sheet = read_document("推荐表.xls", files["capitals_xls"], converter=converter)
    assert sheet.format == "xls" and _fields(sheet) == VALUES
    lower = read_document("推荐表.doc", files["lower_doc"], converter=converter)
    assert lower.format == "doc" and _fields(lower) == VALUES


def _page(values: dict[str, str], charset: str) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in values.items())
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w="urn:schemas-microsoft-com:office:word">'
        f'<head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>'
        f'<body><p>推荐表</p><table border="1">{rows}</table><p>推荐单位（盖章）</p></body></html>'
    )


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b"")],
    ids=["utf16le-bom", "utf16be-bom", "utf16le-no-bom"],
)
def test_utf16_web_page_saved_as_doc(converter, encoding, prefix):
    """Word saves "web page" as UTF-16 ("Unicode"); senders rename it .doc."""
    data = prefix + _page(VALUES, "unicode").encode(encoding)
    assert sniff(data, "推荐表.doc").kind == "html"
    doc = read_document("推荐表.doc", data, converter=converter)
    assert doc.format == "doc"
    assert _fields(doc) == VALUES


def test_gbk_web_page_saved_as_xls(converter):
    """Excel's "web page" export in GB2312, with an XML declaration first, named .xls."""
    data = b'<?xml version="1.0"?>\r\n' + _page(VALUES, "gb2312").encode("gb18030")
    doc = read_document("推荐表.xls", data, converter=converter)
    assert doc.format == "xls"
    assert _fields(doc) == VALUES


def test_one_shot_soffice_reads_what_the_warm_converter_cannot(files, tmp_path, monkeypatch):
    """When the warm converter fails, a one-shot `soffice --convert-to` is tried before giving up."""
    monkeypatch.setattr(convert, "HELPER", tmp_path / "missing_helper.py")  # the warm helper cannot start
    with Converter(tmp_path / "conv") as broken:
        assert broken.use_uno
        doc = read_document("推荐表.doc", files["commented_doc"], converter=broken)
        assert _fields(doc) == VALUES
        assert broken._proc is None  # the warm path really failed
        bad = read_document("坏.doc", _zeroed_word_stream(files["commented_doc"], tmp_path), converter=broken)
    assert [p.code for p in bad.problems] == ["conversion_failed"]  # both converters refused it
    assert "坏.doc" in bad.problems[0].message and "另存为" in bad.problems[0].message


def _zeroed_word_stream(data: bytes, tmp_path: Path) -> bytes:
    """Still a .doc to the sniffer (OLE with WordDocument), but nothing in it to read."""
    path = tmp_path / "zeroed.doc"
    path.write_bytes(data)
    ole = olefile.OleFileIO(str(path), write_mode=True)
    size = len(ole.openstream("WordDocument").read())
    ole.write_stream("WordDocument", b"\0" * size)
    ole.close()
    return path.read_bytes()

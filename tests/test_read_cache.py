"""A kept OCR reading (documents/read_cache.py) is used only for the same file, name,
limits and form, only where asked for, and only when the reading finished."""

from __future__ import annotations

import pytest

from pipeline import documents
from pipeline.campaign import builtin
from pipeline.config import Limits
from pipeline.documents import read_cache, read_document
from pipeline.documents.isolate import IsolationError
from pipeline.model import Document

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # sniffed as a picture; the reader is replaced below


@pytest.fixture
def readings(monkeypatch):
    """The sandboxed OCR replaced by a counter that answers with a Document."""
    calls: list[str] = []
    outcome = {"result": "ok"}

    def isolated(func, data, name, limits):
        calls.append(name)
        if outcome["result"] == "short":
            raise IsolationError("memory", "cap")
        return ("ok", Document(file=name, format="png", is_scan=True, paragraphs=[f"第{len(calls)}次识别"]))

    monkeypatch.setattr(documents, "_isolated", isolated)
    return calls, outcome


def test_without_the_setting_every_read_recognises(readings, monkeypatch):
    calls, _ = readings
    monkeypatch.delenv(read_cache.ENV, raising=False)
    read_document("扫描件.png", PNG)
    read_document("扫描件.png", PNG)
    assert len(calls) == 2


def test_the_same_file_is_recognised_once(readings, monkeypatch, tmp_path):
    calls, _ = readings
    monkeypatch.setenv(read_cache.ENV, str(tmp_path))
    first = read_document("扫描件.png", PNG)
    again = read_document("扫描件.png", PNG)
    assert len(calls) == 1
    assert again.paragraphs == first.paragraphs == ["第1次识别"]
    # Another name, other limits, another form, other bytes: each its own reading.
    read_document("另一个名字.png", PNG)
    read_document("扫描件.png", PNG, limits=Limits(ocr_budget_seconds=3))
    other_form = builtin().form
    other_form = type(other_form)(fields=other_form.fields[:3], title="另一张表")
    read_document("扫描件.png", PNG, form=other_form)
    read_document("扫描件.png", PNG + b"\0")
    assert len(calls) == 5


def test_a_reading_that_ran_short_is_not_kept(readings, monkeypatch, tmp_path):
    calls, outcome = readings
    monkeypatch.setenv(read_cache.ENV, str(tmp_path))
    outcome["result"] = "short"
    doc = read_document("扫描件.png", PNG)
    assert [p.code for p in doc.problems] == ["scan_unread"]
    assert len(calls) == 2  # the full try and the smaller one
    assert list(tmp_path.iterdir()) == []
    outcome["result"] = "ok"
    assert read_document("扫描件.png", PNG).paragraphs == ["第3次识别"]


def test_a_damaged_kept_reading_is_read_again(readings, monkeypatch, tmp_path):
    calls, _ = readings
    monkeypatch.setenv(read_cache.ENV, str(tmp_path))
    read_document("扫描件.png", PNG)
    (kept,) = tmp_path.iterdir()
    kept.write_bytes(b"not a pickle")
    assert read_document("扫描件.png", PNG).paragraphs == ["第2次识别"]

"""The warm LibreOffice converter: output checks, reuse, failure and hang recovery."""

from __future__ import annotations

import http.server
import io
import os
import re
import signal
import socket
import threading
import uuid
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from fixtures_forms import soffice_convert

from pipeline.documents import convert, office_pipes
from pipeline.documents.convert import Converter, default_converter, uno_available, verify_output
from pipeline.documents.errors import DocumentError


def _docx(text: str) -> bytes:
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "账号名称"
    table.cell(0, 1).text = text
    document.add_paragraph("结束")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _xlsx(text: str) -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "账号名称"
    wb.active["B1"] = text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> dict[str, bytes]:
    """Three .doc and one .xls made by soffice (one call per target format)."""
    work = tmp_path_factory.mktemp("legacy_conv")
    out: dict[str, bytes] = {}
    for target, sources in (
        ("doc", {f"d{i}.docx": _docx(f"针灸之窗{i}") for i in range(3)}),
        ("xls", {"s0.xlsx": _xlsx("针灸之窗表")}),
    ):
        for name, data in soffice_convert(sources, work / "out", target).items():
            out[f"{Path(name).stem}.{target}"] = data
    return out


def _document_xml(data: bytes) -> str:
    """All w:t text of the converted docx (LibreOffice splits runs at script changes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("word/document.xml").decode()
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def render_tests_ran(workdir: Path) -> list[Path]:
    """The log LibreOffice writes into a profile when it ran its graphics render tests
    at start (about 0.7 CPU-seconds a start; convert.SEEN_VERSION keeps them from running)."""
    return list(workdir.rglob("GraphicsRenderTests.log"))


def test_uno_backend_is_available():
    # python3-uno is a project requirement; without it we silently get the slow path.
    assert uno_available()


def test_doc_and_xls_convert_and_process_is_reused(tmp_path, legacy):
    with Converter(tmp_path) as conv:
        first = conv.convert(legacy["d0.doc"], "doc", "docx")
        pid = conv._proc.pid if conv._proc else None
        second = conv.convert(legacy["d1.doc"], "wps", "docx")
        sheet = conv.convert(legacy["s0.xls"], "et", "xlsx")
        assert (conv._proc.pid if conv._proc else None) == pid  # one warm soffice
        assert conv.restarts == 0
        assert not render_tests_ran(tmp_path)
    assert "针灸之窗0" in _document_xml(first)
    assert "针灸之窗1" in _document_xml(second)
    wb = openpyxl.load_workbook(io.BytesIO(sheet))
    assert wb.active["B1"].value == "针灸之窗表"


def test_convert_many_reports_each_file(tmp_path, legacy):
    items = [(legacy["d0.doc"], "doc"), (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "doc"), (legacy["d2.doc"], "doc")]
    with Converter(tmp_path) as conv:
        results = conv.convert_many(items, "docx")
    assert "针灸之窗0" in _document_xml(results[0])
    assert isinstance(results[1], DocumentError) and results[1].code == "conversion_failed"
    assert "针灸之窗2" in _document_xml(results[2])


def test_wrong_document_type_is_a_failure(tmp_path, legacy):
    # A spreadsheet cannot become a Word document: LibreOffice would "succeed" with nothing.
    with Converter(tmp_path) as conv, pytest.raises(DocumentError) as info:
        conv.convert(legacy["s0.xls"], "xls", "docx")
    assert info.value.code == "conversion_failed"
    assert "另存为" in info.value.message


def test_hang_is_killed_and_converter_recovers(tmp_path, legacy):
    with Converter(tmp_path, timeout=60) as conv:
        conv.convert(legacy["d0.doc"], "doc", "docx")
        old = conv._proc
        conv.timeout = 0  # every reply is "late": behaves like a hung soffice
        with pytest.raises(DocumentError) as info:
            conv.convert(legacy["d1.doc"], "doc", "docx")
        assert info.value.code == "timeout"
        assert old is not None and old.poll() is not None  # the whole group was killed
        conv.timeout = 60
        assert "针灸之窗2" in _document_xml(conv.convert(legacy["d2.doc"], "doc", "docx"))
        assert conv.restarts >= 1


def test_close_stops_soffice(tmp_path, legacy):
    conv = Converter(tmp_path)
    conv.convert(legacy["d0.doc"], "doc", "docx")
    proc = conv._proc
    conv.close()
    assert proc is not None and proc.poll() is not None
    with pytest.raises(RuntimeError):
        conv.convert(legacy["d0.doc"], "doc", "docx")


def _office_sockets(conv: Converter, pipe: str) -> list[Path]:
    """The warm soffice's sockets where office_pipes says they are: the one-instance
    pipe named from the profile folder itself, the UNO pipe as the converter chose it."""
    profile = (conv.workdir / f"profile_{conv._generation}").resolve().as_uri()
    return [office_pipes.pipe_path(office_pipes.single_instance_pipe(profile)), office_pipes.pipe_path(pipe)]


def test_killed_soffice_leaves_no_sockets_in_tmp(tmp_path, legacy):
    """Converters are killed, never shut down politely, so LibreOffice's own clean-up of
    its /tmp sockets never runs: the converter removes them (two per start otherwise)."""
    with Converter(tmp_path, timeout=60) as conv:
        conv.convert(legacy["d0.doc"], "doc", "docx")
        first = _office_sockets(conv, conv._pipes[1])
        assert all(p.is_socket() for p in first), first  # soffice made them where we look
        conv.timeout = 0  # a hang: the group is killed and the next call starts afresh
        with pytest.raises(DocumentError):
            conv.convert(legacy["d1.doc"], "doc", "docx")
        assert not any(p.exists() for p in first)
        conv.timeout = 60
        conv.convert(legacy["d2.doc"], "doc", "docx")
        second = _office_sockets(conv, conv._pipes[1])
        assert all(p.is_socket() for p in second)
    assert not any(p.exists() for p in second)


def test_only_sockets_are_removed():
    names = [f"intake_test_{uuid.uuid4().hex}" for _ in range(2)]
    sock_path, file_path = (office_pipes.pipe_path(n) for n in names)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(sock_path))
        file_path.write_text("not LibreOffice's")
        try:
            office_pipes.remove(names)
            assert not sock_path.exists()
            assert file_path.read_text() == "not LibreOffice's"
        finally:
            sock_path.unlink(missing_ok=True)
            file_path.unlink(missing_ok=True)


def test_sockets_nobody_holds_are_swept_when_a_converter_starts(tmp_path, legacy, monkeypatch):
    """A process SIGKILLed mid-conversion leaves its soffice's sockets (its lifeline
    kills soffice, nothing of ours runs after): the next converter to start removes
    the sockets no live process holds, and nothing else."""
    names = {kind: f"intake_test_{kind}_{uuid.uuid4().hex}" for kind in ("dead", "live", "file")}
    paths = {kind: office_pipes.pipe_path(name) for kind, name in names.items()}
    with socket.socket(socket.AF_UNIX) as dead:  # closed below: its file stays, as a killed soffice's does
        dead.bind(str(paths["dead"]))
    live = socket.socket(socket.AF_UNIX)
    live.bind(str(paths["live"]))
    live.listen()
    paths["file"].write_text("not a socket")
    try:
        monkeypatch.setattr(convert, "_pipes_swept", False)
        with Converter(tmp_path) as conv:
            conv.convert(legacy["d0.doc"], "doc", "docx")
            assert all(
                p.is_socket() for p in _office_sockets(conv, conv._pipes[1])
            )  # started after the sweep
        assert not paths["dead"].exists()
        assert paths["live"].is_socket()
        assert paths["file"].read_text() == "not a socket"
    finally:
        live.close()
        for path in paths.values():
            path.unlink(missing_ok=True)


def test_batch_cli_backend(tmp_path, legacy):
    with Converter(tmp_path, use_uno=False) as conv:
        results = conv.convert_many([(legacy["d0.doc"], "doc"), (legacy["d1.doc"], "doc")], "docx")
        assert not render_tests_ran(tmp_path)
    assert "针灸之窗0" in _document_xml(results[0])
    assert "针灸之窗1" in _document_xml(results[1])


def test_two_converters_in_parallel(tmp_path, legacy):
    """Private profiles: concurrent soffice processes do not fight over a lock."""
    results: dict[int, bytes | Exception] = {}

    def work(i: int) -> None:
        try:
            with Converter(tmp_path / f"c{i}") as conv:
                results[i] = conv.convert(legacy[f"d{i}.doc"], "doc", "docx")
        except Exception as exc:  # surfaced by the assert below
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        assert isinstance(results[i], bytes), results[i]
        assert f"针灸之窗{i}" in _document_xml(results[i])


def test_verify_output_rejects_garbage():
    with pytest.raises(DocumentError):
        verify_output(b"not a zip", "docx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document")  # truncated XML
    with pytest.raises(DocumentError):
        verify_output(buf.getvalue(), "docx")


def test_default_converter_is_shared():
    assert default_converter() is default_converter()


def test_external_links_are_not_fetched(tmp_path):
    """A hostile document must not make the server fetch URLs (SSRF, tracking)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_OPTIONS = do_HEAD = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/track.png"
        page = f'<html><body><p>推荐表</p><img src="{url}"><table><tr><td>账号名称</td><td>针灸之窗</td></tr></table><p>完</p></body></html>'
        with Converter(tmp_path) as conv:
            out = conv.convert(page.encode(), "html", "docx")
    finally:
        server.shutdown()
        server.server_close()
    assert "针灸之窗" in _document_xml(out)
    assert hits == []


def _group_members(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # field 5 of stat: pgrp
                pids.append(int(entry))
    return pids


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def test_recovers_when_soffice_dies(tmp_path, legacy):
    with Converter(tmp_path) as conv:
        conv.convert(legacy["d0.doc"], "doc", "docx")
        helper = conv._proc
        assert helper is not None
        group = os.getpgid(helper.pid)  # led by the converter's lifeline watchdog
        office = [pid for pid in _group_members(group) if _comm(pid) in ("oosplash", "soffice.bin")]
        assert office  # soffice runs in the helper's process group
        for pid in office:
            os.kill(pid, signal.SIGKILL)
        out = conv.convert(legacy["d1.doc"], "doc", "docx")  # retried on a fresh soffice
        assert "针灸之窗1" in _document_xml(out)
        assert conv.restarts >= 1 and conv._proc is not helper

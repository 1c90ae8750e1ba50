"""Child processes die with their parent; their temp folders live under data/ and are swept.

A real `run.py once` is SIGKILLed (the process alone, as `kill -9 PID` does)
at the moment LibreOffice is starting, and while the sandbox child is busy
recognising a scan (PP-OCR; the test waits for the sandbox's own `busy` report).
Every process of that run carries an environment
marker; soon after, none may be left (soffice, oosplash,
soffice.bin, the converter helper, the sandbox child, the watchdogs).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import psutil
import pytest
import yaml
from fixtures_forms import docx_grid, sample_values, soffice_convert
from PIL import Image, ImageDraw, ImageFont

from pipeline.documents import isolate, scratch
from pipeline.documents.convert import Converter

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
MARK = "INTAKE_LIFETIME_TEST"
# The children go within milliseconds of the parent's death; the wait ends as soon as none is
# left, and GRACE only bounds a failing run (a busy machine must not fail a correct one).
GRACE = 30.0


def _config(tmp_path: Path, attachment: tuple[str, bytes, str, str]) -> Path:
    box = tmp_path / "mail"
    box.mkdir()
    data = {
        "campaign": "测试",
        "this_level": {"name": "学会", "deadline": "2021-08-02 00:00"},
        "mailboxes": [{"name": "本地", "kind": "folder", "path": "mail"}],
        "smtp": {"dry_run": True, "from_addr": "me@society.example.cn"},
        "units": [{"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"]}],
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    name, payload, maintype, subtype = attachment
    msg = EmailMessage()
    msg["From"] = "bjzj@bj.example.cn"
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "推荐材料"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@bj.example.cn>"
    msg["Date"] = "Tue, 20 Jul 2021 09:00:00 +0800"
    msg.set_content("附件是推荐表。")
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    (box / "1.eml").write_bytes(b"X-Demo-Arrival: 2021-07-20T09:00:00+08:00\n" + msg.as_bytes())
    return path


def _start_once(config: Path, mark: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{MARK: mark})
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "once", "--quiet", "--config", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _marked(mark: str) -> list[psutil.Process]:
    """Live (non-zombie) processes that inherited this run's marker."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() == psutil.STATUS_ZOMBIE or proc.pid == os.getpid():
                continue
            if proc.environ().get(MARK) == mark:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _describe(procs: list[psutil.Process]) -> list[str]:
    out = []
    for proc in procs:
        try:
            out.append(f"{proc.pid} {proc.name()} ppid={proc.ppid()} {' '.join(proc.cmdline())[:120]}")
        except psutil.Error:
            pass
    return out


def _kill_when(once: subprocess.Popen, mark: str, names: set[str], timeout: float = 120) -> list[str]:
    """SIGKILL `once` (only it) as soon as one of its processes is named in `names`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = [p for p in _marked(mark) if _name(p) in names]
        if seen:
            os.kill(once.pid, signal.SIGKILL)
            once.wait()
            return [_name(p) for p in seen]
        if once.poll() is not None:
            pytest.fail(f"run.py once ended before {names} started: {once.stderr.read().decode()[-2000:]}")
        time.sleep(0.02)
    pytest.fail(f"none of {names} started within {timeout}s")


def _name(proc: psutil.Process) -> str:
    try:
        return proc.name()
    except psutil.Error:
        return ""


def _survivors(mark: str) -> list[psutil.Process]:
    deadline = time.monotonic() + GRACE
    while True:
        left = _marked(mark)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _cleanup(mark: str) -> None:
    for proc in _marked(mark):
        try:
            proc.kill()
        except psutil.Error:
            pass


@pytest.fixture(scope="module")
def doc_form(tmp_path_factory) -> bytes:
    import docx

    work = tmp_path_factory.mktemp("doc_form")
    document = docx.Document(io.BytesIO(docx_grid(sample_values(5))))
    document.add_paragraph("推荐单位（盖章）")
    buf = io.BytesIO()
    document.save(buf)
    return soffice_convert({"form.docx": buf.getvalue()}, work, "doc")["form.docx"]


def _dense_page() -> bytes:
    """A full page of small print: tesseract needs far longer than GRACE for it."""
    img = Image.new("L", (2400, 3400), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    line = "针灸科普账号坚持以群众需求为导向围绕常见病防治开展线上答疑和健康宣教账号名称联系人手机" * 3
    for y in range(20, 3360, 42):
        draw.text((20, y), line[:80], font=font, fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _dense_scan_pdf(pages: int) -> bytes:
    """A PDF of `pages` dense page images with no text layer: a scan read in full, page by page."""
    page = Image.open(io.BytesIO(_dense_page())).convert("L")
    buf = io.BytesIO()
    page.save(buf, format="PDF", save_all=True, append_images=[page] * (pages - 1), resolution=200)
    return buf.getvalue()


def test_kill_while_libreoffice_starts_leaves_nothing(tmp_path, doc_form):
    config = _config(tmp_path, ("推荐表.doc", doc_form, "application", "msword"))
    mark = uuid.uuid4().hex
    once = _start_once(config, mark)
    try:
        seen = _kill_when(once, mark, {"oosplash", "soffice.bin"})
        left = _survivors(mark)
        assert not left, f"killed at {seen}; still running: {_describe(left)}"

        # Its scratch folders are under the data folder, owner-only, and left behind by the kill...
        tmp_root = tmp_path / "data" / "tmp"
        assert tmp_root.is_dir() and (tmp_root.stat().st_mode & 0o777) == 0o700
        dead = sorted(p.name for p in tmp_root.iterdir() if f"-{once.pid}-" in p.name)
        assert any(name.startswith("convert-") for name in dead), sorted(os.listdir(tmp_root))
        # ...and the next start sweeps them (that run also finishes the interrupted message).
        rerun = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "once", "--quiet", "--config", str(config)],
            cwd=tmp_path,
            env=dict(os.environ, PYTHONPATH=str(ROOT), **{MARK: mark}),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert not [p for p in tmp_root.iterdir() if f"-{once.pid}-" in p.name]
        assert list(tmp_root.iterdir()) == []  # and a clean exit removes its own
        assert not _survivors(mark)
    finally:
        _cleanup(mark)


def _kill_when_sandbox_busy(
    once: subprocess.Popen, tmp_root: Path, job_part: str, timeout: float = 120
) -> str:
    """SIGKILL `once` (only it) the moment its sandbox child reports a job naming
    `job_part` (the `busy` file it writes into its scratch folder while a call runs)."""
    deadline = time.monotonic() + timeout
    pattern = f"sandbox-{once.pid}-*/{isolate.BUSY_NAME}"
    while time.monotonic() < deadline:
        for busy in tmp_root.glob(pattern):
            try:
                job = busy.read_text(encoding="utf-8").strip()
            except OSError:
                continue  # gone between the listing and the read: look again
            if job_part in job:
                os.kill(once.pid, signal.SIGKILL)
                once.wait()
                return job
        if once.poll() is not None:
            pytest.fail(
                f"run.py once ended before the sandbox got busy: {once.stderr.read().decode()[-2000:]}"
            )
        time.sleep(0.01)
    pytest.fail(f"the sandbox child did not start working within {timeout}s")


def test_kill_while_sandbox_runs_ocr_leaves_nothing(tmp_path):
    """The kill lands while the sandbox recognises a three-page scan (it reads all
    three pages in full), whatever the machine's speed: the test waits for the
    sandbox to report its job, not for an amount of CPU time."""
    config = _config(tmp_path, ("推荐表扫描.pdf", _dense_scan_pdf(pages=3), "application", "pdf"))
    mark = uuid.uuid4().hex
    once = _start_once(config, mark)
    tmp_root = tmp_path / "data" / "tmp"
    try:
        _kill_when_sandbox_busy(once, tmp_root, "_ocr_pdf")
        left = _survivors(mark)
        assert not left, f"still running after the parent died: {_describe(left)}"
        assert any(p.name.startswith(f"sandbox-{once.pid}-") for p in tmp_root.iterdir())
    finally:
        _cleanup(mark)


def test_sandbox_child_holds_no_inherited_descriptors(tmp_path, monkeypatch):
    """A forked sandbox must not keep the converter's pipes (or anything else) open:
    the helper would never see EOF, and a dead parent's pipes would stay alive."""
    monkeypatch.setattr(scratch, "_root", tmp_path / "scratch")
    isolate.shutdown()
    with Converter() as conv:
        conv.convert(_small_page(), "html", "docx")
        helper_stdin = os.fstat(conv._proc.stdin.fileno()).st_ino
        assert isolate.run_isolated(os.getpid, timeout=30) != os.getpid()  # forks the sandbox now
        child = isolate._current.pid
        held = {os.stat(f"/proc/{child}/fd/{fd}").st_ino for fd in os.listdir(f"/proc/{child}/fd")}
        assert helper_stdin not in held
        group = os.getpgid(conv._proc.pid)
    isolate.shutdown()
    left = [p for p in psutil.process_iter() if _pgid(p) == group and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, _describe(left)  # close() took the whole soffice group with it
    assert list((tmp_path / "scratch").iterdir()) == []


def _pgid(proc: psutil.Process) -> int:
    try:
        return os.getpgid(proc.pid)
    except OSError:
        return -1


def _small_page() -> bytes:
    return "<html><body><table><tr><td>账号名称</td><td>针灸之窗</td></tr></table><p>完</p></body></html>".encode()


_HOLD_WORKDIR = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipeline.documents.scratch import Workdir
work = Workdir(sys.argv[3], Path(sys.argv[2]))
print(work.path, flush=True)
time.sleep(600)
"""


def test_sweep_removes_only_folders_whose_owner_died(tmp_path):
    """A cron `once` must not sweep the folders of a `serve` running beside it."""
    owners = {
        kind: subprocess.Popen(
            [sys.executable, "-c", _HOLD_WORKDIR, str(ROOT), str(tmp_path), kind],
            stdout=subprocess.PIPE,
            text=True,
        )
        for kind in ("alive", "killed")
    }
    try:
        paths = {kind: Path(proc.stdout.readline().strip()) for kind, proc in owners.items()}
        owners["killed"].kill()
        owners["killed"].wait()
        removed = scratch.sweep(tmp_path)
        assert removed == [paths["killed"]]
        assert paths["alive"].is_dir() and not paths["killed"].exists()
    finally:
        for proc in owners.values():
            proc.kill()
            proc.wait()

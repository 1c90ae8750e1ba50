"""Warm LibreOffice conversion of legacy formats (doc/wps/rtf -> docx, xls/et -> xlsx).

A cold `soffice --convert-to` costs 0.3 s per file just to start (a second
without the profile setting below, SEEN_VERSION).
We keep one headless soffice alive per Converter and drive it over UNO
through convert_uno.py (run by /usr/bin/python3, which has Debian's
python3-uno). Without python3-uno we fall back to batching every file of
a call into one `soffice --convert-to` run.

Both designs use a private profile (-env:UserInstallation) so concurrent
converters never fight over the profile lock, and verify the output:
LibreOffice reports success (rc=0) for files it "could not load" and
writes nothing. Every soffice tree runs in a process group led by a
lifeline watchdog (lifeline.py): it dies with us even on SIGKILL, and
close() kills it at once instead of waiting for a polite shutdown. Work
files, profiles and LibreOffice's own TMPDIR live in an flock-ed scratch
folder (scratch.py) that the next start sweeps if we were killed.
`convert_oneshot` is the last resort before a file is called unreadable:
a fresh `soffice --convert-to` with its own profile.
"""

from __future__ import annotations

import atexit
import functools
import io
import json
import logging
import os
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

from lxml import etree

from . import office_pipes
from .errors import DocumentError
from .lifeline import Lifeline
from .scratch import Workdir

log = logging.getLogger(__name__)

SYSTEM_PYTHON = "/usr/bin/python3"
HELPER = Path(__file__).with_name("convert_uno.py")
STARTUP_TIMEOUT = 60.0

# target extension -> (UNO export filter, --convert-to spec, document service, main zip part)
TARGETS = {
    "docx": (
        "MS Word 2007 XML",
        "docx:MS Word 2007 XML",
        "com.sun.star.text.TextDocument",
        "word/document.xml",
    ),
    "xlsx": (
        "Calc MS Excel 2007 XML",
        "xlsx:Calc MS Excel 2007 XML",
        "com.sun.star.sheet.SpreadsheetDocument",
        "xl/workbook.xml",
    ),
}

# The only source types we hand to LibreOffice, and the target each may go to.
SOURCES = {
    "doc": "docx",
    "wps": "docx",
    "rtf": "docx",
    "html": "docx",
    "odt": "docx",
    "xls": "xlsx",
    "et": "xlsx",
    "ods": "xlsx",
}

# Import filters forced by source type: HTML would otherwise open as a Writer/Web
# document, which cannot be stored as docx.
IMPORT_FILTERS = {"html": "HTML (StarWriter)"}

_MAX_OUTPUT = 200 * 1024 * 1024


def _failed(detail: str = "") -> DocumentError:
    error = DocumentError(
        "conversion_failed",
        "文件格式转换失败（旧版 Word/WPS/Excel 文件无法打开），请用 Word 或 WPS 另存为 .docx 或 .xlsx 后重新发送",
    )
    error.detail = detail  # English, for logs; never shown to senders
    if detail:
        log.info("conversion failed: %s", detail)
    return error


def _timed_out() -> DocumentError:
    return DocumentError(
        "timeout", "文件处理超时（文件可能过大或已损坏），请另存为 .docx 或 .xlsx 后重新发送"
    )


@functools.lru_cache(maxsize=1)
def uno_available() -> bool:
    """True when the system Python can import LibreOffice's UNO bindings (python3-uno)."""
    if not (Path(SYSTEM_PYTHON).exists() and shutil.which("soffice")):
        return False
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"],
            capture_output=True,
            timeout=30,
            env=_clean_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _clean_env(tmpdir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.setdefault("HOME", tempfile.gettempdir())
    env["SAL_USE_VCLPLUGIN"] = "svp"  # headless, never try X
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmpdir)  # soffice's lu*.tmp folders go with our scratch folder
    return env


# Profile settings, seeded before soffice first starts. Hardening: never run
# macros, and never fetch linked images or other external resources that a
# hostile document (or an HTML page named .doc) points at.
# ooSetupLastVersion: LibreOffice runs its graphics render tests (drawing on
# 4096-px surfaces) at every start whose profile has not recorded the running
# version as seen, and a headless start never records it (desktop/source/app:
# runGraphicsRenderTests, utl::isProductVersionUpgraded(false)); a version above
# any release marks every version as seen. Measured on LibreOffice 7.4: a start
# and one small conversion 1.0 CPU-s and 300,000 page faults without it, 0.3 CPU-s
# and 24,000 with it. The tests grade the drawing backend ("svp" headless) into
# GraphicsRenderTests.log in the profile; what a conversion writes does not
# depend on them.
SEEN_VERSION = "99.9"
_PROFILE_XCU = f"""<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/Product">\
<prop oor:name="ooSetupLastVersion" oor:op="fuse"><value>{SEEN_VERSION}</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
</oor:items>
"""


def seed_profile(profile_dir: Path) -> None:
    """Write the settings above into a fresh LibreOffice profile."""
    user = profile_dir / "user"
    user.mkdir(parents=True, exist_ok=True)
    xcu = user / "registrymodifications.xcu"
    if not xcu.exists():
        xcu.write_text(_PROFILE_XCU, encoding="utf-8")


def verify_output(data: bytes, target_ext: str) -> None:
    """Raise unless `data` is a well-formed docx/xlsx whose main part parses."""
    part = TARGETS[target_ext][3]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo(part)
            if info.file_size > _MAX_OUTPUT:
                raise _failed("main part too large")
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            etree.fromstring(zf.read(part), parser)
    except DocumentError:
        raise
    except Exception as exc:
        raise _failed(f"bad output: {exc}") from exc


class Converter:
    """One warm LibreOffice; thread-safe, restarts itself after a hang or crash."""

    def __init__(self, workdir: Path | None = None, timeout: float = 60, use_uno: bool | None = None) -> None:
        self.timeout = timeout
        # Default: an flock-ed folder under the scratch root (storage.tmp_dir), swept if we are killed.
        self._scratch: Workdir | None = None
        if workdir is None:
            self._scratch = Workdir("convert")
            self.workdir = self._scratch.path
        else:
            self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.use_uno = uno_available() if use_uno is None else use_uno
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._lifeline: Lifeline | None = None
        self._pipes: tuple[str, ...] = ()  # the warm soffice's sockets in /tmp (office_pipes)
        self._buffer = b""
        self._generation = 0  # bumps on every (re)start: a fresh profile dir each time
        self._oneshot_generation = 0
        self.restarts = 0
        self._closed = False

    # ------------------------------------------------------------ public

    def convert(self, data: bytes, src_ext: str, target_ext: str) -> bytes:
        """Convert one file; raises DocumentError("conversion_failed"|"timeout")."""
        result = self.convert_many([(data, src_ext)], target_ext)[0]
        if isinstance(result, DocumentError):
            raise result
        return result

    def convert_many(self, items: list[tuple[bytes, str]], target_ext: str) -> list[bytes | DocumentError]:
        """Convert several files; each result is the bytes or the DocumentError for that file."""
        if target_ext not in TARGETS:
            raise ValueError(f"unsupported target {target_ext}")
        with self._lock:
            if self._closed:
                raise RuntimeError("converter is closed")
            job = self.workdir / f"job_{uuid.uuid4().hex}"
            job.mkdir()
            try:
                if self.use_uno:
                    return [
                        self._convert_uno(job, i, data, ext, target_ext)
                        for i, (data, ext) in enumerate(items)
                    ]
                return self._convert_cli(job, items, target_ext)
            finally:
                shutil.rmtree(job, ignore_errors=True)

    def convert_oneshot(self, data: bytes, src_ext: str, target_ext: str) -> bytes:
        """Convert with a fresh `soffice --convert-to` and its own profile.

        The fallback before a file is called unreadable: it does not share the
        warm soffice's state, profile or loading code path.
        """
        if target_ext not in TARGETS:
            raise ValueError(f"unsupported target {target_ext}")
        with self._lock:
            if self._closed:
                raise RuntimeError("converter is closed")
            job = self.workdir / f"job_{uuid.uuid4().hex}"
            job.mkdir()
            try:
                profile = self.workdir / f"oneshot_{self._oneshot_generation}"
                result = self._run_cli(job, [(data, src_ext)], target_ext, profile)[0]
                if isinstance(result, DocumentError) and result.code == "timeout":
                    self._oneshot_generation += 1  # a killed soffice may leave a broken profile
            finally:
                shutil.rmtree(job, ignore_errors=True)
        if isinstance(result, DocumentError):
            raise result
        return result

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop()
            if self._scratch is not None:
                self._scratch.close()

    def __enter__(self) -> Converter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ UNO backend

    def _profile_url(self) -> str:
        profile = self.workdir / f"profile_{self._generation}"
        seed_profile(profile)
        return profile.resolve().as_uri()

    def _start(self) -> None:
        global _pipes_swept
        if not _pipes_swept:  # what converters of killed processes left in /tmp
            _pipes_swept = True
            office_pipes.sweep_stale()
        self._generation += 1
        pipe = f"lo_conv_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        profile_url = self._profile_url()
        self._pipes = (office_pipes.single_instance_pipe(profile_url), pipe)  # removed by _stop
        # The watchdog first: from the moment the helper exists, our death kills its group.
        self._lifeline = Lifeline(f"convert {self.workdir}")
        log = open(self.workdir / "helper.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            self._proc = subprocess.Popen(
                [SYSTEM_PYTHON, str(HELPER), shutil.which("soffice") or "soffice", profile_url, pipe],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=_clean_env(self.workdir / f"tmp_{self._generation}"),
                process_group=self._lifeline.pgid,  # helper, soffice, oosplash, soffice.bin
            )
        except BaseException:
            self._lifeline.close()
            self._lifeline = None
            raise
        finally:
            log.close()
        self._buffer = b""
        try:
            reply = self._read_reply(time.monotonic() + STARTUP_TIMEOUT)
        except DocumentError as exc:
            self._stop()
            raise _failed(f"soffice did not start: {getattr(exc, 'detail', exc.code)}") from exc
        if not reply.get("ready"):
            self._stop()
            raise _failed(f"soffice did not start: {reply.get('error')}")

    def _stop(self) -> None:
        """Kill the helper's whole group at once: nothing in it is worth a graceful wait
        (so soffice's sockets in /tmp are ours to remove: office_pipes)."""
        proc, self._proc = self._proc, None
        lifeline, self._lifeline = self._lifeline, None
        if lifeline is not None:
            lifeline.close()
        pipes, self._pipes = self._pipes, ()
        office_pipes.remove(pipes)
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _read_reply(self, deadline: float) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _timed_out()
                if not sel.select(timeout=left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise _failed("helper exited")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError as exc:
            raise _failed(f"bad helper reply {line[:200]!r}") from exc

    def _convert_uno(
        self, job: Path, index: int, data: bytes, src_ext: str, target_ext: str
    ) -> bytes | DocumentError:
        result = self._convert_uno_once(job, index, data, src_ext, target_ext)
        if getattr(result, "retry", False):
            # soffice had died (maybe long before this file): one fresh attempt.
            result = self._convert_uno_once(job, index, data, src_ext, target_ext)
        return result

    def _convert_uno_once(
        self, job: Path, index: int, data: bytes, src_ext: str, target_ext: str
    ) -> bytes | DocumentError:
        src = job / f"in{index}.{src_ext}"
        dst = job / f"out{index}.{target_ext}"
        src.write_bytes(data)
        request = {
            "src": str(src.resolve()),
            "dst": str(dst.resolve()),
            "filter": TARGETS[target_ext][0],
            "service": TARGETS[target_ext][2],
            "import_filter": IMPORT_FILTERS.get(src_ext, ""),
        }
        try:
            if self._proc is None or self._proc.poll() is not None:
                if self._proc is not None:
                    self.restarts += 1
                    self._stop()
                self._start()
            assert self._proc is not None and self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
            reply = self._read_reply(time.monotonic() + self.timeout)
        except DocumentError as exc:
            # A hang or crash: kill the whole group; the next call starts fresh.
            self._stop()
            self.restarts += 1
            return exc
        except OSError:
            self._stop()
            self.restarts += 1
            error = _failed("helper pipe broken")
            error.retry = True
            return error
        if not reply.get("ok"):
            error = _failed(str(reply.get("error")))
            if reply.get("restart"):
                self._stop()
                self.restarts += 1
                error.retry = True
            return error
        return self._collect(dst, target_ext)

    def _collect(self, dst: Path, target_ext: str) -> bytes | DocumentError:
        if not dst.is_file() or dst.stat().st_size == 0:
            return _failed("no output")
        if dst.stat().st_size > _MAX_OUTPUT:
            return _failed("output too large")
        out = dst.read_bytes()
        try:
            verify_output(out, target_ext)
        except DocumentError as exc:
            return exc
        return out

    # ------------------------------------------------------------ batch CLI backend

    def _convert_cli(
        self, job: Path, items: list[tuple[bytes, str]], target_ext: str
    ) -> list[bytes | DocumentError]:
        """One `soffice --convert-to` for the whole batch; used without python3-uno."""
        if self._generation == 0:
            self._generation = 1
        results = self._run_cli(job, items, target_ext, self.workdir / f"profile_{self._generation}")
        if any(isinstance(r, DocumentError) and r.code == "timeout" for r in results):
            self.restarts += 1
            self._generation += 1  # a killed soffice may leave a broken profile
        return results

    def _run_cli(
        self, job: Path, items: list[tuple[bytes, str]], target_ext: str, profile: Path
    ) -> list[bytes | DocumentError]:
        """Run one soffice --convert-to over `items` in its own lifeline group."""
        outdir = job / "out"
        outdir.mkdir()
        by_source: dict[str, list[int]] = {}
        for i, (data, src_ext) in enumerate(items):
            (job / f"in{i}.{src_ext}").write_bytes(data)
            by_source.setdefault(IMPORT_FILTERS.get(src_ext, ""), []).append(i)
        seed_profile(profile)
        results: list[bytes | DocumentError] = [_failed("not converted")] * len(items)
        for import_filter, indexes in by_source.items():
            sources = [job / f"in{i}.{items[i][1]}" for i in indexes]
            timeout = self.timeout * max(1, len(indexes))
            if not soffice_convert_to(
                sources, TARGETS[target_ext][1], outdir, profile, job / "tmp", timeout, import_filter
            ):
                for i in indexes:
                    results[i] = _timed_out()
                continue
            for i in indexes:
                results[i] = self._collect(outdir / f"in{i}.{target_ext}", target_ext)
        return results


def soffice_convert_to(
    sources: list[Path],
    spec: str,
    outdir: Path,
    profile: Path,
    tmpdir: Path,
    timeout: float,
    import_filter: str = "",
) -> bool:
    """One `soffice --convert-to` over `sources`, in its own lifeline group (it dies with
    us); False when it timed out and was killed. The caller checks what it wrote."""
    cmd = [
        shutil.which("soffice") or "soffice",
        "--headless",
        "--norestore",
        "--nologo",
        "--nolockcheck",
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        *([f"--infilter={import_filter}"] if import_filter else []),
        "--convert-to",
        spec,
        "--outdir",
        str(outdir),
        *(str(s) for s in sources),
    ]
    with Lifeline(f"convert-to {outdir}") as lifeline:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_clean_env(tmpdir),
            process_group=lifeline.pgid,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            lifeline.close()
            proc.wait()
            office_pipes.remove([office_pipes.single_instance_pipe(profile.resolve().as_uri())])
            return False
    return True


_pipes_swept = False  # office_pipes.sweep_stale runs once per process
_default: Converter | None = None
_default_pid = 0
_default_lock = threading.Lock()


def default_converter() -> Converter:
    """The process-wide converter, started on first use (a forked child gets its own)."""
    global _default, _default_pid
    with _default_lock:
        if _default is None or _default_pid != os.getpid():
            _default = Converter()
            _default_pid = os.getpid()
            atexit.register(_default.close)
        return _default

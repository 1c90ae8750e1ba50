"""Run a `run.py` command inside the test process: the same `pipeline.cli.main`,
without starting an interpreter that imports the whole stack again.

Why: each `run.py` launch costs ~0.7 s of CPU before it does anything (1–2 s of
wall time on a busy machine), and the suite launched it over a hundred times in
tests that are about what a command does, not about being a process. The few
tests that are about the process (SIGKILL, closed pipes, terminal noise from
children, signals, lifetime of helpers) still start `run.py` for real.

Each call gets what a fresh process would have, and leaves nothing behind:
- its own standard streams at the file-descriptor level, so what LibreOffice or
  a sandbox child writes to fd 1/2 is captured too, and standard input;
- the configuration's folder as current directory, `run.py` as argv[0], the
  environment it is given, and the umask, root logger level and handlers and warnings capture restored afterwards;
- no ledger checks remembered, no journal registered, no scratch root, no
  sandbox child and no warm converter of an earlier call; those it starts are
  stopped at the end, as run.py's atexit handlers would, and every database
  engine it opened is disposed (a dropped PostgreSQL database has no lingering
  connection, a removed SQLite file no open handle).
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "run.py"


def run_main(
    argv: list[str], *, cwd: Path, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`python run.py *argv` in `cwd`, in this process; returns what subprocess.run would.
    `env`, when given, is the whole environment during the call (as subprocess's env=)."""
    import pipeline.ledger as ledger_pkg
    from pipeline import cli
    from pipeline.documents import convert, isolate, scratch
    from pipeline.ledger import journal
    from pipeline.ledger import open as ledger_open

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved_cwd = os.getcwd()
    saved_umask = os.umask(0o022)
    os.umask(saved_umask)
    saved_argv = sys.argv
    saved_environ = dict(os.environ)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    root_logger = logging.getLogger()
    saved_level = root_logger.level
    warnings_captured = logging._warnings_showwarning is not None  # type: ignore[attr-defined]
    saved_state = (
        isolate._current,
        convert._default,
        convert._default_pid,
        scratch._root,
        set(scratch._swept),
        set(ledger_open._checked),
        dict(journal._registry),
    )
    engines: list = []
    make_engine = ledger_pkg._make_engine

    def tracked_engine(url: str):
        engine = make_engine(url)
        engines.append(engine)
        return engine

    # A fresh process: nothing of an earlier command (or of the test itself) is reused.
    isolate._current = None
    convert._default, convert._default_pid = None, 0
    scratch._root = None
    scratch._swept.clear()
    ledger_open._checked.clear()
    journal._registry.clear()
    ledger_pkg._make_engine = tracked_engine

    out_file = tempfile.TemporaryFile()
    err_file = tempfile.TemporaryFile()
    saved_fds = (os.dup(1), os.dup(2))
    os.dup2(out_file.fileno(), 1)
    os.dup2(err_file.fileno(), 2)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, errors="backslashreplace")  # noqa: SIM115
    sys.stdin = io.StringIO(input or "")  # a pipe, never a terminal
    sys.argv = [str(RUN_PY), *argv]
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    code: int = 1
    try:
        os.chdir(cwd)
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse: -h, or a usage error
            code = _exit_status(exc.code)
    finally:
        # What run.py's exit does: atexit stops the sandbox child and the converter.
        isolate.shutdown()
        if convert._default is not None:
            convert._default.close()
        for engine in engines:
            engine.dispose()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.dup2(saved_fds[0], 1)
        os.dup2(saved_fds[1], 2)
        for fd in saved_fds:
            os.close(fd)
        os.chdir(saved_cwd)
        os.umask(saved_umask)
        sys.argv = saved_argv
        if env is not None:
            os.environ.clear()
            os.environ.update(saved_environ)
        for handler in [h for h in root_logger.handlers if getattr(h, "_intake", False)]:
            root_logger.removeHandler(handler)
            handler.close()
        root_logger.setLevel(saved_level)
        if not warnings_captured:
            logging.captureWarnings(False)
        ledger_pkg._make_engine = make_engine
        (
            isolate._current,
            convert._default,
            convert._default_pid,
            scratch._root,
            swept,
            checked,
            registry,
        ) = saved_state
        scratch._swept.clear()
        scratch._swept.update(swept)
        ledger_open._checked.clear()
        ledger_open._checked.update(checked)
        journal._registry.clear()
        journal._registry.update(registry)
    stdout, stderr = (_read(f) for f in (out_file, err_file))
    return subprocess.CompletedProcess([sys.executable, str(RUN_PY), *argv], code, stdout, stderr)


def _exit_status(code: object) -> int:
    """What the interpreter makes of SystemExit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _read(file) -> str:
    file.seek(0)
    data = file.read()
    file.close()
    return data.decode("utf-8", errors="replace")

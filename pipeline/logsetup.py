"""Where log records go: all of them to a log file, the terminal one Chinese line per problem.

Why: with dovecot stopped mid-run, `once` printed 49 lines and two Python
tracebacks before its one useful Chinese line; a full disk printed up to five
tracebacks. Staff need the line; a developer needs the traceback. So records
(tracebacks included) go to data/logs/intake.log (rotating, owner-only: it
names senders), and the terminal shows only records marked for it
(`extra=TERMINAL`), as their message alone. `-v` shows everything on the
terminal too, as before.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

TERMINAL = {"terminal": True}  # logging extra= for a Chinese line staff must see (serve)
LOG_NAME = "intake.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
_FILE_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"

_current: dict[str, Path | None] = {"path": None}


class _MessageOnly(logging.Formatter):
    """The message, nothing else: no level, no logger name, no traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def _for_terminal(record: logging.LogRecord) -> bool:
    return bool(getattr(record, "terminal", False))


def log_path_for(config_path: str | os.PathLike | None) -> Path:
    """data/logs/intake.log beside the raw store of this configuration; a per-user
    fallback when there is no readable configuration (extract, a broken YAML)."""
    if config_path and Path(config_path).is_file():
        try:
            from .config import load_config

            config = load_config(config_path)
            return config.path(config.storage.raw_dir).parent / "logs" / LOG_NAME
        except Exception:  # the command itself reports the configuration problem
            pass
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "nomination-intake" / LOG_NAME


def setup(verbose: bool = False, config_path: str | os.PathLike | None = None) -> Path | None:
    """Install our two handlers on the root logger (again on every call: the demo
    calls main() several times); returns the log file, None if it cannot be written."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_intake", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    path = _file_handler(root, log_path_for(config_path), verbose)
    terminal = logging.StreamHandler(sys.stderr)
    terminal._intake = True  # type: ignore[attr-defined]
    if verbose:
        terminal.setLevel(logging.DEBUG)
        terminal.setFormatter(logging.Formatter(_FILE_FORMAT))
    else:
        terminal.setLevel(logging.WARNING)
        terminal.addFilter(_for_terminal)
        terminal.setFormatter(_MessageOnly())
    root.addHandler(terminal)
    logging.captureWarnings(True)
    _current["path"] = path
    return path


def _file_handler(root: logging.Logger, path: Path, verbose: bool) -> Path | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    handler._intake = True  # type: ignore[attr-defined]
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    root.addHandler(handler)
    return path


def current_log() -> Path | None:
    return _current["path"]


def report_unexpected(exc: BaseException) -> int:
    """An error nobody foresaw: the traceback to the log file, one Chinese line to
    the terminal; exit status 1."""
    log.error("unexpected error", exc_info=exc)
    where = f"详细信息已写入日志 {current_log()}" if current_log() else "加 -v 运行可看到详细信息"
    print(f"错误：{describe(exc)}。{where}", file=sys.stderr)
    return 1


def describe(exc: BaseException) -> str:
    """One Chinese sentence for an unexpected exception (its words go to the log, not here)."""
    from .errors import describe as words
    from .worker import disk_full_message

    full = disk_full_message(exc)
    if full:
        return full.rstrip("。")
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        from .ledger.errors import RESTORE_HINT

        what = words(exc)
        if "损坏" in what or "不是数据库" in what:
            return f"{what}。{RESTORE_HINT}".rstrip("。")
        return f"台账数据库出错（{what}）" if what != "台账数据库出错" else what
    if isinstance(exc, OSError):
        return f"读写文件或连接服务器时出错（{words(exc)}）"
    return f"程序内部错误（{words(exc)}）" if words(exc) != "程序内部错误" else "程序内部错误"

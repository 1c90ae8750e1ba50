"""Owner-only scratch folders for the converter and the sandbox, swept at start.

LibreOffice profiles, converted files and OCR temp files hold personal data
and can be 15 MB per converter. A process killed with SIGKILL never removes
its folder, so every folder lives under one root (storage.tmp_dir, default
data/tmp next to the ledger) and carries a `.lock` that its owner holds with
flock for its whole life: the kernel drops the lock when the owner dies, and
the next process to start a converter or sandbox removes every unlocked
folder. Several processes (a cron `once` beside `serve`) may share the root.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path

LOCK_NAME = ".lock"
# A folder without a lock file is either being created right now or was left
# by a crash between mkdtemp and locking; only the latter is this old.
UNLOCKED_GRACE_SECONDS = 600

_lock = threading.Lock()
_root: Path | None = None
_swept: set[tuple[int, Path]] = set()  # (pid, root): sweep once per process and root


def configure(root: Path) -> Path:
    """Use `root` for scratch folders from now on and sweep what dead runs left there."""
    global _root
    root = Path(root).resolve()
    with _lock:
        _root = root
    _prepare(root)
    return root


def root() -> Path:
    """The configured root, or a per-user folder in the system temp dir (e.g. `run.py extract`)."""
    global _root
    with _lock:
        chosen = _root
    if chosen is None:
        chosen = Path(tempfile.gettempdir()) / f"nomination-intake-{os.getuid()}"
        if not _ours(chosen):  # a shared /tmp: someone else's folder or a symlink there
            chosen = Path(tempfile.mkdtemp(prefix="nomination-intake-"))
            with _lock:
                _root = chosen
    _prepare(chosen)
    return chosen


def _ours(path: Path) -> bool:
    """True when `path` is missing or a real folder of ours (not a planted symlink)."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return True
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()


class Workdir:
    """A scratch folder owned (flock-ed) by this process until close()."""

    def __init__(self, prefix: str, parent: Path | None = None) -> None:
        base = parent if parent is not None else root()
        self.path = Path(tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-", dir=base))
        self._fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def close(self) -> None:
        """Remove the folder (the lock goes with it)."""
        if self._fd < 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._fd)
        self._fd = -1


def sweep(base: Path) -> list[Path]:
    """Remove every folder under `base` whose owner is gone; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except FileNotFoundError:
        return removed
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if _abandoned(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        elif _older_than(path, UNLOCKED_GRACE_SECONDS):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _prepare(base: Path) -> None:
    key = (os.getpid(), base)
    if key in _swept:
        return
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    base.chmod(0o700)
    sweep(base)
    _swept.add(key)


def _abandoned(path: Path) -> bool:
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return _older_than(path, UNLOCKED_GRACE_SECONDS)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live process owns it
    finally:
        os.close(fd)
    return True


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.lstat().st_mtime > seconds
    except OSError:
        return False

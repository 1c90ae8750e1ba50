"""Run one reader call in a forked child with a memory cap and a deadline.

Parsers are where hostile files bite: a bloated document.xml can take
minutes and gigabytes (see research/form_extraction.md §1, §5). A forked
child with RLIMIT_AS turns that into a MemoryError or a kill we can report,
and a deadline turns a hang into a "timeout" problem; the parent never dies.
Fork (not spawn) keeps the start cost to a few milliseconds.
"""

from __future__ import annotations

import os
import pickle
import resource
import selectors
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_MEMORY_MB = 2048
_MAX_RESULT = 256 * 1024 * 1024


class IsolationError(Exception):
    """The child did not return a result; `reason` is timeout|memory|crash."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class ChildException(Exception):
    """An exception raised in the child that could not be pickled back."""


def run_isolated(func: Callable[..., T], *args: Any, timeout: float, memory_mb: int = DEFAULT_MEMORY_MB) -> T:
    """Return func(*args) computed in a child; re-raise its exception here.

    `memory_mb` is extra address space beyond what the parent already maps.
    Raises IsolationError on timeout, memory exhaustion or a hard crash.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child(func, args, write_fd, memory_mb)
    try:
        os.setpgid(pid, pid)  # own group, so helpers it spawns (tesseract) die with it
    except OSError:
        pass
    os.close(write_fd)
    try:
        payload = _read_all(read_fd, time.monotonic() + timeout)
    except IsolationError:
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    status = _reap(pid)
    if not payload:
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            reason = "memory" if sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT) else "crash"
            raise IsolationError(reason, f"child killed by signal {sig}")
        raise IsolationError("crash", f"child exited with {os.WEXITSTATUS(status)} and no result")
    ok, value = pickle.loads(payload)
    if ok:
        return value
    if isinstance(value, MemoryError):
        raise IsolationError("memory", "MemoryError in child")
    raise value


def _child(func: Callable, args: tuple, write_fd: int, memory_mb: int) -> None:
    code = 0
    try:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        # The cap is on top of what the fork already maps (a big parent with many
        # thread stacks may already use gigabytes of address space).
        limit = _mapped_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            result = (True, func(*args))
        except BaseException as exc:  # report everything, including MemoryError
            result = (False, _picklable(exc))
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            data = pickle.dumps((False, ChildException(f"unpicklable result: {exc}")))
        if len(data) > _MAX_RESULT:
            data = pickle.dumps((False, ChildException("result too large")))
        view = memoryview(data)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return ChildException(text[:2000])


def _read_all(fd: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise IsolationError("timeout", "deadline passed")
            if not sel.select(timeout=left):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > _MAX_RESULT:
                raise IsolationError("crash", "result too large")
            chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap(pid)


def _reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return status
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue

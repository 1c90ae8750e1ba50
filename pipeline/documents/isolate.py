"""Run one reader call in a forked child with a memory cap and a deadline.

Parsers are where hostile files bite: a bloated document.xml can take
minutes and gigabytes (see research/form_extraction.md §1, §5). A forked
child with RLIMIT_AS turns that into a MemoryError or a kill we can report,
and a deadline turns a hang into a "timeout" problem; the parent never dies.
The child is forked once and reused (see run_isolated), so the sandbox
costs a pipe round trip per file, not a fork.

The child joins a process group led by a lifeline watchdog (lifeline.py), so
it and whatever it runs (tesseract) are SIGKILLed the moment the parent dies,
even mid-parse. Right after the fork it drops every descriptor it inherited
(the converter's pipes, the lifelines' write ends, the IMAP socket, mailbox
locks): holding them would keep those alive after the parent closed them,
e.g. the converter helper would never see EOF. Its temp files (pytesseract)
go to an flock-ed scratch folder (scratch.py), swept at the next start.
"""

from __future__ import annotations

import atexit
import functools
import os
import pickle
import resource
import selectors
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from .lifeline import Lifeline
from .scratch import Workdir

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
    """Return func(*args) computed in a sandbox child; re-raise its exception here.

    The child is warm: forked once and reused for many calls (a fork of a
    process that has imported pdfplumber, openpyxl and lxml costs ~10 ms, more
    than parsing a form). It is replaced after a timeout, a memory error, a
    crash, or RECYCLE_AFTER calls. `memory_mb` is extra address space beyond
    what the parent maps at fork time. Raises IsolationError on timeout,
    memory exhaustion or a hard crash.
    """
    with _lock:
        worker = _worker_for(memory_mb)
        try:
            ok, value = worker.call(func, args, timeout)
        except IsolationError:
            _drop_worker()
            raise
        if worker.calls >= RECYCLE_AFTER or (not ok and isinstance(value, MemoryError)):
            _drop_worker()
    if ok:
        return value
    if isinstance(value, MemoryError):
        raise IsolationError("memory", "MemoryError in child")
    raise value


RECYCLE_AFTER = 200  # calls; bounds what a long-lived child can accumulate
_lock = threading.Lock()
_current: _Worker | None = None


def _worker_for(memory_mb: int) -> _Worker:
    global _current
    if _current is not None and (_current.owner != os.getpid() or _current.memory_mb != memory_mb):
        if _current.owner == os.getpid():
            _current.stop()
        _current = None  # a forked copy of this process must not share our child
    if _current is None:
        _current = _Worker(memory_mb)
        if not _atexit_registered:
            _register_atexit()
    return _current


_atexit_registered = False


def _register_atexit() -> None:
    """Stop the child and remove its scratch folder at a normal exit."""
    global _atexit_registered
    atexit.register(shutdown)
    _atexit_registered = True


def _drop_worker() -> None:
    global _current
    if _current is not None and _current.owner == os.getpid():
        _current.stop()
    _current = None


def shutdown() -> None:
    """Stop the sandbox child (tests, clean exit)."""
    with _lock:
        _drop_worker()


class _Worker:
    """One forked child that runs requests sent over a pipe, one at a time."""

    def __init__(self, memory_mb: int) -> None:
        self.owner = os.getpid()
        self.memory_mb = memory_mb
        self.calls = 0
        self.scratch = Workdir("sandbox")
        # The group exists before the child: our death kills it from the first instant.
        self.lifeline = Lifeline(f"sandbox {self.scratch.path}")
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            _serve(req_r, res_w, memory_mb, self.lifeline.pgid, str(self.scratch.path))
        try:
            os.setpgid(pid, self.lifeline.pgid)  # also here: no race with the child's own call
        except OSError:
            pass
        os.close(req_r)
        os.close(res_w)
        self.pid, self.req, self.res = pid, req_w, res_r

    def call(self, func: Callable, args: tuple, timeout: float) -> tuple[bool, Any]:
        self.calls += 1
        request = pickle.dumps((func, args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            _write_frame(self.req, request)
        except OSError as exc:  # the child died between calls
            raise IsolationError("crash", f"sandbox child gone: {exc}") from exc
        payload = _read_frame(self.res, time.monotonic() + timeout)
        if payload is None:
            status = self._kill()
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                reason = "memory" if sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT) else "crash"
                raise IsolationError(reason, f"child killed by signal {sig}")
            raise IsolationError("crash", "child exited with no result")
        return pickle.loads(payload)

    def stop(self) -> None:
        for fd in (self.req, self.res):
            try:
                os.close(fd)
            except OSError:
                pass
        self._kill()
        self.scratch.close()

    def _kill(self) -> int:
        """SIGKILL the child's group (child, tesseract...) and reap the child."""
        self.lifeline.close()
        pid, self.pid = self.pid, 0
        return _reap(pid) if pid else 0


def _serve(req_fd: int, res_fd: int, memory_mb: int, pgid: int, tmpdir: str) -> None:
    """Child main loop: read a request, run it, write the result; exit on EOF."""
    code = 0
    try:
        _drop_inherited_fds(keep={0, 1, 2, req_fd, res_fd})
        try:
            os.setpgid(0, pgid)
        except OSError:
            pass
        tempfile.tempdir = tmpdir  # pytesseract & co.
        os.environ["TMPDIR"] = tmpdir  # tools they run
        # The cap is on top of what the fork already maps (a big parent with many
        # thread stacks may already use gigabytes of address space).
        _one_malloc_arena()
        limit = _mapped_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        while True:
            request = _read_frame(req_fd, None)
            if request is None:
                break
            busy = os.path.join(tmpdir, BUSY_NAME)
            try:
                func, args = pickle.loads(request)
                _mark_busy(busy, func, args)
                result = (True, func(*args))
            except BaseException as exc:  # report everything, including MemoryError
                result = (False, _picklable(exc))
            finally:
                _clear_busy(busy)
            try:
                data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                data = pickle.dumps((False, ChildException(f"unpicklable result: {exc}")))
            if len(data) > _MAX_RESULT:
                data = pickle.dumps((False, ChildException("result too large")))
            _write_frame(res_fd, data)
            if not result[0] and isinstance(result[1], MemoryError):
                break  # a fragmented heap is not worth keeping
    except BaseException:
        code = 1
    finally:
        os._exit(code)


BUSY_NAME = "busy"  # in the child's scratch folder while a call runs: what it is working on


def _mark_busy(path: str, func: Callable, args: tuple) -> None:
    """Say what the child is doing, where anyone can see it (`cat data/tmp/sandbox-*/busy`):
    a stuck sandbox names its job, and tests wait for this event rather than for CPU time.
    A wrapper's first argument, when it is a function, is the job itself and is named too;
    a functools.partial is named by the function it wraps."""
    names = [f.func if isinstance(f, functools.partial) else f for f in (func, *args[:1])]
    job = " ".join(
        f"{f.__module__}.{f.__qualname__}" for f in names if callable(f) and hasattr(f, "__qualname__")
    )
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(job + "\n")
    except OSError:
        pass  # a full disk must not stop the reading itself


def _clear_busy(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _drop_inherited_fds(keep: set[int]) -> None:
    """Point every inherited descriptor but `keep` at /dev/null.

    dup2 rather than close: the numbers stay taken, so a stale Python object
    of the parent that closes "its" descriptor later cannot close one of ours.
    """
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd not in keep and fd != null:
                try:
                    os.dup2(null, fd, inheritable=False)
                except OSError:
                    pass  # the listing's own descriptor, already gone
    finally:
        os.close(null)


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_frame(fd: int, deadline: float | None) -> bytes | None:
    """One length-prefixed frame; None on EOF. Raises IsolationError on timeout."""
    header = _read_exact(fd, 8, deadline)
    if header is None:
        return None
    size = int.from_bytes(header, "big")
    if size > _MAX_RESULT + 1024 and deadline is not None:
        raise IsolationError("crash", "result too large")
    return _read_exact(fd, size, deadline)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while got < size:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise IsolationError("timeout", "deadline passed")
            if not sel.select(timeout=left):
                continue
            chunk = os.read(fd, min(1 << 20, size - got))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
    return b"".join(chunks)


def _one_malloc_arena() -> None:
    """One glibc malloc arena for every thread of the child. The cap counts address
    space, and each thread that allocates (ONNX Runtime's pool) would otherwise
    reserve an arena of 64 MB of it: a busy machine, where threads overlap more,
    then runs a valid scan out of its cap (std::bad_alloc) by reservations alone."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


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


def _reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return status
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue

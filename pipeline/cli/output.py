"""Standard output that may be a pipe closed early (`run.py status | head -3`).

Python ignores SIGPIPE, so writing to a pipe whose reader has gone raises
BrokenPipeError — at a print, or when the buffer is flushed at exit, where it
becomes an "Exception ignored" message and exit status 120. Following the
Python docs ("Note on SIGPIPE" in the signal module), we catch it, point
stdout at /dev/null so the final flush cannot fail again, and exit quietly
with the status a shell gives a process ended by SIGPIPE.
"""

from __future__ import annotations

import os
import select
import signal
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager

CLOSED_PIPE_EXIT = 128 + signal.SIGPIPE  # 141, as `yes | head -1` reports under pipefail


def stdout_is_closed_pipe() -> bool:
    """Whether stdout is a pipe or socket whose reader has gone.

    A BrokenPipeError can also come from a network socket (an SMTP server
    hanging up); only a closed stdout is a reason to exit quietly.
    """
    try:
        fd = sys.stdout.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def discard_stdout() -> None:
    """Send whatever is still buffered, and any later output, to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def flush_stdout() -> bool:
    """Flush now rather than at exit; False (stdout discarded) when the reader has gone."""
    try:
        sys.stdout.flush()
        return True
    except BrokenPipeError:
        if not stdout_is_closed_pipe():
            raise
        discard_stdout()
        return False


@contextmanager
def tolerate_closed_stdout() -> Iterator[None]:
    """Output inside the block may be cut short by a closed pipe; nothing else is."""
    try:
        yield
    except BrokenPipeError:
        if not stdout_is_closed_pipe():
            raise
        discard_stdout()
    else:
        flush_stdout()

"""A process group that dies with this process, even when it is SIGKILLed.

PR_SET_PDEATHSIG reaches only a direct child (and fires when the forking
*thread* exits), but soffice forks oosplash -> soffice.bin and the sandbox
child runs tesseract. So each helper tree runs in a process group led by a
tiny watchdog: `sh` whose `cat` reads a pipe whose only write end we hold.
When we die for any reason the kernel closes that end, `cat` sees EOF and
`kill -KILL 0` takes the whole group within milliseconds. close() does the
same on purpose, which makes shutdown fast instead of a polite 10 s wait.

Whoever forks without exec (isolate.py) must drop the inherited write end,
or the watchdog would wait for that child too.
"""

from __future__ import annotations

import os
import signal
import subprocess

# `cat` returns on EOF (our death or close()); then the group goes, sh included.
_WATCH = "cat >/dev/null; kill -KILL 0"


class Lifeline:
    """Leader of a fresh process group; members join it by `pgid`."""

    def __init__(self, tag: str = "") -> None:
        read_fd, self._write_fd = os.pipe()  # both close-on-exec: no exec'd child holds them
        try:
            self._watchdog = subprocess.Popen(
                ["/bin/sh", "-c", _WATCH, "lifeline", tag],
                stdin=read_fd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                process_group=0,  # a new group led by the watchdog
            )
        except BaseException:
            os.close(self._write_fd)
            raise
        finally:
            os.close(read_fd)
        self.pgid = self._watchdog.pid

    @property
    def closed(self) -> bool:
        return self._write_fd < 0

    def close(self, timeout: float = 2.0) -> None:
        """SIGKILL every process of the group and reap the watchdog."""
        if self._write_fd >= 0:
            os.close(self._write_fd)
            self._write_fd = -1
        try:
            self._watchdog.wait(timeout=timeout)
        except subprocess.TimeoutExpired:  # watchdog stopped or gone astray: do it ourselves
            self.kill_group()  # the leader is not reaped yet, so the pgid is still ours
            self._watchdog.wait()

    def kill_group(self) -> None:
        """SIGKILL the group now; only while the watchdog is unreaped (its pgid cannot be reused)."""
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> Lifeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""The socket files a killed LibreOffice leaves in /tmp, named so we can remove them.

Every soffice opens Unix sockets under /tmp (LibreOffice's sal/osl/unx/pipe.cxx: /tmp
when writable, else /var/tmp) named `OSL_PIPE_<uid>_<pipe>`: one for its
one-instance check, `SingleOfficeIPC_<MD5 of its profile's URL>`
(desktop/source/app/officeipcthread.cxx), and one per `--accept=pipe,name=<pipe>`
(our warm converter's UNO connection). It unlinks them when it exits politely; ours
never does (Converter.close() kills the group at once, a hang is killed), so each
warm converter left two (a one-shot killed at its timeout would leave its one): a
`run.py` that converted a .doc added two files to /tmp every run, the test suite
~50. Now Converter._stop and a timed-out soffice_convert_to remove them; only a
soffice whose own process was
SIGKILLed (its lifeline kills soffice, and nothing of ours runs after) leaves its two
until the next converter starts and sweeps those no live process holds (sweep_stale).
tests/test_convert.py starts a converter and finds both where these say.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

PIPE_DIRS = (Path("/tmp"), Path("/var/tmp"))


def single_instance_pipe(profile_url: str) -> str:
    """The pipe soffice names after its profile: the MD5 of the URL's UTF-16 code
    units, each byte in hex without a leading zero (as LibreOffice writes it)."""
    digest = hashlib.md5(profile_url.encode("utf-16-le"), usedforsecurity=False).digest()
    return "SingleOfficeIPC_" + "".join(format(byte, "x") for byte in digest)


def _pipe_dir() -> Path:
    return next((d for d in PIPE_DIRS if os.access(d, os.W_OK)), PIPE_DIRS[0])


def pipe_path(name: str) -> Path:
    """Where soffice puts the socket of pipe `name`."""
    return _pipe_dir() / f"OSL_PIPE_{os.getuid()}_{name}"


def remove(names: Iterable[str]) -> None:
    """Unlink the sockets of these pipes; call only once the soffice that made them is dead."""
    for name in names:
        _unlink_socket(pipe_path(name))


def _unlink_socket(path: Path) -> bool:
    """True when `path` was a socket and is gone; anything else (or nothing) is left alone."""
    try:
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()
            return True
    except OSError:
        pass
    return False


def sweep_stale() -> list[Path]:
    """Unlink this user's LibreOffice sockets that no live process holds (not in the
    kernel's /proc/net/unix: their soffice is dead, and LibreOffice itself would replace
    such a pipe on its next start); returns them. Nothing is touched without /proc."""
    # The files first, then the table: a socket bound in between is not among them.
    candidates = list(_pipe_dir().glob(f"OSL_PIPE_{os.getuid()}_*"))
    try:
        table = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return []
    bound = {fields[7] for line in table if len(fields := line.split()) >= 8}
    return [path for path in candidates if str(path) not in bound and _unlink_socket(path)]

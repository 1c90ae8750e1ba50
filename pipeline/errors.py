"""Errors whose message is meant for the person at the terminal or in the browser.

Raise `UserFacingError` (or a subclass) with a Chinese sentence that says what
went wrong and what to do; the command line prints that one line (the
traceback goes to the log file) and exits with `exit_code`.
"""

from __future__ import annotations

import errno


class UserFacingError(Exception):
    """A problem to report in one Chinese sentence, not as a traceback."""

    exit_code: int = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


# The machine's trouble, not one mail's: a full disk or quota, a read-only or failing
# disk, no permission on the data folder, no descriptors or memory left.
MACHINE_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EIO,
        errno.EACCES,
        errno.EPERM,
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOMEM,
    }
)


def is_machine_trouble(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is the machine's or the database's
    trouble, which every mail would hit: processing stops and the claim waits
    for the next run. Anything else (a name too long for the disk, a parser
    bug, a value the database refuses) is one mail's failure: that mail is
    retried and then handed to staff, and the mail behind it goes on."""
    from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in MACHINE_ERRNOS:
            return True
        if isinstance(cur, DBAPIError) and not isinstance(cur, IntegrityError | DataError):
            return True  # locked, unreachable, damaged or full database
        if isinstance(cur, MemoryError):
            return True
        cur = cur.__cause__ or cur.__context__
    return False

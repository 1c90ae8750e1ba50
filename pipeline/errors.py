"""Errors whose message is meant for the person at the terminal or in the browser.

Raise `UserFacingError` (or a subclass) with a Chinese sentence that says what
went wrong and what to do; the command line prints that one line (the
traceback goes to the log file) and exits with `exit_code`.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A problem to report in one Chinese sentence, not as a traceback."""

    exit_code: int = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

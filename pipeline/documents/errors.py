"""The one exception document readers raise for unreadable input.

Readers never let library exceptions escape: a corrupt, truncated or hostile
file becomes a DocumentError whose `code` is stable (for logs and tests) and
whose `message` is a Chinese sentence the sender can act on.
"""

from __future__ import annotations


class DocumentError(Exception):
    """A file we cannot read; `message` is Chinese and says what to do."""

    # Set by some raisers only (read with getattr): English detail for the log, and
    # whether the converter asks its caller to try once more.
    detail: str
    retry: bool

    def __init__(self, code: str, message: str) -> None:
        # args == (code, message) so the exception survives pickling across processes.
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

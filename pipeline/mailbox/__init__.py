"""Mail sources (IMAP, local .eml folder) behind one small interface."""

from .base import (
    MailboxConfigError,
    MailboxCursor,
    MailboxError,
    MailboxUnavailable,
    MailSource,
)
from .sources import open_source

__all__ = [
    "MailSource",
    "MailboxConfigError",
    "MailboxCursor",
    "MailboxError",
    "MailboxUnavailable",
    "open_source",
]

"""The source for a configured mailbox: one kind per module (imap.py, folder.py), chosen here
so that the kinds import the interface (base.py) and nothing imports back."""

from __future__ import annotations

from .base import MailboxConfigError, MailSource
from .folder import FolderSource
from .imap import ImapSource

KINDS = {"imap": ImapSource, "folder": FolderSource}


def open_source(box) -> MailSource:
    """Build the source for a configured mailbox (`config.Mailbox`)."""
    kind = KINDS.get(box.kind)
    if kind is None:
        raise MailboxConfigError(f"邮箱 {box.name}：未知的来源类型 {box.kind}（只能是 {' 或 '.join(KINDS)}）")
    return kind(box)

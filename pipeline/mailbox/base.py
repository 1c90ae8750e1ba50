"""What every mail source offers the pipeline, whatever the transport.

The pipeline only needs: "give me what is new since this cursor", "I am
done with this one", and "wake me when something arrives". Keeping that
small lets the demo run from a folder of .eml files and production from IMAP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..model import RawMail


class MailboxError(Exception):
    """A mail source failed; `str(err)` is a Chinese sentence for staff."""


class MailboxConfigError(MailboxError):
    """Wrong password/授权码, IMAP disabled, missing folder...: retrying will not help.

    The source remembers it and does not contact the server again until
    `retry_config_after` seconds pass, so a bad password never turns into a
    login storm that gets the account locked.
    """


class MailboxUnavailable(MailboxError):
    """Network trouble or a server outage; the source reconnects later with backoff."""


@dataclass(frozen=True)
class MailboxCursor:
    """How far a mailbox has been read: UIDs are only comparable within one UIDVALIDITY."""

    uidvalidity: int | None
    last_uid: int = 0


@runtime_checkable
class MailSource(Protocol):
    name: str

    def fetch_new(
        self, cursor: MailboxCursor, known: Callable[[int], bool] | None = None
    ) -> Iterator[RawMail]:
        """Yield mail after `cursor` (all mail if UIDVALIDITY changed), skipping UIDs `known` accepts."""
        ...

    def current_cursor(self) -> MailboxCursor:
        """The mailbox's position now (UIDVALIDITY, highest UID present)."""
        ...

    def mark_processed(self, mail: RawMail) -> None:
        """Move the mail to the processed folder when one is configured; else nothing."""
        ...

    def wait_for_new(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True as soon as new mail is announced."""
        ...

    def close(self) -> None: ...

"""A folder of .eml files as a mail source, for the demo and for tests.

UIDs are the positions of the sorted file names (1..n), so add new files
with names that sort last (e.g. a timestamp prefix). The arrival time is the
file's `X-Demo-Arrival:` header (ISO 8601) when present, else its mtime, so a
demo can replay mail "arriving" before or after the deadline.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import Mailbox
from ..model import RawMail
from .base import MailboxConfigError, MailboxCursor

log = logging.getLogger(__name__)

ARRIVAL_HEADER = "X-Demo-Arrival"
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")  # naive demo times are Beijing time
HEADER_SCAN_BYTES = 64 * 1024  # the arrival header is in the header block; do not parse huge files


class FolderSource:
    def __init__(self, box: Mailbox, *, poll_interval: float = 0.5) -> None:
        self.name = box.name
        self.box = box
        self.path = Path(box.path).expanduser()
        self._poll_interval = poll_interval
        digest = hashlib.sha256(str(self.path.resolve()).encode("utf-8", "surrogateescape")).digest()
        self.uidvalidity = int.from_bytes(digest[:4], "big") or 1

    def _files(self) -> list[Path]:
        if not self.path.is_dir():
            raise MailboxConfigError(f"邮箱 {self.name}：找不到文件夹 {self.path}，请检查配置中的 path")
        return sorted(
            p
            for p in self.path.iterdir()
            if p.suffix.lower() == ".eml" and p.is_file() and not p.is_symlink()
        )

    def fetch_new(
        self, cursor: MailboxCursor, known: Callable[[int], bool] | None = None
    ) -> Iterator[RawMail]:
        last = cursor.last_uid if cursor.uidvalidity == self.uidvalidity else 0
        for uid, path in enumerate(self._files(), start=1):
            if uid <= last or (known is not None and known(uid)):
                continue
            try:
                raw = path.read_bytes()
                mtime = path.stat().st_mtime
            except OSError as exc:  # vanished or unreadable: skip, it is only a demo source
                log.warning("%s: cannot read %s: %s", self.name, path, exc)
                continue
            yield RawMail(
                mailbox=self.name,
                folder=str(self.path),
                uidvalidity=self.uidvalidity,
                uid=uid,
                internaldate=arrival_time(raw, mtime),
                raw=raw,
            )

    def current_cursor(self) -> MailboxCursor:
        return MailboxCursor(self.uidvalidity, len(self._files()))

    def mark_processed(self, mail: RawMail) -> None:
        """Files are never moved: the demo must be replayable."""

    def wait_for_new(self, timeout: float) -> bool:
        """Watch the folder by listing it; True when the .eml count grows."""
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            before = len(self._files())
        except MailboxConfigError:
            time.sleep(max(0.0, timeout))
            return False
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(self._poll_interval, left))
            try:
                if len(self._files()) > before:
                    return True
            except MailboxConfigError:
                continue
        return False

    def close(self) -> None:
        pass


def arrival_time(raw: bytes, mtime: float) -> datetime:
    """`X-Demo-Arrival` (ISO 8601, naive = Beijing time) or the file mtime, always aware."""
    head = raw[:HEADER_SCAN_BYTES]
    end = head.find(b"\r\n\r\n")
    end = head.find(b"\n\n") if end < 0 else end
    if end >= 0:
        head = head[:end]
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get(ARRIVAL_HEADER)
    except Exception:  # hostile header block: fall back to mtime
        value = None
    if value:
        try:
            when = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
            return when if when.tzinfo else when.replace(tzinfo=DEFAULT_ZONE)
        except ValueError:
            log.warning("bad %s header %r; using file time", ARRIVAL_HEADER, value)
    return datetime.fromtimestamp(mtime, tz=UTC)

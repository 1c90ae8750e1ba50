"""One polling cycle: fetch new mail from every mailbox, process, send.

I/O lives here and in the sources/sender; the stages it calls are pure.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .config import Config
from .documents import scratch
from .errors import describe
from .intake import Intake
from .ledger import Ledger, MailboxStateRow, MessageRow, utcnow
from .mailbox import MailboxConfigError, MailboxCursor, MailboxError, MailSource, open_source

log = logging.getLogger(__name__)

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@dataclass
class CycleReport:
    """What this process did in one cycle: data for the caller to print, never printed here."""

    processed: dict[str, int] = field(default_factory=dict)  # mailbox -> messages this process did
    others: dict[str, int] = field(default_factory=dict)  # mailbox -> new messages another process had
    resumed: int = 0  # interrupted messages this process finished
    errors: dict[str, str] = field(default_factory=dict)  # mailbox -> Chinese error
    skipped: list[str] = field(default_factory=list)  # mailboxes busy in another poll
    sent: dict[str, int] = field(default_factory=dict)


@dataclass
class PollResult:
    done: int = 0  # processed by this process
    others: int = 0  # claimed by another process first


@contextmanager
def mailbox_lock(config: Config, name: str) -> Iterator[bool]:
    """Never two polls of one mailbox at once: a thread lock plus a file lock
    (so a cron `once` and a `serve` on one ledger also exclude each other)."""
    with _thread_locks_guard:
        tlock = _thread_locks.setdefault(name, threading.Lock())
    if not tlock.acquire(blocking=False):
        yield False
        return
    try:
        lock_dir = config.path("data/locks")
        lock_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() else "_" for c in name)
        with open(lock_dir / f"{safe}.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        tlock.release()


class Worker:
    """Holds one persistent source per mailbox across cycles."""

    def __init__(self, config: Config, ledger: Ledger | None = None, converter=None):
        self.config = config
        if ledger is None:
            from .ledger.open import open_ledger

            ledger = open_ledger(config)
        self.ledger = ledger
        self.intake = Intake(config, self.ledger, converter)
        self.sources: dict[str, MailSource] = {}
        self._sender = None
        private_storage(config)
        # Converter and sandbox scratch lives under the data folder; what a run
        # killed with SIGKILL left there is removed now (documents/scratch.py).
        scratch.configure(config.path(config.storage.tmp_dir))

    # ------------------------------------------------------------ polling

    def source(self, name: str) -> MailSource:
        if name not in self.sources:
            box = next(b for b in self.config.mailboxes if b.name == name)
            self.sources[name] = open_source(box)
        return self.sources[name]

    def poll_mailbox(self, name: str, progress=None) -> int:
        """Process every new message of one mailbox; returns how many this process did."""
        return self.poll(name, progress).done

    def poll(self, name: str, progress=None) -> PollResult:
        """Process every new message of one mailbox. Counts only what this process
        did: with several workers on one ledger, the others' claims are counted apart."""
        with mailbox_lock(self.config, name) as got:
            if not got:
                raise MailboxBusy(name)
            state = self.ledger.mailbox_state(name)
            source = self.source(name)
            cursor = MailboxCursor(uidvalidity=state.uidvalidity, last_uid=state.last_uid)
            result = PollResult()
            try:
                for mail in source.fetch_new(cursor, self._known_uid(name, source)):
                    if self._rescanned_copy(mail, cursor):
                        self._advance(name, mail.uidvalidity, mail.uid)
                        continue
                    try:
                        mine = self.intake.handle(mail) is not None
                    except Exception as exc:  # only the machine's trouble gets here (intake/runner.py)
                        raise ProcessingStopped(exc) from exc
                    self._advance(name, mail.uidvalidity, mail.uid)
                    source.mark_processed(mail)
                    if mine:
                        result.done += 1
                    else:
                        result.others += 1
                    if progress:
                        progress(1)
                self._record_ok(name)
            except ProcessingStopped:
                raise  # the mailbox was read fine: not one of its failures
            except Exception as exc:
                self._record_error(name, exc)
                raise
            return result

    def _known_uid(self, name: str, source: MailSource):
        """A `known(uid)` test for fetch_new: UIDs already done under the current
        UIDVALIDITY. Loaded once per poll (one SELECT and one query), not one
        IMAP round trip per UID: a large backlog otherwise costs seconds per
        run before the first message is read."""
        done: set[int] | None = None

        def known(uid: int) -> bool:
            nonlocal done
            if done is None:
                from sqlalchemy import select

                cursor = source.current_cursor()
                with self.ledger.session() as s:
                    done = set(
                        s.scalars(
                            select(MessageRow.uid).where(
                                MessageRow.mailbox == name,
                                MessageRow.uidvalidity == (cursor.uidvalidity or 0),
                                MessageRow.state == "done",
                            )
                        )
                    )
            return uid in done

        return known

    def _rescanned_copy(self, mail, cursor: MailboxCursor) -> bool:
        """After a UIDVALIDITY change the server hands us old mail again."""
        if cursor.uidvalidity is None or cursor.uidvalidity == mail.uidvalidity:
            return False
        import hashlib

        from sqlalchemy import select

        digest = hashlib.sha256(mail.raw).hexdigest()
        with self.ledger.session() as s:
            return (
                s.scalar(
                    select(MessageRow.id).where(
                        MessageRow.mailbox == mail.mailbox, MessageRow.raw_sha256 == digest
                    )
                )
                is not None
            )

    def _advance(self, name: str, uidvalidity: int, uid: int) -> None:
        with self.ledger.session() as s:
            row = s.get(MailboxStateRow, name)
            if row.uidvalidity != uidvalidity:
                row.uidvalidity, row.last_uid = uidvalidity, uid
            else:
                row.last_uid = max(row.last_uid, uid)

    def _record_ok(self, name: str) -> None:
        # The cursor only moves per processed mail (_advance): taking the
        # server's current position here could skip mail that just arrived.
        with self.ledger.session() as s:
            row = s.get(MailboxStateRow, name)
            row.last_ok, row.last_error, row.failures_in_row, row.alerted = utcnow(), None, 0, False

    def _record_error(self, name: str, exc: Exception) -> None:
        with self.ledger.session() as s:
            row = s.get(MailboxStateRow, name)
            row.last_error = (str(exc) if isinstance(exc, MailboxError) else describe(exc))[:500]
            row.failures_in_row += 1
        # Drop the connection: the next cycle reconnects (with the source's backoff).
        src = self.sources.pop(name, None)
        if src is not None:
            try:
                src.close()
            except Exception:
                pass

    # ------------------------------------------------------------ cycle

    def run_cycle(self, progress=None) -> CycleReport:
        from .notices.to_staff import maybe_alert_mailbox

        report = CycleReport()
        try:
            report.resumed = self.intake.resume_stale()
        except Exception as exc:  # e.g. disk full: the claims stay and are retried next cycle
            log.exception("resuming interrupted messages failed")
            report.errors["恢复中断的处理"] = disk_full_message(exc) or (
                f"继续处理上次中断的邮件时出错（{machine_trouble_zh(exc)}），下次运行时再试；详细信息见日志。"
            )
        for box in self.config.mailboxes:
            try:
                polled = self.poll(box.name, progress)
                report.processed[box.name] = polled.done
                if polled.others:
                    report.others[box.name] = polled.others
            except MailboxBusy:
                report.skipped.append(box.name)
            except ProcessingStopped as exc:
                log.error("processing stopped in mailbox %s", box.name, exc_info=exc.cause)
                report.errors[box.name] = disk_full_message(exc.cause) or (
                    f"处理邮箱 {box.name} 的邮件时出错（{machine_trouble_zh(exc.cause)}），"
                    "已收到的邮件不会丢失，下次运行时继续处理；详细信息见日志。"
                )
            except MailboxConfigError as exc:
                log.warning("mailbox %s: %s", box.name, exc)
                report.errors[box.name] = str(exc)
            except Exception as exc:  # network trouble: reported, retried next cycle
                log.exception("mailbox %s failed", box.name)
                said = (
                    str(exc)
                    if isinstance(exc, MailboxError)
                    else f"邮箱 {box.name} 暂时无法读取：{describe(exc)}"
                )
                report.errors[box.name] = disk_full_message(exc) or said
            try:
                maybe_alert_mailbox(self.config, self.ledger, box.name)
            except Exception as exc:  # disk full: the alert is written on a later cycle
                log.exception("mailbox alert for %s failed", box.name)
                report.errors.setdefault(
                    box.name,
                    disk_full_message(exc) or f"写入邮箱警告时出错（{describe(exc)}），下次运行时再写",
                )
        try:
            report.sent = self.flush()
        except Exception as exc:  # the outbox keeps every mail: sent on a later run
            log.exception("sending failed")
            report.errors["发送邮件"] = (
                disk_full_message(exc)
                or f"发送邮件时出错（{describe(exc)}）；邮件仍在 outbox 中，下次运行重试"
            )
        return report

    def flush(self) -> dict:
        from .outbox import flush

        if self.config.smtp.dry_run:
            return {"sent": 0, "failed": 0, "deferred": 0, "unknown": 0}
        from .outbox.sent_check import sent_folder_checker

        return flush(self.ledger, self.config, self.sender, already_sent=sent_folder_checker(self.config))

    @property
    def sender(self):
        if self._sender is None:
            from .outbox.smtp_send import SmtpSender

            self._sender = SmtpSender(self.config.smtp)
        return self._sender

    def close(self) -> None:
        for src in self.sources.values():
            try:
                src.close()
            except Exception:
                pass
        self.sources.clear()
        if self._sender is not None:
            self._sender.close()
            self._sender = None


DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def disk_full_message(exc: BaseException) -> str | None:
    """A Chinese sentence when `exc` means the disk (or a file size limit) is full.

    Why: "邮箱暂时无法读取" would send staff looking at the mail server. Nothing
    is lost: the message stays claimed (or unfetched) and the next run does it.
    """
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in DISK_FULL_ERRNOS:
            return (
                "磁盘空间不足，无法写入数据（哪个文件见日志）。已收到的邮件不会丢失：请清理磁盘空间后重新运行，"
                "未处理完的邮件会在下次运行时继续处理。"
            )
        if "database or disk is full" in str(cur):
            return (
                "磁盘空间不足，台账数据库无法写入。已收到的邮件不会丢失：请清理磁盘空间后重新运行，"
                "未处理完的邮件会在下次运行时继续处理。"
            )
        cur = cur.__cause__ or cur.__context__
    return None


class MailboxBusy(Exception):
    """Another poll of this mailbox is running."""


class ProcessingStopped(Exception):
    """Processing a fetched mail hit the machine's trouble (errors.is_machine_trouble);
    the mailbox itself was read fine, so this is not counted as a mailbox failure."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def machine_trouble_zh(exc: BaseException) -> str:
    """A few Chinese words for the kind of trouble (the detail is in the log)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        return "台账数据库暂时无法写入"
    if isinstance(exc, MemoryError):
        return "内存不足"
    if isinstance(exc, OSError):
        return "数据文件夹无法写入"
    return "系统错误"


def private_storage(config: Config) -> None:
    """The raw mail and attachment stores hold phone numbers and addresses:
    their top folders are owner-only too (mkdir(parents=True) would leave
    them at the umask's 0755, listing every case number to other users)."""
    for rel in (config.storage.raw_dir, config.storage.files_dir):
        path = config.path(rel)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)

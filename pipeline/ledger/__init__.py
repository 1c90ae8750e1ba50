"""The ledger: durable state of every message, outgoing mail and decision."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..model import RawMail
from . import journal as journal_mod
from . import migrate, status_history
from .migrate import upgrade_schema
from .schema import (
    AttachmentRow,
    CorrectionRow,
    DecisionRow,
    KeyValueRow,
    LoginAttemptRow,
    MailboxStateRow,
    MessageRow,
    OutboxResendRow,
    OutboxRow,
    ReplyChangeRow,
    ScoreRow,
    SeenMessageId,
    StaffEntryRow,
    StatusChangeRow,
    UnitAddressRow,
    UserRow,
    WebSessionRow,
    utcnow,
)

__all__ = [
    "AttachmentRow",
    "CorrectionRow",
    "DecisionRow",
    "KeyValueRow",
    "Ledger",
    "LoginAttemptRow",
    "MailboxStateRow",
    "MessageRow",
    "OutboxResendRow",
    "OutboxRow",
    "ReplyChangeRow",
    "ScoreRow",
    "SeenMessageId",
    "StaffEntryRow",
    "StatusChangeRow",
    "UnitAddressRow",
    "UserRow",
    "WebSessionRow",
    "utcnow",
]

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        db_path = Path(url[len("sqlite:///") :])
        db_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": migrate.SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            migrate.into_wal(cur)
            # WAL + NORMAL: a killed process loses nothing committed; only a power
            # cut may lose the last commits (their mail is fetched again: no loss).
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(migrate.SQLITE_BUSY_SECONDS * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        upgrade_schema(engine)
        # The ledger holds phone numbers and addresses: service user only.
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(db_path) + suffix)
            if p.exists():
                os.chmod(p, 0o600)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    upgrade_schema(engine)
    return engine


_URL = "ledger_url"  # Session.info key: the ledger a session belongs to


def _journal_committed(session: Session) -> None:
    """after_commit: the session's staged lines go to its ledger's journal."""
    journal_mod.write_staged(session, journal_mod.for_url(session.info[_URL]))


class Ledger:
    """Thin façade over the SQLAlchemy session; transactions are explicit."""

    def __init__(self, url: str, lease_seconds: int = 600):
        self.url = url
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info={_URL: url})
        # Lines staged in a transaction reach the journal only once it commits. The
        # hooks are plain functions: SQLAlchemy keeps a sessionmaker's listeners in a
        # class-wide table, so one holding this Ledger would keep it, its engine and
        # its connections alive for the life of the process (serve's daily jobs each
        # open a Ledger).
        event.listen(self._sessions, "after_commit", _journal_committed)
        event.listen(self._sessions, "after_rollback", journal_mod.drop_staged)
        status_history.install(self._sessions)  # every status change is kept, with who and when
        self.lease = timedelta(seconds=lease_seconds)
        # Rows this process is working on right now: our own claims are stale
        # only when no thread of ours holds them (a failed attempt).
        self._working: set[int] = set()
        self._working_lock = threading.Lock()

    @property
    def journal(self) -> journal_mod.Journal | None:
        """The journal registered for this ledger (by open_ledger), if any."""
        return journal_mod.for_url(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    @contextmanager
    def scratch(self) -> Iterator[Session]:
        """A session whose changes are always rolled back: "what would happen if…"
        (a decision's preview runs the real code here)."""
        with self._sessions() as s:
            s.begin()
            try:
                yield s
            finally:
                s.rollback()

    # ------------------------------------------------------------ claims

    def claim(self, mail: RawMail, raw_sha256: str, raw_path: str) -> MessageRow | None:
        """Insert the claim row; None if another worker already has this mail.

        A row left `claimed` by a dead worker (lease expired, or same host and
        its pid is gone) is taken over, so a crash never loses a message.
        """
        try:
            with self.session() as s:
                row = MessageRow(
                    mailbox=mail.mailbox,
                    folder=mail.folder,
                    uidvalidity=mail.uidvalidity,
                    uid=mail.uid,
                    raw_sha256=raw_sha256,
                    raw_path=raw_path,
                    arrival=mail.internaldate,
                    state="claimed",
                    claimed_by=WORKER_ID,
                    claimed_at=utcnow(),
                    attempts=1,
                )
                s.add(row)
                s.flush()
                journal_mod.stage(s, journal_mod.CLAIMS, claim_record(row))
                self._hold(row.id)
            return row
        except IntegrityError:
            pass
        with self.session() as s:
            row = s.scalars(
                select(MessageRow)
                .where(
                    MessageRow.mailbox == mail.mailbox,
                    MessageRow.folder == mail.folder,
                    MessageRow.uidvalidity == mail.uidvalidity,
                    MessageRow.uid == mail.uid,
                )
                .with_for_update()
            ).one()
            if row.state == "done" or not self._claim_is_stale(row):
                return None
            row.claimed_by = WORKER_ID
            row.claimed_at = utcnow()
            row.attempts += 1
            self._hold(row.id)
            return row

    def stale_claims(self) -> list[MessageRow]:
        """Claims whose worker died: processed again by whoever sees them."""
        with self.session() as s:
            # In claim order: a rebuild replays its restored claims as they first came.
            # A mail's second and later accounts (part_of) are processed with the mail.
            rows = s.scalars(
                select(MessageRow)
                .where(MessageRow.state == "claimed", MessageRow.part_of.is_(None))
                .order_by(MessageRow.id)
            ).all()
            return [r for r in rows if self._claim_is_stale(r)]

    def retake(self, row_id: int) -> MessageRow | None:
        with self.session() as s:
            row = s.get(MessageRow, row_id, with_for_update=True)
            if row is None or row.state == "done" or not self._claim_is_stale(row):
                return None
            row.claimed_by = WORKER_ID
            row.claimed_at = utcnow()
            row.attempts += 1
            self._hold(row.id)
            return row

    def _hold(self, row_id: int) -> None:
        with self._working_lock:
            self._working.add(row_id)

    def release(self, row_id: int) -> None:
        """This process stopped working on the row (done or failed)."""
        with self._working_lock:
            self._working.discard(row_id)

    def _claim_is_stale(self, row: MessageRow) -> bool:
        if row.claimed_by == WORKER_ID:
            with self._working_lock:
                return row.id not in self._working
        host, _, pid = row.claimed_by.rpartition(":")
        if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
            return True
        return utcnow() - row.claimed_at > self.lease

    # ------------------------------------------------------------ small facts

    def get_kv(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(KeyValueRow, key)
            return row.value if row else None

    def set_kv(self, key: str, value: str) -> None:
        try:
            with self.session() as s:
                row = s.get(KeyValueRow, key)
                if row:
                    row.value = value
                else:
                    s.add(KeyValueRow(key=key, value=value))
        except IntegrityError:  # another worker inserted the key first: update it
            with self.session() as s:
                s.get_one(KeyValueRow, key, with_for_update=True).value = value

    def delete_kv(self, key: str) -> None:
        with self.session() as s:
            row = s.get(KeyValueRow, key)
            if row is not None:
                s.delete(row)

    def mailbox_state(self, name: str) -> MailboxStateRow:
        """Get or create; two workers starting together may both try to create it."""
        try:
            with self.session() as s:
                row = s.get(MailboxStateRow, name)
                if row is None:
                    row = MailboxStateRow(name=name, last_uid=0, failures_in_row=0, alerted=False)
                    s.add(row)
                return row
        except IntegrityError:
            with self.session() as s:
                return s.get_one(MailboxStateRow, name)

    def record_decision(
        self, who: str, action: str, detail: str, case_no: str | None, unit: str | None
    ) -> None:
        with self.session() as s:
            s.add(DecisionRow(who=who, action=action, detail=detail, case_no=case_no, unit=unit, at=utcnow()))

    def decisions_for(self, case_no: str | None = None, unit: str | None = None) -> list[DecisionRow]:
        with self.session() as s:
            q = select(DecisionRow).order_by(DecisionRow.id)
            if case_no:
                q = q.where(DecisionRow.case_no == case_no)
            if unit:
                q = q.where(DecisionRow.unit == unit)
            return list(s.scalars(q))


def claim_record(row: MessageRow) -> dict:
    """The journal line for a claim: enough to restore the row with its case number."""
    return {
        "id": row.id,
        "mailbox": row.mailbox,
        "folder": row.folder,
        "uidvalidity": row.uidvalidity,
        "uid": row.uid,
        "sha256": row.raw_sha256,
        "raw": row.raw_path,
        "arrival": row.arrival.isoformat(),
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def as_local(dt: datetime, tz) -> datetime:
    return dt.astimezone(tz)

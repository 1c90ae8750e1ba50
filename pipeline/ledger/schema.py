"""Ledger tables (SQLAlchemy). One row per fetched message, claimed before work.

Why these constraints:
- (mailbox, folder, uidvalidity, uid) is unique, so two workers can never
  claim the same mail: the second INSERT fails and that worker skips it.
- seen_message_ids makes "the same Message-ID delivered twice" a single
  primary record; later copies become status `duplicate`.
- outbox.dedup_key is unique, so a receipt/reminder/digest is enqueued once
  whatever restarts happen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Store aware datetimes as UTC; SQLite drops tzinfo, so restore it on read."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored in ledger")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("mailbox", "folder", "uidvalidity", "uid", name="uq_message_uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(500))
    # IMAP UIDs and UIDVALIDITY are unsigned 32-bit: beyond PostgreSQL's INTEGER.
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw_path: Mapped[str] = mapped_column(Text)
    arrival: Mapped[datetime] = mapped_column(UtcDateTime)
    # claimed -> done; `claimed_by`/`claimed_at` form a lease so a crashed
    # worker's claim can be taken over.
    state: Mapped[str] = mapped_column(String(20), default="claimed", index=True)
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    message_id: Mapped[str | None] = mapped_column(String(998), index=True, nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(320), default="", index=True)
    sender_name: Mapped[str] = mapped_column(Text, default="")
    reply_to_ids: Mapped[list] = mapped_column(JSON, default=list)  # In-Reply-To + References
    unit: Mapped[str | None] = mapped_column(String(200), index=True, nullable=True)
    case_no: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    # Every change (and of `selected`) is kept in status_changes (ledger/status_history.py);
    # active_history loads the old value before a change so the history knows what it changed from.
    status: Mapped[str | None] = mapped_column(String(30), index=True, nullable=True, active_history=True)
    problems: Mapped[list] = mapped_column(JSON, default=list)
    # `fields` are the values every output uses (staff corrections applied);
    # `fields_read` keeps what was read from the document, never changed.
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    fields_read: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    normalized: Mapped[dict] = mapped_column(JSON, default=dict)
    sources: Mapped[dict] = mapped_column(JSON, default=dict)
    account_key: Mapped[str | None] = mapped_column(String(500), index=True, nullable=True)
    automatic_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    big_links: Mapped[list] = mapped_column(JSON, default=list)
    is_scan: Mapped[bool] = mapped_column(Boolean, default=False)
    related_case: Mapped[str | None] = mapped_column(String(40), nullable=True)
    superseded_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    selected: Mapped[bool] = mapped_column(Boolean, default=False, active_history=True)
    late_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    # A mail carrying several accounts (a packet from the level below, a unit
    # with a quota above 1) is one submission per account: the first is the
    # claimed row, the others are rows whose `part_of` is its id and whose
    # folder is "<folder>#<n>" (so the claim key stays unique).
    part_of: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    # Goes up by one with every change staff can see (intake's result, a newer
    # version superseding it, every decision, correction and reply). A staff action
    # carries the version the person saw and applies only while it is still current
    # (a compare-and-swap UPDATE): two staff never both answer one case.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    attachments: Mapped[list[AttachmentRow]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="AttachmentRow.id"
    )


class StatusChangeRow(Base):
    """One change of where a case stands — its status, or its selection for the packet:
    from what to what, when and by whom or what (a selection change keeps the status).

    Written in one place (ledger/status_history.py: a hook on every flush), so the history
    is complete whichever path changed the status. `at` is when the change counts in the
    campaign's time: intake's result at the mail's arrival, a staff action at the campaign's
    now (config.clock when set), a unit's reply at its arrival, a replayed journal entry at
    the entry's time. The digest of an earlier day reads each case's status from here."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_row: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_status: Mapped[str] = mapped_column(String(30))
    selected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # afterwards
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # intake | staff | reply | system | backfill (status_history.SOURCES)
    source: Mapped[str] = mapped_column(String(20))
    who: Mapped[str] = mapped_column(String(200), default="")  # the staff member, or the reply's letter no.

    message: Mapped[MessageRow] = relationship()


class AttachmentRow(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_row: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    raw_name: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # What the checks measured, for staff: {"format", "chars", "pictures", "duration", "scan"}.
    facts: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    message: Mapped[MessageRow] = relationship(back_populates="attachments")


class SeenMessageId(Base):
    """First ledger row for each Message-ID; the unique key makes dedup race-free."""

    __tablename__ = "seen_message_ids"

    message_id: Mapped[str] = mapped_column(String(998), primary_key=True)
    message_row: Mapped[int] = mapped_column(ForeignKey("messages.id"))


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(
        String(30), index=True
    )  # receipt, digest, reminder, packet, alert, notice
    case_no: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    recipients: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(998))
    eml_path: Mapped[str] = mapped_column(Text)
    # pending -> sending -> sent | failed (permanent) | unknown (the server may
    # have it: no reply after DATA, or a crash mid-send); unknown is settled by a
    # later run (Sent folder, else one resend) -> sent | pending | failed.
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Unknown outcomes since the last certain one: bounds the copies a unit can get.
    unknown_sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)


class OutboxResendRow(Base):
    """A staff member sent a failed (or waiting) mail again, perhaps to corrected addresses:
    who, when, from which recipients to which, and why it had not gone. The outbox row
    itself then holds the new recipients and state; this keeps what it was."""

    __tablename__ = "outbox_resends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mail_key: Mapped[str] = mapped_column(String(300), index=True)  # outbox.dedup_key
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(200))
    old_recipients: Mapped[list] = mapped_column(JSON, default=list)
    new_recipients: Mapped[list] = mapped_column(JSON, default=list)
    previous_state: Mapped[str] = mapped_column(String(20))
    previous_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class MailboxStateRow(Base):
    __tablename__ = "mailbox_state"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_ok: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures_in_row: Mapped[int] = mapped_column(Integer, default=0)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)


class DecisionRow(Base):
    """Audit log of staff decisions; shown in every output."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    case_no: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class CorrectionRow(Base):
    """A staff correction of one field: old -> new, who, when, why. The
    original reading stays in messages.fields_read."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(200))
    case_no: Mapped[str] = mapped_column(String(40), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str] = mapped_column(Text, default="")
    new: Mapped[str] = mapped_column(Text, default="")
    why: Mapped[str] = mapped_column(Text, default="")


class ReplyChangeRow(Base):
    """A unit's reply that asks to change fields of its case ("手机：139…" under our receipt).

    One row per reply (`letter_no`, the reply's own case number): what it asked, per field
    the old and new value and what became of it, and whether it was applied at once
    (`applied`), waits for staff (`proposed`: the case is accepted or selected, or the
    sender is not the unit's registered address), or staff took it (`confirmed`) or
    not (`declined`). The fields' history is in corrections and decisions as for staff."""

    __tablename__ = "reply_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_no: Mapped[str] = mapped_column(String(40), unique=True)
    case_no: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)  # the reply's arrival
    sender: Mapped[str] = mapped_column(String(320), default="")
    unit: Mapped[str | None] = mapped_column(String(200), nullable=True)
    trusted: Mapped[bool] = mapped_column(Boolean, default=True)  # the unit's own (or assigned) address
    state: Mapped[str] = mapped_column(String(20), index=True)  # applied | proposed | confirmed | declined
    # [{"field", "old", "new", "outcome"}]; outcome: see intake/replies.py OUTCOME_ZH
    changes: Mapped[list] = mapped_column(JSON, default=list)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class UnitAddressRow(Base):
    """A sender address staff remembered for a roster unit ("指定单位" → 记住此地址).

    The configuration's addresses and domains stay as they are; these are the ones staff
    learned from the unit's mail (a contact writing from a personal mailbox). The intake
    recognises them like the roster's own (ledger/unit_addresses.py)."""

    __tablename__ = "unit_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # lower case
    unit: Mapped[str] = mapped_column(String(200), index=True)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    case_no: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the mail it was learned from
    # The newest message row when it was remembered: mail claimed after it is recognised, so a
    # rebuild (same row ids, claim order) judges each mail as it was judged when it came.
    after_message: Mapped[int] = mapped_column(Integer, default=0)


class ScoreRow(Base):
    """One reviewer's points for one 附件2 item of one accepted account."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("reviewer", "case_no", "item", name="uq_score"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(200), index=True)
    case_no: Mapped[str] = mapped_column(String(40), index=True)
    item: Mapped[str] = mapped_column(String(40))
    points: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UserRow(Base):
    """A console account: staff decide and correct; reviewers only score."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # staff | reviewer
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, never the password
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebSessionRow(Base):
    """A signed-in browser. Stored here (not in a cookie) so every worker sees it
    and signing out or resetting a password ends it at once."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class LoginAttemptRow(Base):
    """Failed sign-ins, for rate limiting per account and per address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(100), index=True)


class StaffEntryRow(Base):
    """Staff-journal entries this ledger holds (staff/journal.py): written with the change
    itself, so replaying the journal after a restore applies only what is missing."""

    __tablename__ = "staff_entries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class KeyValueRow(Base):
    """Small durable facts: last digest fingerprint, etc."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

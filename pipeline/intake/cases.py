"""What a case is in the ledger, the same for intake and for staff decisions.

One copy of each: the unit's other submissions that hold a quota place, whether
staff allowed the unit to send late, superseding an older version of the same
nominee, and the version every staff-visible change moves on — and `take()`,
the compare-and-swap on that version that every change of a recorded case goes
through (staff decisions, corrections, replies, and a unit's reply applied by
intake), so two changes made on the same view never both go through.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..errors import UserFacingError
from ..ledger import DecisionRow, MessageRow, utcnow
from ..ledger.status_history import STAFF, stamp
from ..model import QUOTA_STATUSES, Status
from ..rules import ActiveSubmission

ACTIVE = sorted(s.value for s in QUOTA_STATUSES)  # for SQL IN (...)
ALLOW_LATE = "allow-late"  # the staff action (and its audit row) that lets a unit send late
UNIT_REPLY = "unit-reply"  # the audit action of a unit's reply applied to its case (intake/replies.py)


class DecisionError(UserFacingError):
    """A decision that cannot be applied; the message says why in Chinese."""


class StaleCase(DecisionError):
    """Someone changed the case after the person looked at it: nothing was done."""


def touch(row: MessageRow) -> None:
    """A change staff can see: move the row's version on (see MessageRow.version)."""
    row.version = (row.version or 0) + 1
    row.changed_at = utcnow()


def active_rows(s: Session, unit: str | None, exclude: Collection[int] = ()) -> list[MessageRow]:
    """The unit's submissions that hold a quota place (with a nominee), but `exclude`."""
    if unit is None:
        return []
    query = select(MessageRow).where(
        MessageRow.unit == unit,
        MessageRow.status.in_(ACTIVE),
        MessageRow.account_key.is_not(None),
    )
    if exclude:
        query = query.where(MessageRow.id.not_in(list(exclude)))
    return list(s.scalars(query.order_by(MessageRow.id)))


def active_submissions(s: Session, unit: str | None, exclude: Collection[int] = ()) -> list[ActiveSubmission]:
    """active_rows as the rules see them."""
    return [
        ActiveSubmission(r.case_no, r.account_key, Status(r.status)) for r in active_rows(s, unit, exclude)
    ]


def other_accounts(s: Session, row: MessageRow) -> list[MessageRow]:
    """The unit's other nominees holding a quota place (a new version of the same one is no other)."""
    return [r for r in active_rows(s, row.unit, (row.id,)) if r.account_key != row.account_key]


def late_allowed_for(s: Session, unit: str | None) -> bool:
    """Staff allowed this unit to send late once: its later mail is not late either."""
    if unit is None:
        return False
    found = s.scalar(
        select(DecisionRow.id).where(DecisionRow.unit == unit, DecisionRow.action == ALLOW_LATE).limit(1)
    )
    return found is not None


def supersede_older(s: Session, row: MessageRow) -> list[str]:
    """A newer version of the same nominee from the same unit replaces the older ones
    that still hold a quota place; a selection for the packet moves to the newer one.
    Returns the superseded case numbers. "Older" is by arrival, then by row id."""
    if Status(row.status) not in QUOTA_STATUSES or not row.unit or not row.account_key:
        return []
    older = s.scalars(
        select(MessageRow).where(
            MessageRow.unit == row.unit,
            MessageRow.account_key == row.account_key,
            MessageRow.status.in_(ACTIVE),
            MessageRow.id != row.id,
            or_(
                MessageRow.arrival < row.arrival,
                and_(MessageRow.arrival == row.arrival, MessageRow.id < row.id),
            ),
        )
    ).all()
    for old in older:
        old.status = Status.SUPERSEDED.value
        old.superseded_by = row.case_no
        if old.selected:
            old.selected, row.selected = False, True
        touch(old)
    return [o.case_no for o in older]


def take(
    s: Session, case_no: str, seen: int | None, *, by: str, at: datetime, source: str = STAFF
) -> MessageRow:
    """The case's row, taken for one staff change: its version moves on only while
    it is still `seen` (what the person's page or `show` displayed; None: the
    version as it is now). One compare-and-swap UPDATE, the transaction's first
    write, so of two changes made on the same view exactly one goes through, on
    SQLite and PostgreSQL alike; the other raises StaleCase and changes nothing.

    The status changes that follow are `by` (the staff member; for a unit's reply its
    letter) at `at` (the campaign's now, config.now(); a reply's arrival): see
    ledger/status_history.py."""
    stamp(s, source, at, by)
    found = s.execute(select(MessageRow.id, MessageRow.version).where(MessageRow.case_no == case_no)).first()
    if found is None:
        raise DecisionError(f"找不到受理编号 {case_no}")
    row_id, current = found
    expected = (current or 0) if seen is None else seen
    version = func.coalesce(MessageRow.version, 0)
    done = s.execute(
        update(MessageRow)
        .where(MessageRow.id == row_id, version == expected)
        .values(version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise StaleCase(stale_message(s, row_id))
    row = s.scalars(
        select(MessageRow).where(MessageRow.id == row_id).execution_options(populate_existing=True)
    ).one()
    return row


def stale_message(s: Session, row_id: int) -> str:
    """这份报送刚被某某处理为…: who made the latest change, and the state it left."""
    row = s.scalars(
        select(MessageRow).where(MessageRow.id == row_id).execution_options(populate_existing=True)
    ).one()
    last = s.scalar(
        select(DecisionRow).where(DecisionRow.case_no == row.case_no).order_by(DecisionRow.id.desc()).limit(1)
    )
    # Besides staff, only intake changes a recorded case: a newer version supersedes it.
    newer = None
    if row.status == Status.SUPERSEDED.value and row.superseded_by:
        newer = s.scalar(select(MessageRow.processed_at).where(MessageRow.case_no == row.superseded_by))
    by_intake = last is None or (newer is not None and newer >= last.at)
    status = Status(row.status).zh if row.status else "处理中"
    if not by_intake and last.action == UNIT_REPLY:
        return f"这份报送刚根据{last.who}的回复更新为“{status}”，请刷新后再决定。"
    who = "系统" if by_intake else last.who
    return f"这份报送刚被{who}处理为“{status}”，请刷新后再决定。"

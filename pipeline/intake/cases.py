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
from ..ledger.views import uncertain_fields
from ..model import QUOTA_STATUSES, Status
from ..rules import ActiveSubmission, replaced_by, versions_of

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


def nominee_unsure(row: MessageRow, identity: str) -> bool:
    """The row's nominee was read from a scan and nobody has checked it yet (rules.versions_of)."""
    return bool(row.is_scan) and identity in uncertain_fields(row)


def as_active(row: MessageRow, identity: str) -> ActiveSubmission:
    """A stored row as the rules see a submission holding a quota place."""
    return ActiveSubmission(
        row.case_no, row.account_key or "", Status(row.status), nominee_unsure(row, identity)
    )


def active_submissions(
    s: Session, unit: str | None, identity: str, exclude: Collection[int] = ()
) -> list[ActiveSubmission]:
    """active_rows as the rules see them; `identity`: the form's label naming the nominee."""
    return [as_active(r, identity) for r in active_rows(s, unit, exclude)]


def other_accounts(s: Session, row: MessageRow, identity: str) -> list[MessageRow]:
    """The unit's other nominees holding a quota place: not the versions of this one
    (rules.versions_of; when that cannot be told, every row naming another account)."""
    rows = active_rows(s, row.unit, (row.id,))
    found = versions_of(
        row.account_key or "", nominee_unsure(row, identity), [as_active(r, identity) for r in rows]
    )
    if found is None:
        return [r for r in rows if r.account_key != row.account_key]
    same = {a.case_no for a in found}
    return [r for r in rows if r.case_no not in same]


def late_allowed_for(s: Session, unit: str | None) -> bool:
    """Staff allowed this unit to send late once: its later mail is not late either."""
    if unit is None:
        return False
    found = s.scalar(
        select(DecisionRow.id).where(DecisionRow.unit == unit, DecisionRow.action == ALLOW_LATE).limit(1)
    )
    return found is not None


def supersede_older(s: Session, row: MessageRow, identity: str) -> list[str]:
    """A newer version of the same nominee from the same unit replaces the older ones
    that still hold a quota place; a selection for the packet moves to the newer one.
    Returns the superseded case numbers. "Older" is by arrival, then by row id; "the
    same nominee" is rules.replaced_by's (a name read from a scan and not checked yet
    names no account of its own). `identity`: the form's label naming the nominee."""
    if Status(row.status) not in QUOTA_STATUSES or not row.unit or not row.account_key:
        return []
    candidates = s.scalars(
        select(MessageRow).where(
            MessageRow.unit == row.unit,
            MessageRow.account_key.is_not(None),
            MessageRow.status.in_(ACTIVE),
            MessageRow.id != row.id,
            or_(
                MessageRow.arrival < row.arrival,
                and_(MessageRow.arrival == row.arrival, MessageRow.id < row.id),
            ),
        )
    ).all()
    found = replaced_by(
        row.account_key, nominee_unsure(row, identity), [as_active(r, identity) for r in candidates]
    )
    replaced = {a.case_no for a in found}
    older = [r for r in candidates if r.case_no in replaced]
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

"""What a case is in the ledger, the same for intake and for staff decisions.

One copy of each: the unit's other submissions that hold a quota place, whether
staff allowed the unit to send late, superseding an older version of the same
nominee, and the version every staff-visible change moves on.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..ledger import DecisionRow, MessageRow, utcnow
from ..model import QUOTA_STATUSES, Status
from ..rules import ActiveSubmission

ACTIVE = sorted(s.value for s in QUOTA_STATUSES)  # for SQL IN (...)
ALLOW_LATE = "allow-late"  # the staff action (and its audit row) that lets a unit send late


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

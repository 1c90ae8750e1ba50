"""Every change of where a case stands — its status, or its selection for the packet — kept
(the status_changes table), and where a case stood at a past moment.

Recorded in one place: a hook on every ledger session's flush compares each message
row's status and selection with the values it had, so no path that changes them —
intake's steps, a newer version superseding an older one, staff decisions, a unit's
reply, a rebuild's replay — can forget to write its history.

What a change is attributed to (its source, who, and when it counts) is what the code
that began the work stamped on the session (`stamp`): intake stamps the mail's arrival,
staff actions the person and the campaign's now (config.clock when set; cases.take does
it for every staff change), a unit's reply its letter and arrival. A replay of the staff
journal runs with the entry's time as the campaign's now, so a rebuilt ledger has the
same history. A change nothing stamped is kept too, at the moment of the flush.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from .schema import MessageRow, StatusChangeRow, utcnow

INTAKE = "intake"  # the intake steps' result, or a newer version superseding this one
STAFF = "staff"  # a staff decision (who: the staff member)
REPLY = "reply"  # a unit's reply applied to its case (who: the reply's own case number)
SYSTEM = "system"  # a change nothing stamped
BACKFILL = "backfill"  # migration 0006: a ledger from before the history, its status at arrival
SOURCES = (INTAKE, STAFF, REPLY, SYSTEM, BACKFILL)

_STAMP = "status_stamp"


def stamp(session: Session, source: str, at: datetime, who: str = "") -> None:
    """Attribute the status changes this session flushes from now on to `source`/`who` at `at`.

    Changes made before are flushed first, under the stamp they were made under."""
    if source not in SOURCES:
        raise ValueError(f"unknown status change source {source!r}")
    if at.tzinfo is None:
        raise ValueError("a status change needs an aware time")
    session.flush()
    session.info[_STAMP] = (source, at, who)


def _before(attribute, now):
    """The value an attribute had before this flush's change (`now` when unchanged)."""
    history = attribute.history
    if not history.added:
        return now
    return history.deleted[0] if history.deleted else None


def _record_changes(session: Session, _context, _instances) -> None:
    """before_flush: one StatusChangeRow for each message row whose status or selection changed."""
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, MessageRow) or obj.status is None:
            continue
        attrs = inspect(obj).attrs
        old_status = _before(attrs.status, obj.status)
        old_selected = _before(attrs.selected, obj.selected)
        if old_status == obj.status and bool(old_selected) == bool(obj.selected):
            continue
        source, at, who = session.info.get(_STAMP) or (SYSTEM, utcnow(), "")
        session.add(
            StatusChangeRow(
                message=obj,
                from_status=old_status,
                to_status=obj.status,
                selected=bool(obj.selected),
                at=at,
                source=source,
                who=who,
            )
        )


def _forget_stamp(session: Session, *_args) -> None:
    session.info.pop(_STAMP, None)


def install(sessions: sessionmaker) -> None:
    """Record every status (and selection) change made through this ledger's sessions."""
    event.listen(sessions, "before_flush", _record_changes)
    event.listen(sessions, "after_commit", _forget_stamp)
    event.listen(sessions, "after_rollback", _forget_stamp)


def statuses_at(
    session: Session, when: datetime, ids: list[int] | None = None
) -> dict[int, tuple[str, bool]]:
    """Each message's (status, selected) as it stood at `when`: its last change at or before it.

    A message with no change by then (its first change stamped later than `when`)
    is left out; ties at one moment go to the later change."""
    latest = (
        select(
            StatusChangeRow.message_row,
            StatusChangeRow.to_status,
            StatusChangeRow.selected,
            func.row_number()
            .over(
                partition_by=StatusChangeRow.message_row,
                order_by=(StatusChangeRow.at.desc(), StatusChangeRow.id.desc()),
            )
            .label("n"),
        )
        .where(StatusChangeRow.at <= when)
        .subquery()
    )
    query = select(latest.c.message_row, latest.c.to_status, latest.c.selected).where(latest.c.n == 1)
    if ids is not None:
        query = query.where(latest.c.message_row.in_(ids))
    return {row_id: (status, bool(selected)) for row_id, status, selected in session.execute(query)}


def history(session: Session, row_id: int) -> list[StatusChangeRow]:
    """One message's changes, oldest first."""
    return list(
        session.scalars(
            select(StatusChangeRow)
            .where(StatusChangeRow.message_row == row_id)
            .order_by(StatusChangeRow.at, StatusChangeRow.id)
        )
    )

"""Sender addresses staff remembered for a roster unit (指定单位 → 记住此地址).

The intake, the replies' trust check and the notices look a sender up here as well
as in the configuration (roster.Roster.unit_for). Writing happens in the caller's
transaction: the staff action that remembers or forgets an address journals it
(staff/decisions.py for 指定单位, staff/unit_addresses.py for 移除).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..roster import Roster
from .schema import MessageRow, UnitAddressRow, utcnow


def normalise(address: str) -> str:
    return (address or "").strip().lower()


def remembered_for(s: Session, address: str, message_row: int | None = None) -> dict[str, str]:
    """{address: unit} for this one address, when staff remembered it (before the message
    row `message_row` was claimed, when given)."""
    address = normalise(address)
    if not address:
        return {}
    q = select(UnitAddressRow.unit).where(UnitAddressRow.address == address)
    if message_row is not None:
        q = q.where(UnitAddressRow.after_message < message_row)
    unit = s.scalar(q)
    return {address: unit} if unit else {}


def sender_unit(
    s: Session, roster: Roster, address: str | None, message_row: int | None = None
) -> str | None:
    """The unit of a sender: configured address, remembered address, then domain.
    `message_row` (the mail's ledger row): only an address remembered before the mail was
    claimed counts, so a rebuild that reads the mail again judges it as it was judged."""
    if not address:
        return None
    return roster.unit_for(address, remembered_for(s, address, message_row))


def newest_message(s: Session) -> int:
    return s.scalar(select(func.max(MessageRow.id))) or 0


def all_remembered(s: Session) -> list[UnitAddressRow]:
    return list(s.scalars(select(UnitAddressRow).order_by(UnitAddressRow.unit, UnitAddressRow.address)))


def remember(s: Session, address: str, unit: str, by: str, case_no: str | None) -> str | None:
    """Remember `address` for `unit`; returns the unit it was remembered for before (if another)."""
    address = normalise(address)
    row = s.scalar(select(UnitAddressRow).where(UnitAddressRow.address == address))
    if row is None:
        s.add(
            UnitAddressRow(
                address=address,
                unit=unit,
                added_by=by,
                added_at=utcnow(),
                case_no=case_no,
                after_message=newest_message(s),
            )
        )
        s.flush()
        return None
    if row.unit == unit:
        return None  # already remembered (a replay after a rebuild seeded it): keep when
    before = row.unit
    row.unit, row.added_by, row.added_at, row.case_no = unit, by, utcnow(), case_no
    row.after_message = newest_message(s)
    return before


def seed_from_journal(s: Session, entries: Iterable[dict]) -> int:
    """Before a rebuild reads the mail again: the addresses staff remembered and did not
    remove, as the staff journal says, each with the newest message row when it was
    remembered (the replay that follows finds them and leaves them). An address remembered
    and later removed is not seeded: mail it sent meanwhile is read as a stranger's again.
    Returns how many rows were added."""
    state: dict[str, dict[str, Any] | None] = {}
    for e in entries:
        if (
            e.get("kind") == "decision"
            and e.get("action") == "assign"
            and e.get("remember")
            and e.get("address")
        ):
            state[normalise(e["address"])] = e
        elif e.get("kind") == "unit_address" and e.get("op") == "remove" and e.get("address"):
            state[normalise(e["address"])] = None
    added = 0
    for address, kept in state.items():
        if kept is None or not kept.get("unit") or not isinstance(kept.get("after_message"), int):
            continue
        if s.scalar(select(UnitAddressRow.id).where(UnitAddressRow.address == address)) is not None:
            continue
        try:
            at = datetime.fromisoformat(str(kept.get("at")))
        except ValueError:
            at = utcnow()
        s.add(
            UnitAddressRow(
                address=address,
                unit=kept["unit"],
                added_by=kept.get("by") or "工作人员",
                added_at=at if at.tzinfo else at.replace(tzinfo=UTC),
                case_no=kept.get("case_no"),
                after_message=kept["after_message"],
            )
        )
        added += 1
    s.flush()
    return added


def forget(s: Session, address: str) -> UnitAddressRow | None:
    """Remove a remembered address; returns the row removed (None: there was none)."""
    row = s.scalar(select(UnitAddressRow).where(UnitAddressRow.address == normalise(address)))
    if row is not None:
        s.delete(row)
        s.flush()
    return row

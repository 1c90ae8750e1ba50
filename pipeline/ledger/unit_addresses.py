"""Sender addresses staff remembered for a roster unit (指定单位 → 记住此地址).

The intake, the replies' trust check and the notices look a sender up here as well
as in the configuration (roster.Roster.unit_for). Writing happens in the caller's
transaction: the staff action that remembers or forgets an address journals it
(staff/decisions.py for 指定单位, staff/unit_addresses.py for 移除).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..roster import Roster
from .schema import UnitAddressRow, utcnow


def normalise(address: str) -> str:
    return (address or "").strip().lower()


def remembered_for(s: Session, address: str) -> dict[str, str]:
    """{address: unit} for this one address, when staff remembered it."""
    address = normalise(address)
    if not address:
        return {}
    unit = s.scalar(select(UnitAddressRow.unit).where(UnitAddressRow.address == address))
    return {address: unit} if unit else {}


def sender_unit(s: Session, roster: Roster, address: str | None) -> str | None:
    """The unit of a sender: configured address, remembered address, then domain."""
    if not address:
        return None
    return roster.unit_for(address, remembered_for(s, address))


def all_remembered(s: Session) -> list[UnitAddressRow]:
    return list(s.scalars(select(UnitAddressRow).order_by(UnitAddressRow.unit, UnitAddressRow.address)))


def remember(s: Session, address: str, unit: str, by: str, case_no: str | None) -> str | None:
    """Remember `address` for `unit`; returns the unit it was remembered for before (if another)."""
    address = normalise(address)
    row = s.scalar(select(UnitAddressRow).where(UnitAddressRow.address == address))
    if row is None:
        s.add(UnitAddressRow(address=address, unit=unit, added_by=by, added_at=utcnow(), case_no=case_no))
        s.flush()
        return None
    before = row.unit
    row.unit, row.added_by, row.added_at, row.case_no = unit, by, utcnow(), case_no
    return before if before != unit else None


def forget(s: Session, address: str) -> UnitAddressRow | None:
    """Remove a remembered address; returns the row removed (None: there was none)."""
    row = s.scalar(select(UnitAddressRow).where(UnitAddressRow.address == normalise(address)))
    if row is not None:
        s.delete(row)
        s.flush()
    return row

"""Removing an address staff remembered for a unit (名单 page).

Remembering happens with 指定单位 (decisions.py, `remember`); removing is its own
staff action: audited in 处理记录, journaled (kind `unit_address`) and replayed.
"""

from __future__ import annotations

from ..config import Config
from ..errors import UserFacingError
from ..ledger import DecisionRow, Ledger, unit_addresses, utcnow
from ..ledger import staff_journal as journal

FORGET = "forget_address"  # the audit row's action


class AddressError(UserFacingError):
    """The address to remove is not remembered."""


def forget_address(
    ledger: Ledger,
    config: Config,
    address: str,
    by: str,
    *,
    replay: str | None = None,
    replay_unit: str | None = None,
) -> str:
    """Forget a remembered address; later mail from it is matched by the configuration only.
    Returns the Chinese line for staff."""
    address = unit_addresses.normalise(address)
    entry_id = replay or journal.new_id()
    with ledger.session() as s:
        if not journal.claim(s, entry_id):
            raise journal.AlreadyApplied(entry_id)
        row = unit_addresses.forget(s, address)
        # A rebuild seeds only what was never removed: the replayed removal finds nothing.
        unit = row.unit if row is not None else (replay_unit if replay else None)
        if unit is None:
            raise AddressError(f"{address or '（空）'} 不是记住的单位地址。")
        detail = f"移除{unit}的发件地址 {address}（以后来信不再自动认作{unit}）"
        s.add(DecisionRow(at=utcnow(), who=by, action=FORGET, case_no=None, unit=unit, detail=detail))
    if not replay:
        journal.record(config, "unit_address", entry_id, op="remove", address=address, unit=unit, by=by)
    return detail

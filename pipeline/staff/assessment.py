"""Re-assess a stored submission after staff change something about it.

The rules decided the submission when it arrived; a staff decision (the sender
is assigned to a unit, lateness is allowed) or a correction of a field changes
the facts. These functions recompute the problems that depend on those facts
with the same wording the rules use, and the status with the same function
(rules.audience.derive_status), so the record — and every notice composed from
it — says only what still applies.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Config
from ..form import normalize_fields, validate_fields
from ..ledger import MessageRow
from ..model import QUOTA_STATUSES, Status
from ..rules.audience import derive_status, is_field_problem
from ..rules.base import account_key
from ..rules.catalog import is_late, late_problem, over_quota_problem, unknown_unit_problem

# Problems that depend on who sent it, when, and what else the unit has on file.
_CONTEXT_CODES = ("unknown_unit", "late", "over_quota")


def other_active(s: Session, row: MessageRow) -> list[MessageRow]:
    """The unit's other submissions that hold a quota place (other accounts only)."""
    if not row.unit:
        return []
    rows = s.scalars(
        select(MessageRow).where(
            MessageRow.unit == row.unit,
            MessageRow.status.in_([st.value for st in QUOTA_STATUSES]),
            MessageRow.id != row.id,
            MessageRow.account_key.is_not(None),
        )
    ).all()
    return [r for r in rows if r.account_key != row.account_key]


def field_problems(config: Config, row: MessageRow) -> list[dict]:
    """Validation of the values as they stand (corrections applied)."""
    if not row.fields:
        return []
    return [p.as_dict() for p in validate_fields(row.fields, row.normalized or {}, config.form)]


def refresh_fields(config: Config, row: MessageRow) -> None:
    """After a correction: re-normalize and re-validate; the status is left to staff."""
    row.normalized = normalize_fields(row.fields, config.form)
    row.account_key = account_key(row.fields.get("账号名称", "")) or None
    kept = [p for p in row.problems or [] if not is_field_problem(p)]
    row.problems = kept + field_problems(config, row)


def reassess(s: Session, config: Config, row: MessageRow) -> Status:
    """Recompute context problems and field problems, then the status; returns it."""
    kept = [p for p in row.problems or [] if p.get("code") not in _CONTEXT_CODES and not is_field_problem(p)]
    context: list[dict] = []
    if row.unit is None:
        context.append(unknown_unit_problem(row.sender).as_dict())
    else:
        if is_late(config, row.arrival) and not row.late_allowed:
            context.append(late_problem(config, row.arrival).as_dict())
        others = other_active(s, row)
        quota = config.quota_for(row.unit)
        if row.account_key and len(others) >= quota:
            context.append(over_quota_problem(quota, [o.case_no for o in others]).as_dict())
    row.problems = context + field_problems(config, row) + kept
    status = derive_status(row.problems, bool(row.is_scan))
    return status

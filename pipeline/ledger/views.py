"""Turn ledger rows into the plain views the reports take."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..config import Config
from ..model import QUOTA_STATUSES, Problem, Status
from ..reports.views import AttachmentView, SubmissionView, UnitRow
from .schema import DecisionRow, MessageRow

ACTIVE = QUOTA_STATUSES
# After ACTIVE, the statuses that still tell staff where a unit stands.
STANDING = {Status.LATE, Status.OVER_QUOTA, Status.WITHDRAWN, Status.REJECTED, Status.UNKNOWN_UNIT}


def decision_lines(rows: list[DecisionRow], config: Config) -> list[str]:
    return [f"{d.at.astimezone(config.tz):%Y-%m-%d %H:%M} {d.who}：{d.detail}" for d in rows]


def to_view(row: MessageRow, config: Config, decisions: list[DecisionRow] = ()) -> SubmissionView:
    return SubmissionView(
        case_no=row.case_no or f"#{row.id}",
        unit=row.unit,
        sender=row.sender,
        message_id=row.message_id or "",
        arrival=row.arrival.astimezone(config.tz),
        status=Status(row.status) if row.status else Status.MANUAL_REVIEW,
        fields=dict(row.fields or {}),
        normalized=dict(row.normalized or {}),
        problems=[
            Problem(p.get("field"), p.get("code", ""), p.get("message", "")) for p in row.problems or []
        ],
        attachments=[
            AttachmentView(a.name, a.kind, a.sha256, a.size, Path(a.path) if a.path else None)
            for a in row.attachments
        ],
        subject=row.subject,
        selected=row.selected,
        decisions=decision_lines(list(decisions), config),
        big_links=[b["url"] for b in row.big_links or []],
        is_scan=row.is_scan,
        sources=dict(row.sources or {}),
        fields_read=dict(row.fields_read) if row.fields_read is not None else None,
    )


def all_rows(s: Session) -> list[MessageRow]:
    return list(
        s.scalars(
            select(MessageRow)
            .where(MessageRow.state == "done")
            .options(selectinload(MessageRow.attachments))
            .order_by(MessageRow.arrival, MessageRow.id)
        )
    )


def decisions_by_case(s: Session) -> dict[str, list[DecisionRow]]:
    out: dict[str, list[DecisionRow]] = {}
    for d in s.scalars(select(DecisionRow).order_by(DecisionRow.id)):
        if d.case_no:
            out.setdefault(d.case_no, []).append(d)
    return out


def current_of_unit(rows: list[MessageRow]) -> MessageRow | None:
    """The submission that represents a unit now: newest active, else newest standing."""
    for wanted in (ACTIVE, STANDING):
        for row in sorted(rows, key=lambda r: (r.arrival, r.id), reverse=True):
            if row.status and Status(row.status) in wanted:
                return row
    return None


def unit_rows(s: Session, config: Config) -> tuple[list[UnitRow], list[SubmissionView]]:
    """(a row per roster unit, every message as a view)."""
    rows = all_rows(s)
    decisions = decisions_by_case(s)
    views = {r.id: to_view(r, config, decisions.get(r.case_no or "", [])) for r in rows}
    result = []
    for unit in config.units:
        mine = [r for r in rows if r.unit == unit.name]
        current = current_of_unit(mine)
        result.append(
            UnitRow(
                unit=unit.name,
                submission=views[current.id] if current else None,
                other_count=len(mine) - (1 if current else 0),
            )
        )
    return result, [views[r.id] for r in rows]

"""Turn ledger rows into the plain views the reports take."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..config import Config
from ..model import QUOTA_STATUSES, Problem, Status
from ..reports.views import AttachmentView, SubmissionView, UnitRow
from .schema import AttachmentRow, DecisionRow, MessageRow
from .status_history import statuses_at

ACTIVE = QUOTA_STATUSES
# After ACTIVE, the statuses that still tell staff where a unit stands.
STANDING = {Status.LATE, Status.OVER_QUOTA, Status.WITHDRAWN, Status.REJECTED, Status.UNKNOWN_UNIT}


def decision_lines(rows: list[DecisionRow], config: Config) -> list[str]:
    return [f"{d.at.astimezone(config.tz):%Y-%m-%d %H:%M} {d.who}：{d.detail}" for d in rows]


def to_view(row: MessageRow, config: Config, decisions: Sequence[DecisionRow] = ()) -> SubmissionView:
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


@dataclass(frozen=True)
class Brief:
    """The few columns that say where a message stands, without its JSON payload:
    enough to pick each unit's current submission and the staff's queue cheaply."""

    id: int
    case_no: str | None
    unit: str | None
    status: str | None
    arrival: datetime
    selected: bool
    answered: bool
    changed_at: datetime | None
    superseded_by: str | None


def briefs(s: Session) -> list[Brief]:
    q = (
        select(
            MessageRow.id,
            MessageRow.case_no,
            MessageRow.unit,
            MessageRow.status,
            MessageRow.arrival,
            MessageRow.selected,
            MessageRow.answered,
            MessageRow.changed_at,
            MessageRow.superseded_by,
        )
        .where(MessageRow.state == "done")
        .order_by(MessageRow.arrival, MessageRow.id)
    )
    return [Brief(*r) for r in s.execute(q)]


def as_it_stood(s: Session, index: list[Brief], when: datetime) -> list[Brief]:
    """The messages that had arrived by `when`, each with the status and selection it had
    then (its last recorded change by then: ledger/status_history.py); a supersession made
    later goes too."""
    arrived = [b for b in index if b.arrival <= when]
    then = statuses_at(s, when, None if len(arrived) > 500 else [b.id for b in arrived])
    out = []
    for b in arrived:
        status, selected = then.get(b.id, (b.status, b.selected))
        if (status, selected) != (b.status, b.selected):
            b = replace(
                b,
                status=status,
                selected=selected,
                superseded_by=b.superseded_by if status == Status.SUPERSEDED.value else None,
            )
        out.append(b)
    return out


def views_of(
    s: Session,
    config: Config,
    ids: list[int],
    *,
    standing: Mapping[int, Brief] | None = None,
    until: datetime | None = None,
) -> dict[int, SubmissionView]:
    """Full views (attachments and audit lines included) of just these rows.

    `standing`: the rows' briefs as of an earlier moment (as_it_stood), whose status and
    selection the views show; `until`: that moment, after which no audit line is shown."""
    out: dict[int, SubmissionView] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = s.scalars(
            select(MessageRow).where(MessageRow.id.in_(chunk)).options(selectinload(MessageRow.attachments))
        ).all()
        cases = [r.case_no for r in rows if r.case_no]
        decisions: dict[str, list[DecisionRow]] = {}
        if cases:
            query = select(DecisionRow).where(DecisionRow.case_no.in_(cases)).order_by(DecisionRow.id)
            if until is not None:
                query = query.where(DecisionRow.at <= until)
            for d in s.scalars(query):
                if d.case_no:  # the query asked for these cases only
                    decisions.setdefault(d.case_no, []).append(d)
        for r in rows:
            view = to_view(r, config, decisions.get(r.case_no or "", []))
            brief = standing.get(r.id) if standing is not None else None
            if brief is not None and brief.status:
                view = replace(view, status=Status(brief.status), selected=brief.selected)
            out[r.id] = view
    return out


def decisions_by_case(s: Session) -> dict[str, list[DecisionRow]]:
    out: dict[str, list[DecisionRow]] = {}
    for d in s.scalars(select(DecisionRow).order_by(DecisionRow.id)):
        if d.case_no:
            out.setdefault(d.case_no, []).append(d)
    return out


_Row = TypeVar("_Row", MessageRow, "Brief")


def current_of_unit(rows: list[_Row]) -> _Row | None:
    """The submission that represents a unit now: newest active, else newest standing.
    Works on MessageRow or Brief."""
    for wanted in (ACTIVE, STANDING):
        for row in sorted(rows, key=lambda r: (r.arrival, r.id), reverse=True):
            if row.status and Status(row.status) in wanted:
                return row
    return None


def unit_rows(
    s: Session,
    config: Config,
    *,
    every_view: bool = True,
    index: list[Brief] | None = None,
    until: datetime | None = None,
) -> tuple[list[UnitRow], list[SubmissionView]]:
    """(a row per roster unit, every message as a view — or [] when `every_view` is False).

    Each unit's current submission is picked from the brief index; full views
    are built only for the rows shown, unless every view is asked for. `until`: the
    index is as it stood then (as_it_stood), and so are the views (see views_of).
    """
    index = index if index is not None else briefs(s)
    by_unit: dict[str, list[Brief]] = {}
    for b in index:
        if b.unit:
            by_unit.setdefault(b.unit, []).append(b)
    current = {unit.name: current_of_unit(by_unit.get(unit.name, [])) for unit in config.units}
    ids = [b.id for b in index] if every_view else [c.id for c in current.values() if c is not None]
    standing = {b.id: b for b in index} if until is not None else None
    views = views_of(s, config, ids, standing=standing, until=until)
    result = [
        UnitRow(
            unit=unit.name,
            submission=views[chosen.id] if chosen else None,
            other_count=len(by_unit.get(unit.name, [])) - (1 if chosen else 0),
        )
        for unit in config.units
        for chosen in [current[unit.name]]
    ]
    return result, ([views[b.id] for b in index] if every_view else [])


STAFF_CORRECTED = "工作人员更正"  # how staff/decisions.correct_field marks a corrected field's source
STAFF_CHECKED = "工作人员核对无误"  # ... and a value staff checked against the original and kept


def uncertain_fields(row: MessageRow) -> list[str]:
    """Labels of a scanned submission whose values a person must still check: those
    the OCR was not sure of (the facts of the form file the values came from, see
    documents/ocr_confidence.py) while their values still come from that file: not
    those staff corrected or checked since, nor those the unit wrote in a reply
    (intake/replies.py), which are its own words, not a reading."""
    scan = scanned_form_file(row)
    if scan is None:
        return []
    sources = {label: str(where) for label, where in (row.sources or {}).items()}

    def still_read(label: str) -> bool:
        where = sources.get(label)
        return where is None or where.startswith(f"{scan.name} ")

    return [label for label in (scan.facts or {})["uncertain"] if still_read(label)]


def scanned_form_file(row: MessageRow) -> AttachmentRow | None:
    """The scanned form file a submission's values were read from (its facts hold
    `uncertain`, `boxes` and `doubts`), or None when the values did not come from a scan."""
    if not row.is_scan:
        return None
    sources = {label: str(where) for label, where in (row.sources or {}).items()}
    for attachment in row.attachments:
        if "uncertain" not in (attachment.facts or {}):
            continue
        if any(where.startswith(f"{attachment.name} ") for where in sources.values()) or not sources:
            return attachment
    return None

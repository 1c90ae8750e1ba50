"""Accepting or reminding several units at once from the overview (plain functions, no HTTP).

Each acceptance is its own decision through staff.decisions, exactly as on the case
page: with the version the overview showed (a case changed since is refused, not
overwritten), its own audit row and its own notice. Only what would pass as it stands
is accepted in bulk: a case the single path would warn about (an empty required field)
or refuse (over quota, no form read) is listed with the reason, to be handled on its page.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..errors import UserFacingError
from ..ledger import Ledger, MessageRow
from ..model import Status
from ..staff.decisions import DecisionOutcome, DecisionRequest, apply_decision, preview_decision

MAX_PICKS = 200  # more than any roster; a longer list is not a person's choice


@dataclass(frozen=True)
class Pick:
    case_no: str
    version: int | None

    @property
    def value(self) -> str:
        return f"{self.case_no}@{self.version}"


def parse_picks(values: list[str]) -> list[Pick]:
    """The overview's ticked boxes ("case@version"), each case once, in the page's order."""
    picks: dict[str, Pick] = {}
    for value in values[:MAX_PICKS]:
        case, _, version = value.partition("@")
        case = case.strip()
        if case and case not in picks:
            picks[case] = Pick(case, int(version) if version.isdigit() else None)
    return list(picks.values())


@dataclass
class BulkLine:
    """One ticked case: what accepting it would do (or did), or why it is left for its page."""

    pick: Pick
    unit: str
    outcome: DecisionOutcome | None = None
    refused: str = ""


def _request(pick: Pick, by: str) -> DecisionRequest:
    return DecisionRequest(action="accept", case_no=pick.case_no, by=by, seen=pick.version)


def _check(config: Config, ledger: Ledger, pick: Pick, by: str) -> BulkLine:
    with ledger.session() as s:
        row = s.query(MessageRow).filter_by(case_no=pick.case_no).one_or_none()
        unit = (row.unit or row.sender or "") if row else ""
        status = Status(row.status) if row and row.status else None
    line = BulkLine(pick, unit)
    if status not in (Status.MANUAL_REVIEW, Status.NEEDS_FIX):
        line.refused = f"当前为“{status.zh if status else '未知'}”，不是待人工核对或需补正。"
        return line
    try:
        outcome = preview_decision(ledger, config, _request(pick, by))
    except UserFacingError as exc:
        line.refused = str(exc)
        return line
    if outcome.warnings:
        line.refused = "；".join(outcome.warnings) + "请在受理页面逐个处理。"
        return line
    line.outcome = outcome
    return line


def preview_accept(config: Config, ledger: Ledger, picks: list[Pick], by: str) -> list[BulkLine]:
    """What accepting each ticked case would do, and the notice each unit would get."""
    return [_check(config, ledger, p, by) for p in picks]


def accept_all(
    config: Config, ledger: Ledger, picks: list[Pick], by: str
) -> tuple[list[BulkLine], list[str]]:
    """Accept each ticked case that still passes; returns every line and the notices' outbox keys."""
    lines, keys = [], []
    for pick in picks:
        line = _check(config, ledger, pick, by)
        if line.outcome is not None:
            try:
                line.outcome = apply_decision(ledger, config, _request(pick, by))
            except UserFacingError as exc:
                line.outcome, line.refused = None, str(exc)
            else:
                if line.outcome.outbox_key:
                    keys.append(line.outcome.outbox_key)
        lines.append(line)
    return lines, keys


def units_to_remind(ledger: Ledger, picks: list[Pick]) -> set[str]:
    """The units of the ticked cases that wait for the unit (需补正): only they are reminded."""
    if not picks:
        return set()
    with ledger.session() as s:
        rows = s.query(MessageRow.unit).filter(
            MessageRow.case_no.in_([p.case_no for p in picks]), MessageRow.status == Status.NEEDS_FIX.value
        )
        return {unit for (unit,) in rows if unit}

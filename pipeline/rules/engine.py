"""Run the rule chain and combine outcomes into one decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Problem, Status
from .base import Context
from .catalog import RULES

# When several non-final rules hit, the strongest status wins: a late or
# over-quota mail stays late/over quota even if its fields also need fixing,
# but the unit still sees every problem.
STATUS_PRIORITY: tuple[Status, ...] = (
    Status.LATE,
    Status.OVER_QUOTA,
    Status.NEEDS_FIX,
    Status.MANUAL_REVIEW,
)


@dataclass
class Decision:
    status: Status
    problems: list[Problem] = field(default_factory=list)
    rules_hit: list[str] = field(default_factory=list)


def decide(ctx: Context) -> Decision:
    problems: list[Problem] = []
    statuses: list[Status] = []
    hit: list[str] = []
    for rule in RULES:
        outcome = rule.check(ctx)
        if outcome is None:
            continue
        hit.append(rule.code)
        if outcome.final:
            return Decision(outcome.status or Status.MANUAL_REVIEW, outcome.problems, hit)
        problems.extend(p for p in outcome.problems if p not in problems)
        if outcome.status is not None:
            statuses.append(outcome.status)
    for status in STATUS_PRIORITY:
        if status in statuses:
            return Decision(status, problems, hit)
    return Decision(Status.ACCEPTED, problems, hit)

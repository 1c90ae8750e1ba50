"""Run the rule chain and combine outcomes into one decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Problem, Status
from .audience import derive_status
from .base import Context
from .catalog import RULES


@dataclass
class Decision:
    status: Status
    problems: list[Problem] = field(default_factory=list)
    rules_hit: list[str] = field(default_factory=list)


def decide(ctx: Context) -> Decision:
    """The first final outcome wins; otherwise every problem is kept and the
    status is what they add up to (audience.derive_status): a late or over-quota
    mail stays late/over quota even if its fields also need fixing."""
    problems: list[Problem] = []
    hit: list[str] = []
    for rule in RULES:
        outcome = rule.check(ctx)
        if outcome is None:
            continue
        hit.append(rule.code)
        if outcome.final:
            return Decision(outcome.status or Status.MANUAL_REVIEW, outcome.problems, hit)
        problems.extend(p for p in outcome.problems if p not in problems)
    primary = ctx.primary
    return Decision(derive_status(problems, bool(primary and primary.form.is_scan)), problems, hit)

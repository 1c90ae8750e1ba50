"""Run the rule chain and combine outcomes into one decision."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    """The first final outcome wins (with the notes recorded before it, such as
    "no address"); otherwise every problem is kept and the status is what they
    add up to (audience.derive_status): a late or over-quota mail stays late/over
    quota even if its fields also need fixing."""
    problems: list[Problem] = []
    hit: list[str] = []
    for rule in RULES:
        outcome = rule.check(ctx)
        if outcome is None:
            continue
        hit.append(rule.code)
        if outcome.final:
            final = [*outcome.problems, *(p for p in problems if p not in outcome.problems)]
            return Decision(outcome.status or Status.MANUAL_REVIEW, final, hit)
        problems.extend(p for p in outcome.problems if p not in problems)
    primary = ctx.primary
    return Decision(derive_status(problems, bool(primary and primary.form.is_scan)), problems, hit)


def recheck(
    ctx: Context, recorded: Iterable[Mapping], rules: Iterable[str] | None = None
) -> tuple[Status, list[dict]]:
    """Staff re-assessment: the problems recorded when the mail arrived, with those
    of the rules that depend on changeable facts (all of them, or the named `rules`)
    replaced by what the same rules find now; and the status they add up to (the
    function intake uses)."""
    chosen = [r for r in RULES if r.restates and (rules is None or r.code in rules)]
    codes = frozenset(code for rule in chosen for code in rule.restates)
    kept = [dict(p) for p in recorded if p.get("code") not in codes]
    fresh: list[dict] = []
    for rule in chosen:
        outcome = rule.check(ctx)
        if outcome is not None:
            fresh.extend(p.as_dict() for p in outcome.problems if p.code in rule.restates)
    problems = fresh + kept
    primary = ctx.primary
    return derive_status(problems, bool(primary and primary.form.is_scan)), problems

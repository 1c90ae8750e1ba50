"""核对规则: the rule chain (pipeline/rules/) decides each submission's status and problems."""

from __future__ import annotations

from ...model import QUOTA_STATUSES
from ...rules import ActiveSubmission, Context, decide, replaced_by
from ..cases import active_submissions
from ..state import MailState
from ..step import Step


def run(state: MailState) -> None:
    own_rows = [sub.row.id for sub in state.submissions]
    identity = state.config.form.identity_label
    stored = active_submissions(state.session, state.unit, identity, own_rows)
    earlier: list[ActiveSubmission] = []  # this mail's submissions decided so far
    for sub in state.submissions:
        # An earlier account of the same mail holds a place too, and replaces
        # (supersedes) the stored versions of its own nominee.
        replaced = {a.case_no for e in earlier for a in replaced_by(e.account_key, e.unsure, stored)}
        active = [a for a in stored if a.case_no not in replaced] + earlier
        sub.context = Context(
            config=state.config,
            message=state.parsed,
            arrival=state.arrival,
            unit=state.unit,
            forms=sub.forms,
            files=sub.files,
            material_problems=sub.material_problems,
            active=active,
            duplicate_of=state.duplicate_of,
            related_case=state.related_case,
            late_allowed=state.late_allowed,
            quota=state.quota,
        )
        sub.decision = decide(sub.context)
        primary = sub.context.primary
        primary_key = primary.account_key if primary is not None else None
        if primary is not None and primary_key and sub.decision.status in QUOTA_STATUSES:
            earlier.append(
                ActiveSubmission(sub.row.case_no, primary_key, sub.decision.status, primary.unsure)
            )


STEP = Step(
    "apply_rules",
    "核对规则",
    "run the named rules (deadline, quota, form, fields, materials...) on each submission",
    run,
    transaction=True,
)

"""Re-assess a stored submission after staff change something about it.

The rules decided the submission when it arrived; a staff decision (the sender
is assigned to a unit, lateness is allowed) or a correction of a field changes
the facts. Re-assessment runs the very rules intake ran (rules.catalog: the
ones whose `restates` codes depend on such facts) on a context built from the
stored record, and derives the status with the same function
(rules.audience.derive_status), so the record — and every notice composed from
it — says only what still applies, in the same words.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from ..config import Config
from ..ledger import MessageRow
from ..ledger.views import uncertain_fields
from ..model import Attachment, FormResult, ParsedMessage, Status
from ..rules import Context, FormFound, account_key, recheck
from ..rules.audience import FIELD_CODES
from . import form_reading
from .cases import active_submissions


def stored_form(config: Config, row: MessageRow) -> FormFound | None:
    """The record's 推荐表 as the rules see a form (its values as corrected), validated now."""
    if not row.fields:
        return None
    spec = config.form
    fields = spec.ordered(row.fields)
    normalized = row.normalized or {}
    form = FormResult(
        file="推荐表",
        fields=fields,
        sources=dict(row.sources or {}),
        labels_found=len(spec.labels),
        is_scan=bool(row.is_scan),
        score=1.0,
        uncertain=uncertain_fields(row),  # what staff still have to check (rules.versions_of)
    )
    problems = form_reading.validate(fields, normalized, spec)
    return FormFound(Attachment(form.file, b""), form, normalized, problems, spec.identity_label)


def stored_context(s: Session, config: Config, row: MessageRow) -> Context:
    """The rules' context for a stored submission, with the facts as they are now."""
    message = ParsedMessage(
        message_id=row.message_id or "",
        subject=row.subject or "",
        from_addr=row.sender or "",
        from_name=row.sender_name or "",
    )
    form = stored_form(config, row)
    return Context(
        config=config,
        message=message,
        arrival=row.arrival,
        unit=row.unit,
        forms=[form] if form is not None else [],
        files=[],
        material_problems=[],
        active=active_submissions(s, row.unit, config.form.identity_label, (row.id,)),
        late_allowed=bool(row.late_allowed),
        quota=config.quota_for(row.unit),
    )


def reassess(s: Session, config: Config, row: MessageRow) -> Status:
    """Run the fact-dependent rules again and return the status the problems add up to."""
    status, row.problems = recheck(stored_context(s, config, row), row.problems or [])
    return status


def refresh_fields(s: Session, config: Config, row: MessageRow, only: Collection[str] | None = None) -> None:
    """After a correction: re-normalise, and run the fields rule again; the status is left
    to the caller. `only`: the labels that changed — the other fields' problems stay as
    recorded (staff may have waived them, or not returned them to the unit)."""
    spec = config.form
    row.normalized = form_reading.normalize(row.fields, spec)
    row.account_key = account_key(row.fields.get(spec.identity_label, "") or "") or None
    recorded = list(row.problems or [])
    _, problems = recheck(stored_context(s, config, row), recorded, rules=("fields",))
    if only is not None:

        def elsewhere(p) -> bool:
            return p.get("code") in FIELD_CODES and p.get("field") not in only

        problems = [p for p in problems if not elsewhere(p)] + [p for p in recorded if elsewhere(p)]
    row.problems = problems

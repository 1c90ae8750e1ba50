"""Journal lines for outgoing mail, and reading them back into row states.

Every change of an outbox row (enqueued, sending, sent, failed, deferred,
unknown, requeued) appends the whole row as it now is, so the last line for
a dedup key is that mail's last known state: a rebuild needs nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .schema import OutboxRow


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def outbox_record(row: OutboxRow, event: str) -> dict:
    return {
        "key": row.dedup_key,
        "event": event,
        "state": row.state,
        "kind": row.kind,
        "case_no": row.case_no,
        "recipients": list(row.recipients or []),
        "subject": row.subject,
        "message_id": row.message_id,
        "eml": row.eml_path,
        "attempts": row.attempts or 0,
        "unknown_sends": row.unknown_sends or 0,
        "detail": row.last_error,
        "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
    }


def last_states(records: Iterable[dict]) -> dict[str, dict]:
    """dedup key -> its last journal record (file order is commit order)."""
    latest: dict[str, dict] = {}
    for record in records:
        key = record.get("key")
        if isinstance(key, str) and record.get("state"):
            latest[key] = record
    return latest


def journal_is_ahead(row_state: str, row_recipients: list, record: dict) -> bool:
    """The journal's last record of a mail says more than the ledger's row: the row
    differs, and its state is one a later event moves on from (sent never goes back;
    failed does, when staff send it again)."""
    state = "unknown" if record.get("state") == "sending" else record.get("state")
    recipients = list(record.get("recipients") or [])
    if row_state == "sent" or (row_state == state and list(row_recipients or []) == recipients):
        return False
    return state in ("sent", "failed") or row_state == "failed" or list(row_recipients or []) != recipients

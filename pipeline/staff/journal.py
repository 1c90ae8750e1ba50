"""Replaying the staff journal onto a ledger (`run.py rebuild`, a restored backup).

The journal itself (writing, reading, the entry ids the ledger holds) is
ledger/staff_journal.py, below every layer that journals; its names are
re-exported here for callers that read the journal through staff/.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from ..config import Config
from ..ledger.staff_journal import NAME, AlreadyApplied, claim, entries, journal_path, new_id, record

__all__ = ["NAME", "AlreadyApplied", "claim", "entries", "journal_path", "new_id", "record", "replay"]


def replay(config: Config, ledger) -> tuple[int, list[str]]:
    """Apply the journal entries this ledger does not hold yet; returns (applied, Chinese problems).

    Nothing is queued for sending: those mails were sent (or are in the outbox)
    when the entries were made. Entries the ledger holds are skipped, so a replay
    can be repeated and works on a restored older backup too.

    Accounts: only the journal's latest entry for each account sets its state (the
    earlier ones are marked held), so a replay can never re-enable an account that a
    later `user remove` disabled, whichever entries the restored ledger happened to hold.

    An entry that cannot be applied (its case is gone, say) is reported and noted in
    the ledger as unapplied: it no longer stops the program at start, and every later
    replay tries it again.
    """
    from ..errors import UserFacingError

    all_entries = list(entries(config))
    last_for_account = {e.get("name"): e.get("id") for e in all_entries if e.get("kind") == "account"}
    applied, problems = 0, []
    for number, entry in enumerate(all_entries, 1):
        kind, entry_id = entry.get("kind"), entry.get("id")
        if not entry_id:
            continue
        try:
            if kind == "account" and last_for_account.get(entry.get("name")) != entry_id:
                if not _hold(ledger, entry_id):  # superseded by a later change of the same account
                    continue
            elif not _apply(config, ledger, kind, entry, entry_id):
                continue
            applied += 1
            _forget_unapplied(ledger, entry_id)
        except AlreadyApplied:
            _forget_unapplied(ledger, entry_id)
            continue
        except (UserFacingError, KeyError, ValueError) as exc:
            why = str(exc) if isinstance(exc, UserFacingError) else "记录内容不完整"
            problems.append(f"处理记录第 {number} 条（{describe(entry, config.tz)}）未能恢复：{why}")
            _note_unapplied(ledger, entry_id, why)
    return applied, problems


def describe(entry: dict, tz=None) -> str:
    from ..ledger.health import describe_entry

    return describe_entry(entry, tz)


def as_then(config: Config, entry: dict) -> Config:
    """The configuration with the entry's time as the campaign's now: a replayed change counts
    from when it was made (its status history, so an earlier day's digest), not from the replay."""
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return config
    return dataclasses.replace(config, clock=at if at.tzinfo else at.replace(tzinfo=UTC))


def _apply(config: Config, ledger, kind: str | None, entry: dict, entry_id: str) -> bool:
    """Apply one entry through the same code that made it; False for a kind this code does not know."""
    from .decisions import DecisionRequest, apply_decision, correct_field
    from .replies import reply_to_unit
    from .scoring import save_scores

    config = as_then(config, entry)

    if kind == "decision":
        req = DecisionRequest(
            action=entry["action"],
            case_no=entry["case_no"],
            by=entry.get("by", "工作人员"),
            reason=entry.get("reason", ""),
            unit=entry.get("unit"),
            fixes=list(entry.get("fixes", [])),
            ask=entry.get("ask", ""),
            notify=entry.get("notify", True),
            remember=bool(entry.get("remember", False)),
        )
        apply_decision(ledger, config, req, replay=entry_id)
    elif kind == "correction":
        correct_field(
            ledger,
            config,
            entry["case_no"],
            entry["field"],
            entry["value"],
            entry.get("by", "工作人员"),
            entry.get("why", ""),
            replay=entry_id,
        )
    elif kind == "reply":
        reply_to_unit(
            ledger, config, entry["case_no"], entry["text"], entry.get("by", "工作人员"), replay=entry_id
        )
    elif kind == "unit_reply":
        from ..intake.replies import replay_entry

        replay_entry(ledger, config, entry, entry_id)
    elif kind == "reply_change":
        from .reply_changes import decide_reply_change

        decide_reply_change(
            ledger,
            config,
            entry["letter_no"],
            entry.get("by", "工作人员"),
            apply=bool(entry.get("apply")),
            reason=entry.get("reason", ""),
            notify=entry.get("notify", True),
            replay=entry_id,
        )
    elif kind == "unit_address":
        from .unit_addresses import forget_address

        forget_address(
            ledger,
            config,
            entry["address"],
            entry.get("by", "工作人员"),
            replay=entry_id,
            replay_unit=entry.get("unit") or "（未记录单位）",
        )
    elif kind == "account":
        from ..accounts import restore_account

        restore_account(ledger, entry, entry_id)
    elif kind == "score":
        save_scores(
            ledger, entry["reviewer"], entry["case_no"], entry["points"], config=config, replay=entry_id
        )
    else:
        return False
    return True


def _hold(ledger, entry_id: str) -> bool:
    """Mark an entry held without applying it; False if the ledger held it already."""
    with ledger.session() as s:
        return claim(s, entry_id)


def _note_unapplied(ledger, entry_id: str, why: str) -> None:
    from ..ledger.health import UNAPPLIED

    ledger.set_kv(UNAPPLIED + entry_id, why[:500])


def _forget_unapplied(ledger, entry_id: str) -> None:
    from ..ledger.health import UNAPPLIED

    ledger.delete_kv(UNAPPLIED + entry_id)


def unapplied(ledger) -> list[str]:
    """Why each entry a replay could not apply is still missing (for `check`)."""
    from sqlalchemy import select

    from ..ledger import KeyValueRow
    from ..ledger.health import UNAPPLIED

    with ledger.session() as s:
        return list(s.scalars(select(KeyValueRow.value).where(KeyValueRow.key.startswith(UNAPPLIED))))

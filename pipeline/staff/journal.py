"""Replaying the staff journal onto a ledger (`run.py rebuild`, a restored backup).

The journal itself (writing, reading, the entry ids the ledger holds) is
ledger/staff_journal.py, below every layer that journals; its names are
re-exported here for callers that read the journal through staff/.
"""

from __future__ import annotations

from ..config import Config
from ..ledger.staff_journal import NAME, AlreadyApplied, claim, entries, journal_path, new_id, record

__all__ = ["NAME", "AlreadyApplied", "claim", "entries", "journal_path", "new_id", "record", "replay"]


def replay(config: Config, ledger) -> tuple[int, list[str]]:
    """Apply the journal entries this ledger does not hold yet; returns (applied, Chinese problems).

    Nothing is queued for sending: those mails were sent (or are in the outbox)
    when the entries were made. Entries the ledger holds are skipped, so a replay
    can be repeated and works on a restored older backup too.
    """
    from ..errors import UserFacingError
    from .decisions import DecisionRequest, apply_decision, correct_field
    from .replies import reply_to_unit
    from .scoring import save_scores

    applied, problems = 0, []
    for number, entry in enumerate(entries(config), 1):
        kind, entry_id = entry.get("kind"), entry.get("id")
        if not entry_id:
            continue
        try:
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
                    ledger,
                    config,
                    entry["case_no"],
                    entry["text"],
                    entry.get("by", "工作人员"),
                    replay=entry_id,
                )
            elif kind == "account":
                from ..accounts import restore_account

                restore_account(ledger, entry, entry_id)
            elif kind == "score":
                save_scores(
                    ledger,
                    entry["reviewer"],
                    entry["case_no"],
                    entry["points"],
                    config=config,
                    replay=entry_id,
                )
            else:
                continue
            applied += 1
        except AlreadyApplied:
            continue
        except (UserFacingError, KeyError) as exc:
            problems.append(f"处理记录第 {number} 条（{kind}，{entry.get('case_no', '')}）未能恢复：{exc}")
    return applied, problems

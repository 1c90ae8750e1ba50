"""Send what the outbox holds: settle unknown outcomes, then deliver each due mail.

Kept apart from queue.py (writing mail into the outbox) so that composing a
mail never depends on sending one: deliver.py enqueues an alert when the
packet fails, and the two would otherwise import each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select

from ..config import Config
from ..ledger import Ledger, OutboxRow, utcnow
from .deliver import deliver_one, settle_uncertain
from .outcome import FAILED, QUEUED, SENT, UNKNOWN
from .queue import sent_today

log = logging.getLogger(__name__)


def flush(
    ledger: Ledger, config: Config, sender, *, already_sent: Callable[[str], bool | None] | None = None
) -> dict:
    """Send every due pending mail. Returns counts {sent, failed, deferred, unknown}.

    First the sends of earlier runs whose outcome is unknown are settled
    (deliver.settle_uncertain: `already_sent(message_id)` looks in the
    account's Sent folder). Rows another live worker is sending are left
    alone, and a row is taken with a compare-and-set UPDATE, so two workers
    sharing a ledger never send one mail twice. A send whose outcome is
    unknown is not retried in this flush.
    """
    counts = {"sent": 0, "failed": 0, "deferred": 0, "unknown": 0}
    if config.smtp.dry_run:
        return counts
    settle_uncertain(ledger, config, already_sent)
    while True:
        with ledger.session() as s:
            if sent_today(s, config) >= config.smtp.daily_cap:
                pending = s.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.state == "pending")) or 0
                counts["deferred"] += pending
                log.warning("daily sending cap reached; %d mails wait for tomorrow", pending)
                break
            row_id = s.scalar(
                select(OutboxRow.id)
                .where(OutboxRow.state == "pending", OutboxRow.next_try_at <= utcnow())
                .order_by(OutboxRow.id)
                .limit(1)
            )
        if row_id is None:
            break
        outcome = deliver_one(ledger, config, sender, row_id)
        if outcome is None:
            continue  # another worker took it between our SELECT and UPDATE
        if outcome.state == QUEUED:
            counts["deferred"] += 1
            # The server is down or refusing for now (the sender already retried):
            # trying every other mail too would block the cycle for minutes.
            # They stay pending and go out on a later flush.
            with ledger.session() as s:
                rest = (
                    s.scalar(
                        select(func.count(OutboxRow.id)).where(
                            OutboxRow.state == "pending", OutboxRow.next_try_at <= utcnow()
                        )
                    )
                    or 0
                )
            counts["deferred"] += rest
            log.warning(
                "SMTP temporarily failing (%s); %d more mails wait for the next flush", outcome.reason, rest
            )
            break
        counts[{SENT: "sent", FAILED: "failed", UNKNOWN: "unknown"}[outcome.state]] += 1
    return counts

"""回执: the receipt each submission earns, queued in the outbox with its record;
and the one notice that answers a unit's reply the apply_reply step took.

Robots, duplicates and letters never get a receipt. A sender not on the roster gets
one only when the mail is recognisably a submission — a 推荐表 found by its
labels, or materials named for the campaign — so spam from forged addresses
(a .docx "个人劳动补贴通知", a picture of a "补贴领取小程序") makes no backscatter:
it is filed for staff, who may mark it spam. A word like 申报 in the subject
or a .docx attached is not enough.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy.orm import Session

from ...config import Config
from ...model import ParsedMessage, Status
from ...notices.to_units import enqueue_receipt, enqueue_reply_notice
from ..replies import unit_lines
from ..state import IntakeEnv, MailState, Submission
from ..step import Step

log = logging.getLogger(__name__)

NEVER_ANSWERED = (Status.IGNORED, Status.DUPLICATE, Status.CORRESPONDENCE)


def campaign_names(config: Config) -> list[str]:
    """How a mail names this campaign: its full name, and its short name in quotes
    (走好网上群众路线“百佳账号”推选 → 百佳账号)."""
    full = "".join(config.campaign.split())
    short = re.findall(r"[“\"「『](.+?)[”\"」』]", config.campaign)
    return [n for n in [full, *("".join(s.split()) for s in short)] if len(n) >= 2]


def recognisable(config: Config, parsed: ParsedMessage, sub: Submission) -> bool:
    """A stranger's mail that is a submission: the form found by its labels, or
    something attached (or linked) and the campaign named in the subject or a file name."""
    if any(f.form.found for f in sub.forms):
        return True
    if not (sub.files or parsed.big_links):
        return False
    names = campaign_names(config)
    texts = [parsed.subject, *(att.name for att, _, _ in sub.files), *(att.origin for att, _, _ in sub.files)]
    flat = ["".join((t or "").split()) for t in texts]
    return any(name in text for name in names for text in flat)


def earns_receipt(state: MailState, sub: Submission) -> bool:
    status = sub.decision.status
    if status in NEVER_ANSWERED:
        return False
    if status is Status.UNKNOWN_UNIT:
        return recognisable(state.config, state.parsed, sub)
    return True


def may_answer(env: IntakeEnv, s: Session, address: str) -> bool:
    """Never to ourselves, never to nobody, and at most the hourly cap per address."""
    from ...outbox import receipts_sent_recently

    if not address or address.lower() in env.own:
        return False
    cap = env.config.smtp.max_receipts_per_sender_hour
    return receipts_sent_recently(s, address, timedelta(hours=1)) < cap


def run(state: MailState) -> None:
    parsed = state.parsed
    for sub in state.submissions:
        if not earns_receipt(state, sub):
            continue
        if may_answer(state.env, state.session, parsed.from_addr):
            enqueue_receipt(
                state.session,
                state.config,
                sub.row,
                parsed.message_id,
                parsed.references,
                sub.superseded,
                notes=state.reply_notes,
            )
        else:
            log.warning("receipt to %r suppressed (no address, cap or own address)", parsed.from_addr)
    if state.reply is not None:
        # A unit's reply that changed (or asked to change) its case: one notice answers it,
        # threaded to the reply, with the case's state after the change.
        if may_answer(state.env, state.session, parsed.from_addr):
            reply = state.reply
            lines = unit_lines(reply)
            enqueue_reply_notice(
                state.session, state.config, reply.case_no, reply.letter_no, lines, parsed, state.arrival
            )
        else:
            log.warning("notice to %r suppressed (no address, cap or own address)", parsed.from_addr)


STEP = Step(
    "answer",
    "发送回执",
    "queue each submission's receipt, and the notice answering a unit's reply, in the outbox "
    "(never to robots, letters or unrecognisable strangers)",
    run,
    transaction=True,
)

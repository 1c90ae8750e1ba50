"""The packets already sent to the next level, and what a new one replaces.

科协 must never hold two packets without knowing which stands. Every packet
mail carries the case numbers of the accounts it holds (`PACKET_HEADER`, kept
in its .eml in outbox/); its outbox key says which selection it was
(`packet:<fingerprint>:<i>of<n>`, plus `:after:<outbox id>` when it replaced
another). From those, `packet_history` lists each packet with its accounts and
delivery state, and `replacement_for` says whether sending the current
selection replaces a packet that went (or may have gone): then the mail says
so (以本次为准, naming what changed) and staff confirm before it goes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, MessageRow, OutboxRow
from ..ledger.views import to_view
from ..reports.views import SubmissionView, account_name

PACKET_HEADER = "X-Intake-Packet"
_KEY = re.compile(r"^packet:(?P<fp>[0-9a-f]+):(?P<part>\d+)of(?P<parts>\d+)(?::after:(?P<after>[0-9a-f]+))?$")
STATE_ZH = {
    "sent": "已送达对方邮件服务器",
    "pending": "待发送（将自动重试）",
    "sending": "发送中",
    "unknown": "发送结果待确认",
    "failed": "发送失败",
}


def fingerprint(selected: list[SubmissionView]) -> str:
    """The same selection with the same files and values is one packet, however often it is rebuilt."""
    basis = "|".join(
        sorted(
            f"{v.case_no}:{','.join(a.sha256 for a in v.attachments)}:"
            f"{hashlib.sha256(repr(sorted(v.fields.items())).encode()).hexdigest()}"
            for v in selected
        )
    )
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def packet_key(fp: str, part: int, parts: int, after: str | None) -> str:
    return f"packet:{fp}:{part}of{parts}" + (f":after:{after}" if after else "")


@dataclass
class PacketPart:
    id: int  # the outbox row (the console's 重新发送 button)
    subject: str
    state: str  # outbox state
    error: str
    failed: bool

    @property
    def state_zh(self) -> str:
        return STATE_ZH.get(self.state, self.state)


@dataclass
class SentPacket:
    """One packet as sent (all its mails), newest first in `packet_history`."""

    fingerprint: str
    after: str | None
    when: datetime
    cases: list[str]
    accounts: list[str]  # "账号名称（单位）", in the order sent
    parts: list[PacketPart] = field(default_factory=list)
    replaced_by: datetime | None = None  # a later packet that went replaces this one

    @property
    def went(self) -> bool:
        """It reached 科协, or may have (or will: it waits for a retry)."""
        return any(p.state != "failed" for p in self.parts)

    @property
    def state(self) -> str:
        states = {p.state for p in self.parts}
        for worst in ("failed", "unknown", "sending", "pending"):
            if worst in states:
                return STATE_ZH[worst]
        return STATE_ZH["sent"]

    @property
    def subject(self) -> str:
        return self.parts[0].subject if self.parts else ""


@dataclass
class Replacement:
    """Sending the current selection replaces `previous`: what changed."""

    previous: SentPacket
    removed: list[str]  # accounts 科协 should no longer consider
    added: list[str]  # accounts new in this packet
    kept: list[str]  # in both (their materials may have changed)

    def sentence(self, noun: str) -> str:
        """What changed, in one Chinese sentence (the cover letter and the console say it)."""
        parts = []
        if self.removed:
            parts.append(f"撤回{'、'.join(self.removed)}")
        if self.added:
            parts.append(f"改为报送{'、'.join(self.added)}")
        if self.kept and (self.removed or self.added):
            parts.append(f"{'、'.join(self.kept)}不变")
        if not parts:
            parts.append(f"报送的{noun}不变，{noun}的推荐表内容或材料有更新")
        return "；".join(parts)


def _envelope(eml: str) -> tuple[list[str], datetime | None]:
    """The case numbers a packet mail holds and the Date it carries: the time 科协's
    mail program shows for it, which a later letter names (the outbox row is made a
    moment before the mail is, sometimes in the minute before)."""
    try:
        with Path(eml).open("rb") as fh:
            headers = BytesHeaderParser().parse(fh)
    except OSError:
        return [], None
    cases = [c for c in re.split(r"[\s,]+", str(headers.get(PACKET_HEADER, ""))) if c]
    try:
        date = parsedate_to_datetime(str(headers.get("Date", "")))
    except (TypeError, ValueError):
        date = None
    return cases, date if date is not None and date.tzinfo is not None else None


def _names(config: Config, ledger: Ledger, cases: list[str]) -> dict[str, str]:
    with ledger.session() as s:
        rows = s.scalars(select(MessageRow).where(MessageRow.case_no.in_(cases))).all() if cases else []
        views = [to_view(r, config, []) for r in rows]
    return {v.case_no: f"{account_name(v, config.form)}（{v.unit or '单位未定'}）" for v in views}


def packet_history(config: Config, ledger: Ledger) -> list[SentPacket]:
    """Every packet queued for the next level, newest first, each with its accounts,
    its mails' delivery state, and whether a later packet replaced it."""
    with ledger.session() as s:
        rows = s.scalars(select(OutboxRow).where(OutboxRow.kind == "packet").order_by(OutboxRow.id)).all()
        packets: dict[tuple[str, str | None], SentPacket] = {}
        for row in rows:
            m = _KEY.match(row.dedup_key)
            fp, after = (m["fp"], m["after"]) if m else (row.dedup_key, None)
            packet = packets.get((fp, after))
            if packet is None:
                cases, date = _envelope(row.eml_path)
                when = (date or row.created_at).astimezone(config.tz)
                packet = packets[(fp, after)] = SentPacket(fp, after, when, cases, [])
            packet.parts.append(
                PacketPart(row.id, row.subject, row.state, row.last_error or "", row.state == "failed")
            )
    ordered = list(packets.values())
    names = _names(config, ledger, sorted({c for p in ordered for c in p.cases}))
    for p in ordered:
        p.accounts = [names.get(c, c) for c in p.cases] or ["（未记录）"]
    latest: SentPacket | None = None
    for p in reversed(ordered):  # newest first: each that went replaces the older ones
        if latest is not None:
            p.replaced_by = latest.when
        if p.went and latest is None:
            latest = p
    return list(reversed(ordered))


def standing_packet(config: Config, ledger: Ledger) -> SentPacket | None:
    """The packet 科协 should go by: the newest that went (or may have)."""
    return next((p for p in packet_history(config, ledger) if p.went), None)


def packet_after(config: Config, ledger: Ledger, selected: list[SubmissionView]) -> str | None:
    """The `after` part of the key of the packet for `selected`: the same as the standing
    packet's when it is this selection (asked again: the same mail, not a second one);
    the outbox id of the packet it replaces otherwise, so a selection sent before, replaced,
    and chosen again is a new mail."""
    standing = standing_packet(config, ledger)
    if standing is None:
        return None
    if standing.fingerprint == fingerprint(selected):
        return standing.after
    return f"{standing.parts[0].id:x}"


def replacement_for(config: Config, ledger: Ledger, selected: list[SubmissionView]) -> Replacement | None:
    """The packet that sending `selected` would replace: the newest one that went (or may
    have), when it is not this very selection. None for the first packet."""
    standing = standing_packet(config, ledger)
    if standing is None or standing.fingerprint == fingerprint(selected):
        return None
    names = _names(config, ledger, [v.case_no for v in selected])
    now = [names.get(v.case_no, v.case_no) for v in selected]
    before = set(standing.cases)
    return Replacement(
        previous=standing,
        removed=[
            n
            for c, n in zip(standing.cases, standing.accounts, strict=False)
            if c not in {v.case_no for v in selected}
        ],
        added=[n for v, n in zip(selected, now, strict=True) if v.case_no not in before],
        kept=[n for v, n in zip(selected, now, strict=True) if v.case_no in before],
    )

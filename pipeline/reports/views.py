"""Plain input data for the report builders, filled by the ledger.

Reports never touch the database; the lead converts ledger rows into these
views so each builder can be tested with hand-made data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from ..campaign import FormSpec, builtin
from ..model import Problem, Status


@dataclass
class AttachmentView:
    """One stored file of a submission."""

    name: str
    kind: str  # AttachmentKind value, e.g. "推荐表"
    sha256: str
    size: int
    path: Path | None  # stored file on disk


@dataclass
class SubmissionView:
    """One received message as staff see it."""

    case_no: str
    unit: str | None
    sender: str
    message_id: str
    arrival: datetime  # aware, Beijing time
    status: Status
    fields: dict[str, str]
    normalized: dict
    problems: list[Problem]
    attachments: list[AttachmentView]
    subject: str = ""
    selected: bool = False
    # Chinese audit lines, e.g. "2021-08-01 10:00 张三：允许逾期提交（原因…）"
    decisions: list[str] = field(default_factory=list)
    big_links: list[str] = field(default_factory=list)
    is_scan: bool = False
    sources: dict[str, str] = field(default_factory=dict)  # label -> where it was read (or 工作人员更正)
    fields_read: dict[str, str] | None = None  # as read, before staff corrections


class UnitState(StrEnum):
    """Where a roster unit stands: one clear state each, the same in every output."""

    MISSING = "未报送"
    NEEDS_FIX = "需补正"
    REVIEW = "待人工核对"
    LATE = "逾期"
    REJECTED = "不予受理"
    ACCEPTED = "已受理"
    SELECTED = "已选定上报"


def unit_state(view: SubmissionView | None) -> UnitState:
    """The state of a unit whose current submission is `view` (None: nothing on file).

    A withdrawn nomination, or one over quota whose competitor was withdrawn,
    leaves the unit with nothing on file: 未报送.
    """
    if view is None:
        return UnitState.MISSING
    status = view.status
    if status is Status.ACCEPTED:
        return UnitState.SELECTED if view.selected else UnitState.ACCEPTED
    if status is Status.NEEDS_FIX:
        return UnitState.NEEDS_FIX
    if status is Status.MANUAL_REVIEW:
        return UnitState.REVIEW
    if status is Status.LATE:
        return UnitState.LATE
    if status is Status.REJECTED:
        return UnitState.REJECTED
    return UnitState.MISSING


@dataclass
class UnitRow:
    """One row per roster unit in 汇总表."""

    unit: str
    submission: SubmissionView | None  # the unit's current (latest non-superseded) submission
    other_count: int = 0  # other messages from the unit (superseded, duplicates...)

    @property
    def state(self) -> UnitState:
        return unit_state(self.submission)


@dataclass
class MailboxHealth:
    name: str
    last_ok: datetime | None
    last_error: str | None
    failures_in_row: int


@dataclass
class StaffTask:
    """One thing a person must do, said as an instruction: what, and where to do it."""

    kind: str  # "待人工核对", "发件人不在名单", "来信待回复", "逾期", "发送失败", "邮箱异常", "上报"
    what: str  # Chinese instruction
    where: str = ""  # console link or command
    view: SubmissionView | None = None


@dataclass
class UpstreamInfo:
    name: str
    deadline: datetime
    accounts: int  # how many the upstream level takes
    selected: list[SubmissionView]
    packet_sent: datetime | None  # when the packet mail went out (None: not yet)


@dataclass(frozen=True)
class ReplyCounts:
    """Units fixing their submission by replying ("手机：139…" under a receipt)."""

    fixed: int = 0  # cases a reply changed (at once, or staff took the proposal)
    accepted: int = 0  # of those, now 已受理
    waiting: int = 0  # replies waiting for staff to take or leave them


@dataclass
class DigestData:
    campaign: str
    level_name: str
    generated_at: datetime
    deadline: datetime
    days_left: int
    counts: dict[Status, int]  # every message by status (the 全部来信 view)
    # (Chinese change label e.g. "新受理"/"已更正"/"逾期", view)
    changes: list[tuple[str, SubmissionView]]
    tasks: list[StaffTask]  # what staff must do, most urgent first
    failed_mails: list[tuple[str, str, str]]  # (to, subject, error)
    mailboxes: list[MailboxHealth]
    units: list[UnitRow]
    upstream: UpstreamInfo | None = None
    more_tasks: int = 0  # waiting items beyond those listed in `tasks`
    form: FormSpec | None = None  # the campaign's form (the built-in 附件1 when None)
    replies: ReplyCounts | None = None  # cases the units fixed by replying to a notice

    def units_in(self, *states: UnitState) -> list[UnitRow]:
        return [u for u in self.units if u.state in states]

    @property
    def state_counts(self) -> dict[UnitState, int]:
        out = {s: 0 for s in UnitState}
        for u in self.units:
            out[u.state] += 1
        return out


# ---------------------------------------------------------------- display helpers

BEIJING = ZoneInfo("Asia/Shanghai")


def fmt_time(dt: datetime | None) -> str:
    """ "YYYY-MM-DD HH:MM" in Beijing time; naive times are taken as Beijing already."""
    if dt is None:
        return ""
    if dt.tzinfo is not None:
        dt = dt.astimezone(BEIJING)
    return dt.strftime("%Y-%m-%d %H:%M")


def iso_beijing(dt: datetime) -> str:
    """ISO 8601 with the +08:00 offset, for manifests."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=BEIJING)
    return dt.astimezone(BEIJING).isoformat(timespec="seconds")


def fmt_size(size: int) -> str:
    """Human size in Chinese-friendly units (KB/MB)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def account_name(view: SubmissionView, form: FormSpec | None = None) -> str:
    """The nominee's name staff know the submission by (the form's identity field, 账号名称
    in the built-in 附件1), or a placeholder saying it is missing."""
    label = (form or builtin().form).identity_label
    return (view.fields.get(label) or "").strip() or f"（未填{label}）"

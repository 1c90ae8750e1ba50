"""Plain input data for the report builders, filled by the ledger.

Reports never touch the database; the lead converts ledger rows into these
views so each builder can be tested with hand-made data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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


@dataclass
class UnitRow:
    """One row per roster unit in 汇总表."""

    unit: str
    submission: SubmissionView | None  # the unit's current (latest non-superseded) submission
    other_count: int = 0  # other messages from the unit (superseded, duplicates...)


@dataclass
class MailboxHealth:
    name: str
    last_ok: datetime | None
    last_error: str | None
    failures_in_row: int


@dataclass
class DigestData:
    campaign: str
    level_name: str
    generated_at: datetime
    deadline: datetime
    days_left: int
    counts: dict[Status, int]
    # (Chinese change label e.g. "新报送"/"已更正"/"被替换"/"逾期"/"超出名额", view)
    changes: list[tuple[str, SubmissionView]]
    # ("待人工核对"/"发件人不在名单"/"来信待回复", view)
    needs_staff: list[tuple[str, SubmissionView]]
    missing_units: list[str]
    failed_mails: list[tuple[str, str, str]]  # (to, subject, error)
    mailboxes: list[MailboxHealth]
    units: list[UnitRow]


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


def account_name(view: SubmissionView) -> str:
    """The 账号名称 staff know the submission by, or a placeholder."""
    return (view.fields.get("账号名称") or "").strip() or "（未填账号名称）"

"""催报: remind roster units before the deadline; remind staff to select for upstream.

A reminder goes only before the deadline, and only to units that have
nothing on file (未报送) or something to fix (需补正); each is told
the right thing (what is missing, or which problems are still open). Units
whose submission waits for staff (待人工核对), is accepted, or came late are
not reminded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..config import Config
from ..errors import UserFacingError
from ..ledger import Ledger, MessageRow, OutboxRow
from ..ledger.views import unit_rows
from ..outbox import enqueue, new_message
from ..reports.blank_form import tag_of
from ..reports.views import UnitState
from ..reports.wording import days_phrase, quote_zh
from ..rules.audience import split
from ..templating import render
from .sending import flush_if, now_local, send_and_report

log = logging.getLogger(__name__)

REMINDED = (UnitState.MISSING, UnitState.NEEDS_FIX)


@dataclass
class SentReminder:
    """A reminder already written to the outbox: to whom, when, and whether it went."""

    unit: str
    day: date | None  # the campaign day it was for (its schedule point or the console's day)
    to: list[str]
    subject: str
    state: str  # outbox state: pending, sending, sent, failed, unknown
    at: datetime  # when it went (or was written, while it waits)
    outbox_id: int


@dataclass
class PlannedReminder:
    unit: str
    state: UnitState
    to: list[str]
    subject: str
    text: str
    case_no: str | None = None
    last: SentReminder | None = None  # the unit's latest reminder, if any
    sent_today: bool = False  # reminded on the campaign's today already: not again


@dataclass
class ReminderPlan:
    reminders: list[PlannedReminder]
    skipped: list[tuple[str, str]]  # (unit, why) — e.g. no address on file
    refused: str | None = None  # why nothing can be sent (deadline passed)
    sent: list[SentReminder] = field(default_factory=list)  # every reminder so far, newest first


def _day_of(config: Config, point: str) -> date | None:
    """The campaign day a reminder's outbox key stands for: "manual-20210801" is that day,
    a schedule point "3" is three days before the deadline."""
    if point.startswith("manual-"):
        try:
            return datetime.strptime(point[len("manual-") :], "%Y%m%d").date()
        except ValueError:
            return None
    if point.lstrip("-").isdigit():
        return config.this_level.deadline.astimezone(config.tz).date() - timedelta(days=int(point))
    return None


def sent_reminders(config: Config, s) -> list[SentReminder]:
    """Every reminder to a unit written so far, newest first."""
    out = []
    for row in s.scalars(select(OutboxRow).where(OutboxRow.kind == "reminder").order_by(OutboxRow.id.desc())):
        _, point, unit = (row.dedup_key.split(":", 2) + ["", ""])[:3]
        out.append(
            SentReminder(
                unit=unit,
                day=_day_of(config, point),
                to=list(row.recipients or []),
                subject=row.subject,
                state=row.state,
                at=(row.sent_at or row.created_at).astimezone(config.tz),
                outbox_id=row.id,
            )
        )
    return out


def due_phrase(deadline: datetime) -> str:
    """ "8月2日前" for a midnight deadline (as the notice says), else "8月2日 17:00 前"."""
    if deadline.hour == 0 and deadline.minute == 0:
        return f"{deadline.month}月{deadline.day}日前"
    return f"{deadline.month}月{deadline.day}日 {deadline:%H:%M} 前"


def plan_reminders(config: Config, ledger: Ledger, now: datetime) -> ReminderPlan:
    """Who would be reminded now, with the exact letter each gets; sends nothing."""
    level = config.this_level
    deadline = level.deadline.astimezone(config.tz)
    if now >= deadline:
        return ReminderPlan([], [], f"报送截止时间（{deadline:%Y-%m-%d %H:%M}）已过，不再向单位催报。")
    plan = ReminderPlan([], [])
    with ledger.session() as s:
        plan.sent = sent_reminders(config, s)
        units, _ = unit_rows(s, config, every_view=False)
        for row in units:
            if row.state not in REMINDED:
                continue
            unit = next(u for u in config.units if u.name == row.unit)
            to = list(unit.addresses)
            view = row.submission if row.state is UnitState.NEEDS_FIX else None
            if view is not None and view.sender and view.sender not in to:
                to.append(view.sender)
            if not to:
                last = s.scalar(
                    select(MessageRow.sender)
                    .where(MessageRow.unit == unit.name, MessageRow.sender != "")
                    .order_by(MessageRow.arrival.desc())
                    .limit(1)
                )
                to = [last] if last else []
            if not to:
                plan.skipped.append(
                    (unit.name, "名单中只登记了域名、也没有收到过该单位的邮件，没有可发送的地址")
                )
                continue
            fixes = []
            if view is not None:
                fixes = [p.message for p in split(view.problems, view.is_scan)["unit"]]
            text = render(
                "reminder.txt.j2",
                unit=unit.name,
                campaign=quote_zh(config.campaign),
                level_name=level.name,
                deadline=f"{deadline:%Y-%m-%d %H:%M}",
                due=due_phrase(deadline),
                phrase=days_phrase(now, deadline),
                state=row.state.value,
                submission=view,
                arrival=f"{view.arrival:%m月%d日}" if view else "",
                fixes=fixes,
                quota=config.quota_for(unit.name),
                contact=level.contact or "、".join(level.staff),
                form_title=config.form.title,
                form_tag=tag_of(config.form),
                noun=config.form.noun,
            )
            subject = (
                f"【补正提醒】{view.case_no} 请于 {due_phrase(deadline)}补正"
                if view
                else f"【催报】{config.campaign}：请于 {due_phrase(deadline)}报送"
            )
            last = next((r for r in plan.sent if r.unit == unit.name), None)
            today = any(r.unit == unit.name and r.day == now.date() for r in plan.sent)
            plan.reminders.append(
                PlannedReminder(
                    unit.name, row.state, to, subject, text, view.case_no if view else None, last, today
                )
            )
    return plan


def queue_reminders(
    config: Config, ledger: Ledger, plan: ReminderPlan, point: str, units: set[str] | None = None
) -> list[str]:
    """Write the planned reminders (of `units`, or all) to the outbox, copied to staff;
    at most one per unit and `point` (a schedule point, or a day for the console's button).
    Returns the keys of the mails newly written."""
    keys = []
    with ledger.session() as s:
        for r in plan.reminders:
            if units is not None and r.unit not in units:
                continue
            msg = new_message(config, r.to, r.subject, r.text)
            if config.this_level.staff:
                msg["Cc"] = ", ".join(config.this_level.staff)
            key = f"reminder:{point}:{r.unit}"
            if enqueue(s, config, key, "reminder", msg, r.case_no) is not None:
                keys.append(key)
    return keys


def remind_now(config: Config, ledger: Ledger, now: datetime, units: set[str]) -> list[str]:
    """Staff chose units to remind now (the console's button): at most one reminder per unit
    per campaign day (counting the scheduled ones), however often it is pressed. Returns the keys newly written; raises when the
    deadline has passed."""
    plan = plan_reminders(config, ledger, now)
    if plan.refused:
        raise UserFacingError(plan.refused)
    units = {r.unit for r in plan.reminders if r.unit in units and not r.sent_today}
    return queue_reminders(config, ledger, plan, f"manual-{now:%Y%m%d}", units)


def run_reminders(config: Config, send: bool = False, force_days: int | None = None, now=None) -> str:
    """Remind units per plan_reminders(); once per unit per schedule point."""
    ledger = Ledger(config.database_url)
    now = now or now_local(config)
    level = config.this_level
    deadline = level.deadline.astimezone(config.tz)
    days_left = (deadline.date() - now.date()).days
    if force_days is not None:
        point = force_days
    elif days_left not in level.reminders_days_before or now.time() < level.reminder_time:
        return "今天没有需要发送的催报。"
    else:
        point = days_left
    plan = plan_reminders(config, ledger, now)
    if plan.refused:
        return plan.refused
    # At most one reminder per unit and campaign day, whether staff pressed 催报 or not.
    keys = queue_reminders(
        config, ledger, plan, str(point), {r.unit for r in plan.reminders if not r.sent_today}
    )
    written = len(keys)
    lines = [
        f"催报（截止前 {point} 天这一档）：新写入 {written} 封（未报送 "
        f"{sum(1 for r in plan.reminders if r.state is UnitState.MISSING)} 个单位，需补正 "
        f"{sum(1 for r in plan.reminders if r.state is UnitState.NEEDS_FIX)} 个单位）。"
    ]
    lines += [f"  未催报：{unit}（{why}）" for unit, why in plan.skipped]
    if send and keys:
        return send_and_report(config, ledger, keys, "\n".join(lines))
    return "\n".join(lines)


def remind_upstream_selection(config: Config, send: bool = False, now=None) -> str | None:
    """Two days before the upstream deadline with nothing selected: tell staff."""
    if not config.upstream or not config.this_level.staff:
        return None
    ledger = Ledger(config.database_url)
    now = now or now_local(config)
    due = config.upstream.deadline.astimezone(config.tz)
    if not (due - timedelta(days=2) <= now <= due):
        return None
    with ledger.session() as s:
        if s.scalar(select(MessageRow.id).where(MessageRow.selected.is_(True)).limit(1)):
            return None
        noun = config.form.noun
        where = (
            f"请在控制台 {config.web.base_url.rstrip('/')}/packet 选定{noun}并发送上报材料包。"
            if config.web.base_url
            else "请运行：python run.py decide 选定上报 <受理编号>，然后 python run.py packet --send。"
        )
        text = f"距上报{config.upstream.name}的截止时间（{due:%Y-%m-%d %H:%M}）已不足两天，尚未选定上报{noun}。\n{where}"
        msg = new_message(
            config, config.this_level.staff, f"【提醒】尚未选定上报{config.upstream.name}的{noun}", text
        )
        enqueue(s, config, f"upstream-reminder:{due:%Y-%m-%d}", "alert", msg)
    flush_if(config, ledger, send)
    return f"已提醒工作人员选定上报{config.form.noun}。"

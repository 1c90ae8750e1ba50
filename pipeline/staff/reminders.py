"""催报: remind roster units before the deadline; remind staff to select for upstream."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, MessageRow
from ..ledger.views import unit_rows
from ..model import Status
from ..outbox import enqueue, new_message
from ..templating import render
from .sending import flush_if, now_local

log = logging.getLogger(__name__)


def run_reminders(config: Config, send: bool = False, force_days: int | None = None, now=None) -> str:
    """Remind roster units without an accepted submission; once per unit per schedule point."""
    ledger = Ledger(config.database_url)
    now = now or now_local(config)
    level = config.this_level
    deadline = level.deadline.astimezone(config.tz)
    days_left = (deadline.date() - now.date()).days
    if force_days is not None:
        point = force_days
    else:
        if days_left not in level.reminders_days_before or now.time() < level.reminder_time or now > deadline:
            return "今天没有需要发送的催报。"
        point = days_left
    with ledger.session() as s:
        units, _ = unit_rows(s, config)
        sent = 0
        for row in units:
            if row.submission and row.submission.status is Status.ACCEPTED:
                continue
            unit = next(u for u in config.units if u.name == row.unit)
            if not unit.addresses:
                log.warning("unit %s has no address; reminder skipped", unit.name)
                continue
            text = render(
                "reminder.txt.j2",
                unit=unit.name,
                campaign=config.campaign,
                level_name=level.name,
                deadline=f"{deadline:%Y-%m-%d %H:%M}",
                days_left=max(days_left, 0),
                submission=row.submission,
                contact=level.contact or "、".join(level.staff),
            )
            msg = new_message(
                config, unit.addresses, f"【催报】{config.campaign}：请于 {deadline:%m月%d日} 前报送", text
            )
            if level.staff:
                msg["Cc"] = ", ".join(level.staff)
            if enqueue(s, config, f"reminder:{point}:{unit.name}", "reminder", msg) is not None:
                sent += 1
    flush_if(config, ledger, send)
    return f"催报（截止前 {point} 天）：新写入 {sent} 封。"


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
        text = (
            f"距上报{config.upstream.name}的截止时间（{due:%Y-%m-%d %H:%M}）已不足两天，尚未选定上报账号。\n"
            f"请运行：python run.py decide select <受理编号>，然后 python run.py packet --send。"
        )
        msg = new_message(
            config, config.this_level.staff, f"【提醒】尚未选定上报{config.upstream.name}的账号", text
        )
        enqueue(s, config, f"upstream-reminder:{due:%Y-%m-%d}", "alert", msg)
    flush_if(config, ledger, send)
    return "已提醒工作人员选定上报账号。"

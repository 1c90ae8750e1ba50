"""催报: who would be reminded now with the exact letter, and sending to the units staff tick."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ...accounts import Permission
from ...errors import UserFacingError
from ...staff.reminders import plan_reminders, remind_now
from ..data import MAIL_STATES
from ..http import Area, console, flash, page, read_form, redirect

area = Area("reminders")


@area.get("/reminders", Permission.REMIND)
async def reminders(request: Request):
    c = console(request)
    now = c.now()
    plan = await run_in_threadpool(plan_reminders, c.config, c.ledger, now)
    return page(
        request,
        "reminders.html",
        plan=plan,
        now=now,
        fixed_clock=c.config.clock is not None,
        mail_states=MAIL_STATES,
        flash=flash(request),
    )


@area.post("/reminders/send", Permission.REMIND)
async def reminders_send(request: Request):
    c = console(request)
    form = await read_form(request)
    try:
        keys = await run_in_threadpool(remind_now, c.config, c.ledger, c.now(), set(form.all("unit")))
    except UserFacingError as exc:
        return redirect("/reminders", err=str(exc))
    if not keys:
        return redirect("/reminders", err="没有写入新的催报（未选择单位，或今天已经给这些单位发过）。")
    sent = await run_in_threadpool(c.send_now, keys)
    return redirect("/reminders", ok=f"催报 {len(keys)} 封：{sent}")

"""Mail in and out: every message received (search, filter, pages), answering a unit's
letter, the raw mail, and sending a failed mail again."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse

from ...accounts import Permission
from ...errors import UserFacingError
from ...model import Status
from ...staff.replies import reply_to_unit
from ...staff.resend import resend_mail
from ...staff.unit_addresses import forget_address
from .. import data
from ..http import Area, console, current_user, int_param, local_path, page, read_form, redirect, seen_version

area = Area("correspondence")


@area.get("/messages", Permission.READ_MAIL)
async def message_list(request: Request):
    c = console(request)
    result = await run_in_threadpool(
        data.messages,
        c.config,
        c.ledger,
        request.query_params.get("q", ""),
        request.query_params.get("status", ""),
        int_param(request.query_params.get("page"), default=1),
    )
    return page(request, "messages.html", m=result, statuses=[(s.value, s.zh) for s in Status])


@area.post("/case/{case}/reply", Permission.REPLY)
async def reply(request: Request):
    """Without `confirm`: the exact reply for staff to check; with it: sent."""
    c = console(request)
    case_no = request.path_params["case"]
    form = await read_form(request)
    text = form.one("text")
    who = current_user(request).name
    try:
        if form.one("confirm") != "1":
            preview = await run_in_threadpool(
                lambda: reply_to_unit(c.ledger, c.config, case_no, text, who, preview=True)
            )
            return page(
                request,
                "reply_confirm.html",
                case_no=case_no,
                reply=preview,
                text=text,
                version=form.one("version"),
            )
        seen = seen_version(form)
        done = await run_in_threadpool(
            lambda: reply_to_unit(c.ledger, c.config, case_no, text, who, seen=seen)
        )
    except UserFacingError as exc:
        return redirect(f"/case/{case_no}", err=str(exc))
    sent = await run_in_threadpool(c.send_now, [done.outbox_key] if done.outbox_key else [])
    return redirect(f"/case/{case_no}", ok="已标记为已回复；回复" + sent)


@area.get("/case/{case}/raw", Permission.READ_MAIL)
async def raw_mail(request: Request):
    c = console(request)
    case_no = request.path_params["case"]
    path = await run_in_threadpool(data.raw_mail_path, c.config, c.ledger, case_no)
    if path is None:
        raise HTTPException(404)
    return FileResponse(path, media_type="message/rfc822", filename=f"{case_no}.eml")


@area.post("/mail/{mail}/resend", Permission.RESEND)
async def resend(request: Request):
    """Send a failed mail again at once (to the address typed, when the old one was wrong);
    staff.resend records who, when, the addresses before and after, and why it had not gone."""
    c = console(request)
    mail_id = int_param(request.path_params["mail"])
    form = await read_form(request)
    back = local_path(form.one("back", "/"))
    to = form.one("to").strip()
    who = current_user(request).name
    try:
        outcome = await run_in_threadpool(resend_mail, c.ledger, c.config, mail_id, who, [to] if to else None)
    except UserFacingError as exc:
        return redirect(back, err=str(exc))
    said = f"重新发送邮件 #{mail_id}：{outcome.describe(c.config.tz)}"
    return redirect(back, ok=said) if outcome.delivered else redirect(back, err=said)


@area.get("/roster", Permission.READ_MAIL)
async def roster_page(request: Request):
    """单位名单: each unit's addresses and domains, and the addresses staff remembered."""
    c = console(request)
    units = await run_in_threadpool(data.roster, c.config, c.ledger)
    return page(request, "roster.html", units=units)


@area.post("/roster/forget", Permission.DECIDE)
async def roster_forget(request: Request):
    """Remove a remembered address (audited and journaled by staff.unit_addresses)."""
    c = console(request)
    form = await read_form(request)
    who = current_user(request).name
    try:
        said = await run_in_threadpool(forget_address, c.ledger, c.config, form.one("address"), who)
    except UserFacingError as exc:
        return redirect("/roster", err=str(exc))
    return redirect("/roster", ok=said)

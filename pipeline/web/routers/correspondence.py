"""Every message received (search, filter, pages), answering a unit's letter, the raw mail."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse

from ...accounts import Permission
from ...errors import UserFacingError
from ...model import Status
from ...staff.replies import reply_to_unit
from .. import data
from ..http import Area, console, current_user, int_param, page, read_form, redirect

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
            return page(request, "reply_confirm.html", case_no=case_no, reply=preview, text=text)
        done = await run_in_threadpool(lambda: reply_to_unit(c.ledger, c.config, case_no, text, who))
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

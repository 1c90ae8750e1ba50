"""The start page (every unit's state, what needs doing), the audit log, the health check."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...accounts import Permission
from ...errors import UserFacingError
from ...reports.views import UnitState
from ...staff.reminders import remind_now
from .. import bulk, data
from ..http import PUBLIC, SIGNED_IN, Area, console, current_user, flash, home, page, read_form, redirect

area = Area("overview")


@area.get("/", SIGNED_IN)
async def overview(request: Request):
    user = current_user(request)
    if not user.may(Permission.OVERVIEW):  # reviewers start at scoring
        return RedirectResponse(home(user), status_code=303)
    c = console(request)
    q = request.query_params.get("q", "")
    state = request.query_params.get("state", "")
    info = await run_in_threadpool(data.overview, c.config, c.ledger, c.now(), q, state)
    return page(request, "overview.html", o=info, states=[s.value for s in UnitState], flash=flash(request))


@area.get("/audit", Permission.READ_MAIL)
async def audit(request: Request):
    """处理记录, filtered by words, person, action, case and dates; the same filter downloads
    as 处理记录.xlsx (downloads.audit_sheet)."""
    c = console(request)
    wanted = data.AuditFilter.from_query(request.query_params)
    rows = await run_in_threadpool(data.audit, c.config, c.ledger, wanted)
    people, actions = await run_in_threadpool(data.audit_choices, c.ledger)
    return page(
        request,
        "audit.html",
        rows=rows,
        f=wanted,
        people=people,
        actions=actions,
        limit=data.AUDIT_LIMIT,
        query=request.url.query,
    )


@area.get("/healthz", PUBLIC)
async def healthz(request: Request):
    return Response("ok", media_type="text/plain")


@area.get("/favicon.ico", PUBLIC)
async def favicon(request: Request):
    return Response(status_code=204)


# ---------------------------------------------------------------- several at once


@area.post("/bulk/accept/preview", Permission.DECIDE)
async def bulk_accept_preview(request: Request):
    """Step 1 of 受理所选: each ticked case's result and notice, before anything changes."""
    c = console(request)
    form = await read_form(request)
    picks = bulk.parse_picks(form.all("pick"))
    if not picks:
        return redirect("/#units", err="请先勾选要受理的单位。")
    lines = await run_in_threadpool(
        bulk.preview_accept, c.config, c.ledger, picks, current_user(request).name
    )
    return page(request, "bulk_confirm.html", lines=lines, ready=[x for x in lines if x.outcome])


@area.post("/bulk/accept", Permission.DECIDE)
async def bulk_accept(request: Request):
    """Step 2: accept each confirmed case (each its own decision and notice)."""
    c = console(request)
    form = await read_form(request)
    picks = bulk.parse_picks(form.all("pick"))
    if not picks:
        return redirect("/#units", err="没有要受理的单位。")
    lines, keys = await run_in_threadpool(
        bulk.accept_all, c.config, c.ledger, picks, current_user(request).name
    )
    done = [x for x in lines if x.outcome]
    refused = [f"{x.pick.case_no}（{x.unit}）：{x.refused}" for x in lines if not x.outcome]
    ok = ""
    if done:
        ok = f"已受理 {len(done)} 个：" + "、".join(f"{x.pick.case_no}（{x.unit}）" for x in done)
        ok += "；通知" + await run_in_threadpool(c.send_now, keys) if keys else ""
    return redirect("/#units", ok=ok, err=("未受理：" + "；".join(refused)) if refused else "")


@area.post("/bulk/remind", Permission.REMIND)
async def bulk_remind(request: Request):
    """催报所选: the ticked units that are 需补正 get today's reminder (as on the 催报 page)."""
    c = console(request)
    form = await read_form(request)
    picks = bulk.parse_picks(form.all("pick"))
    units = await run_in_threadpool(bulk.units_to_remind, c.ledger, picks)
    if not picks:
        return redirect("/#units", err="请先勾选要催报的单位。")
    if not units:
        return redirect("/#units", err="所选单位都不是“需补正”：待人工核对的由工作人员处理，不催报。")
    try:
        keys = await run_in_threadpool(remind_now, c.config, c.ledger, c.now(), units)
    except UserFacingError as exc:
        return redirect("/#units", err=str(exc))
    if not keys:
        return redirect("/#units", err="今天已经给所选单位发过催报，没有再发。")
    sent = await run_in_threadpool(c.send_now, keys)
    return redirect("/#units", ok=f"催报 {len(keys)} 封：{sent}")

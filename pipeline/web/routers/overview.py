"""The start page (every unit's state, what needs doing), the audit log, the health check."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...accounts import Permission
from ...reports.views import UnitState
from .. import data
from ..http import PUBLIC, SIGNED_IN, Area, console, current_user, flash, home, page

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

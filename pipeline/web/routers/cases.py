"""One submission: its page (the original beside what was read), decisions with a preview of
the unit's notice, corrections of misread values, and its files."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse

from ...accounts import Permission
from ...errors import UserFacingError
from ...model import Status
from ...staff.decisions import ACTIONS, DecisionRequest, apply_decision, correct_field, preview_decision
from ...staff.replies import reply_opening
from ...staff.reply_changes import decide_reply_change
from .. import data
from ..console import Console
from ..crops import cached_crop, stored_box
from ..http import (
    Area,
    FormData,
    console,
    current_user,
    flash,
    int_param,
    page,
    read_form,
    redirect,
    seen_version,
)
from ..previews import build_preview, page_path, stored_file

area = Area("cases")


def _may_open(request: Request, status: Status) -> None:
    """Reviewers open accepted nominations only; staff open everything."""
    if not current_user(request).may(Permission.READ_MAIL) and status is not Status.ACCEPTED:
        raise HTTPException(403, "评审专家只能查看已受理的推荐。")


@area.get("/case/{case}", Permission.VIEW_ACCEPTED)
async def case_page(request: Request):
    return await _case_page(request)


# What a preview's 返回修改 brings back into the page's forms (nothing else is echoed).
DRAFT_KEYS = ("action", "fix", "ask", "reason", "unit", "notify", "remember", "text")


@area.post("/case/{case}/edit", Permission.DECIDE)
async def edit_decision(request: Request):
    """返回修改 from a decision's preview: the page again, with the choice, the ticked problems,
    the added request and the reason as staff left them."""
    return await _case_page(request, await _draft(request))


@area.post("/case/{case}/reply/edit", Permission.REPLY)
async def edit_reply(request: Request):
    """返回修改 from a reply's preview: the page again with the reply's text in its box."""
    return await _case_page(request, await _draft(request))


async def _draft(request: Request) -> dict[str, list[str]]:
    form = await read_form(request)
    return {key: form.all(key) for key in DRAFT_KEYS}


async def _case_page(request: Request, draft: dict[str, list[str]] | None = None):
    c = console(request)
    case_no = request.path_params["case"]
    view = await run_in_threadpool(data.case_view, c.config, c.ledger, case_no)
    if view is None:
        raise HTTPException(404, f"找不到受理编号 {case_no}")
    _may_open(request, view.status)
    if not current_user(request).may(Permission.READ_MAIL):
        view = data.for_reviewer(view)
    previews = await run_in_threadpool(data.inline_previews, c.config, c.ledger, view)
    shared = []
    if current_user(request).may(Permission.READ_MAIL):
        every = await run_in_threadpool(data.shared_accounts, c.config, c.ledger)
        # (the account, the other units' cases naming it)
        shared = [
            (a, [c for c in a.cases if c[0] != case_no])
            for a in every
            if any(c[0] == case_no for c in a.cases)
        ]
    draft = draft or {}
    return page(
        request,
        "case.html",
        c=view,
        previews=previews,
        actions=[ACTIONS[a] for a in view.actions],
        units=[u.name for u in c.config.units],
        flash=flash(request),
        draft={key: draft.get(key, []) for key in DRAFT_KEYS},
        reply_opening=reply_opening(c.config, view),
        shared=shared,
    )


def _request_from(form: FormData, case_no: str, who: str) -> DecisionRequest:
    return DecisionRequest(
        action=form.one("action"),
        case_no=case_no,
        by=who,
        reason=form.one("reason").strip(),
        unit=form.one("unit") or None,
        fixes=form.all("fix"),
        ask=form.one("ask").strip(),
        notify=form.one("notify", "1") == "1",
        remember=form.one("remember") == "1",
        seen=seen_version(form),
    )


@area.post("/case/{case}/preview", Permission.DECIDE)
async def decide_preview(request: Request):
    """Step 1: show the result and the exact notice before anything changes."""
    c = console(request)
    case_no = request.path_params["case"]
    form = await read_form(request)
    req = _request_from(form, case_no, current_user(request).name)
    try:
        outcome = await run_in_threadpool(preview_decision, c.ledger, c.config, req)
    except UserFacingError as exc:
        return redirect(f"/case/{case_no}", err=str(exc))
    if outcome.notice is None:  # nothing goes to the unit: apply at once
        return await _apply(c, req)
    return page(
        request, "confirm.html", case_no=case_no, outcome=outcome, form=form, action=ACTIONS[req.action]
    )


@area.post("/case/{case}/decide", Permission.DECIDE)
async def decide(request: Request):
    """Step 2: staff confirmed the previewed notice."""
    form = await read_form(request)
    req = _request_from(form, request.path_params["case"], current_user(request).name)
    return await _apply(console(request), req)


async def _apply(c: Console, req: DecisionRequest):
    try:
        outcome = await run_in_threadpool(apply_decision, c.ledger, c.config, req)
    except UserFacingError as exc:
        return redirect(f"/case/{req.case_no}", err=str(exc))
    message = outcome.summary
    if outcome.outbox_key:
        message += "；通知" + await run_in_threadpool(c.send_now, [outcome.outbox_key])
    return redirect(f"/case/{req.case_no}", ok=message)


@area.post("/case/{case}/correct", Permission.DECIDE)
async def correct(request: Request):
    c = console(request)
    case_no = request.path_params["case"]
    form = await read_form(request)
    try:
        result = await run_in_threadpool(
            correct_field,
            c.ledger,
            c.config,
            case_no,
            form.one("field"),
            form.one("value"),
            current_user(request).name,
            form.one("why").strip(),
            seen=seen_version(form),
        )
    except UserFacingError as exc:
        return redirect(f"/case/{case_no}", err=str(exc))
    tail = ("；该栏仍有问题：" + "；".join(result.problems)) if result.problems else ""
    return redirect(f"/case/{case_no}", ok=result.summary + tail)


@area.post("/case/{case}/reply-change", Permission.DECIDE)
async def reply_change(request: Request):
    """One click: take (or leave) the changes a unit's reply asks for (staff/reply_changes.py)."""
    c = console(request)
    case_no = request.path_params["case"]
    form = await read_form(request)
    apply = form.one("decision") == "apply"
    try:
        result = await run_in_threadpool(
            lambda: decide_reply_change(
                c.ledger,
                c.config,
                form.one("letter"),
                current_user(request).name,
                apply=apply,
                reason=form.one("reason").strip(),
                seen=seen_version(form),
            )
        )
    except UserFacingError as exc:
        return redirect(f"/case/{case_no}", err=str(exc))
    message = result.summary
    if result.outbox_key:
        message += "；通知" + await run_in_threadpool(c.send_now, [result.outbox_key])
    return redirect(f"/case/{case_no}", ok=message)


# ---------------------------------------------------------------- files


async def _attachment(request: Request):
    """(console, attachment row, stored path) of a file of this case the person may open."""
    c = console(request)
    case_no = request.path_params["case"]
    att_id = int_param(request.path_params["att"])
    found = await run_in_threadpool(data.attachment, c.ledger, case_no, att_id)
    if found is None:
        raise HTTPException(404, "没有这个文件。")
    att, status = found
    _may_open(request, status)
    path = stored_file(c.config, att.path)
    if path is None:
        raise HTTPException(404, "文件不在存储中。")
    return c, att, path


@area.get("/case/{case}/file/{att}", Permission.VIEW_ACCEPTED)
async def file_download(request: Request):
    _, att, path = await _attachment(request)
    inline = request.query_params.get("inline") == "1" and att.kind == "视频"
    return FileResponse(
        path,
        media_type="video/mp4" if inline else "application/octet-stream",
        filename=att.name,
        content_disposition_type="inline" if inline else "attachment",
    )


@area.get("/case/{case}/file/{att}/preview", Permission.VIEW_ACCEPTED)
async def file_preview(request: Request):
    c, att, path = await _attachment(request)
    preview = await run_in_threadpool(build_preview, c.config, att.sha256, path, att.name)
    return page(request, "preview_frame.html", preview=preview)


@area.get("/case/{case}/file/{att}/page/{page}", Permission.VIEW_ACCEPTED)
async def file_page(request: Request):
    c, att, path = await _attachment(request)
    preview = await run_in_threadpool(build_preview, c.config, att.sha256, path, att.name)
    number = int_param(request.path_params["page"])
    image = page_path(c.config, att.sha256, number) if 1 <= number <= preview.pages else None
    if image is None:
        raise HTTPException(404)
    return FileResponse(image, media_type="image/jpeg", content_disposition_type="inline")


@area.get("/case/{case}/file/{att}/crop/{field}", Permission.VIEW_ACCEPTED)
async def file_crop(request: Request):
    """The original around one value read from this scan (`field`: the field's 1-based place
    in the form). The box is the one recorded for this file at intake, never the request's."""
    c, att, path = await _attachment(request)
    labels = c.config.form.labels
    number = int_param(request.path_params["field"])
    if not 1 <= number <= len(labels):
        raise HTTPException(404)
    box = stored_box(((att.facts or {}).get("boxes") or {}).get(labels[number - 1]))
    if box is None:
        raise HTTPException(404, "这个栏目在原件上的位置未知。")
    image = await run_in_threadpool(cached_crop, c.config, att.sha256, path, att.name, box)
    if image is None:
        raise HTTPException(404)
    return FileResponse(
        image,
        media_type="image/jpeg",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=3600"},
    )

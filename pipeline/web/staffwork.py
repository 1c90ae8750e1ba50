"""Console pages for the campaign's other work: reminders, the upstream packet,
scoring, the audit log and one's own password."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from ..errors import UserFacingError
from ..reports.scoring import ITEMS
from ..staff.decisions import DecisionRequest, apply_decision
from . import auth, data
from .app import _console, _flash, _session, flash_redirect, form_of, one, page, send_now, staff_only

# ---------------------------------------------------------------- reminders


@staff_only
async def reminders(request: Request):
    from ..staff.reminders import plan_reminders

    c = _console(request)
    plan = await run_in_threadpool(plan_reminders, c.config, c.ledger, c.now())
    return page(request, "reminders.html", plan=plan, flash=_flash(request))


@staff_only
async def reminders_send(request: Request):
    from ..outbox import enqueue, new_message
    from ..staff.reminders import plan_reminders

    c = _console(request)
    form = await form_of(request)
    chosen = set(form.get("unit", []))

    def send() -> list[str]:
        plan = plan_reminders(c.config, c.ledger, c.now())
        if plan.refused:
            raise UserFacingError(plan.refused)
        keys = []
        stamp = c.now().strftime("%Y%m%d")
        with c.ledger.session() as s:
            for r in plan.reminders:
                if r.unit not in chosen:
                    continue
                msg = new_message(c.config, r.to, r.subject, r.text)
                if c.config.this_level.staff:
                    msg["Cc"] = ", ".join(c.config.this_level.staff)
                # One manual reminder per unit per day, however often the button is pressed.
                key = f"reminder:manual-{stamp}:{r.unit}"
                if enqueue(s, c.config, key, "reminder", msg, r.case_no) is not None:
                    keys.append(key)
        return keys

    try:
        keys = await run_in_threadpool(send)
    except UserFacingError as exc:
        return flash_redirect("/reminders", error=str(exc))
    if not keys:
        return flash_redirect(
            "/reminders", error="没有写入新的催报（未选择单位，或今天已经给这些单位发过）。"
        )
    sent = await run_in_threadpool(send_now, c, keys)
    return flash_redirect("/reminders", message=f"催报 {len(keys)} 封：{sent}")


# ---------------------------------------------------------------- packet


@staff_only
async def packet(request: Request):
    from ..staff.packet import NothingSelected, PacketError, plan_packet
    from ..staff.scoring import scoring_board

    c = _console(request)
    board = await run_in_threadpool(scoring_board, c.config, c.ledger)
    try:
        plan = await run_in_threadpool(plan_packet, c.config, c.ledger)
        problem = ""
    except NothingSelected:
        plan, problem = (
            None,
            "尚未选定上报账号：请在上面“已受理的账号”中点“选定上报”，这里随即显示材料包的内容和发给上级的邮件。",
        )
    except PacketError as exc:
        plan, problem = None, str(exc)
    sent = await run_in_threadpool(_packet_mails, c)
    return page(
        request,
        "packet.html",
        plan=plan,
        problem=problem,
        board=board,
        upstream=c.config.upstream,
        sent=sent,
        flash=_flash(request),
    )


def _packet_mails(c) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    from ..ledger import OutboxRow

    states = {"sent": "已发送", "failed": "发送失败", "pending": "待发送", "sending": "发送中"}
    with c.ledger.session() as s:
        return [
            (
                o.subject,
                states.get(o.state, o.state)
                + (f"：{o.last_error}" if o.state == "failed" and o.last_error else ""),
                (o.sent_at or o.created_at).astimezone(c.config.tz).strftime("%Y-%m-%d %H:%M"),
            )
            for o in s.scalars(
                select(OutboxRow).where(OutboxRow.kind == "packet").order_by(OutboxRow.id.desc())
            )
        ]


@staff_only
async def packet_select(request: Request):
    c = _console(request)
    form = await form_of(request)
    req = DecisionRequest(
        action=one(form, "action"), case_no=one(form, "case"), by=_session(request).user.name
    )
    if req.action not in ("select", "unselect"):
        raise HTTPException(400)
    try:
        outcome = await run_in_threadpool(apply_decision, c.ledger, c.config, req)
    except UserFacingError as exc:
        return flash_redirect("/packet", error=str(exc))
    return flash_redirect("/packet", message=outcome.summary)


@staff_only
async def packet_send(request: Request):
    from ..staff.packet import run_packet

    c = _console(request)
    try:
        result = await run_in_threadpool(run_packet, c.config, True)
    except UserFacingError as exc:
        return flash_redirect("/packet", error=str(exc))
    return flash_redirect("/packet", message=result.replace("\n", "；"))


# ---------------------------------------------------------------- scoring


async def scoring(request: Request):
    from ..staff.scoring import scoring_board

    c = _console(request)
    user = _session(request).user
    board = await run_in_threadpool(scoring_board, c.config, c.ledger)
    mine = {(case, item): pts for (who, case, item), pts in board.scores.items() if who == user.name}
    return page(request, "scoring.html", board=board, items=ITEMS, mine=mine, me=user, flash=_flash(request))


async def scoring_save(request: Request):
    from ..staff.scoring import save_scores

    c = _console(request)
    user = _session(request).user
    if user.role != "reviewer":
        raise HTTPException(403, "只有评审专家可以打分。")
    case_no = request.path_params["case"]
    form = await form_of(request)
    points: dict[str, int | None] = {}
    for item in ITEMS:
        text = one(form, item.name).strip()
        if not text:
            points[item.name] = None
            continue
        if not text.isdigit():
            return flash_redirect("/scoring", error=f"“{item.name}”请填写整数（0～{item.max_points}）。")
        points[item.name] = int(text)
    try:
        await run_in_threadpool(lambda: save_scores(c.ledger, user.name, case_no, points, config=c.config))
    except UserFacingError as exc:
        return flash_redirect("/scoring", error=str(exc))
    return flash_redirect(f"/scoring#{case_no}", message=f"{case_no} 的评分已保存。")


async def scoring_export(request: Request):
    from ..staff.scoring import run_scoring

    c = _console(request)
    await run_in_threadpool(run_scoring, c.config)
    path = c.config.path(c.config.storage.reports_dir) / "评分表.xlsx"
    return FileResponse(
        path,
        filename="评分表.xlsx",
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# ---------------------------------------------------------------- audit, password


@staff_only
async def audit(request: Request):
    c = _console(request)
    q = request.query_params.get("q", "")
    rows = await run_in_threadpool(data.audit, c.config, c.ledger, q)
    return page(request, "audit.html", rows=rows, q=q)


async def password(request: Request):
    c = _console(request)
    user = _session(request).user
    if request.method == "GET":
        return page(request, "password.html", flash=_flash(request))
    form = await form_of(request)
    current, new, again = one(form, "current"), one(form, "new"), one(form, "again")
    if new != again:
        return flash_redirect("/password", error="两次输入的新密码不一致。")
    ok = await run_in_threadpool(auth.authenticate, c.ledger, user.name, current, "password-change")
    if ok is None:
        return flash_redirect("/password", error="当前密码不正确。")
    try:
        await run_in_threadpool(auth.reset_password, c.ledger, user.name, new, c.config)
    except UserFacingError as exc:
        return flash_redirect("/password", error=str(exc))
    return flash_redirect("/login", message="密码已修改，请重新登录。")


def routes() -> list[Route]:
    return [
        Route("/reminders", reminders),
        Route("/reminders/send", reminders_send, methods=["POST"]),
        Route("/packet", packet),
        Route("/packet/select", packet_select, methods=["POST"]),
        Route("/packet/send", packet_send, methods=["POST"]),
        Route("/scoring", scoring),
        Route("/scoring/export", scoring_export),
        Route("/scoring/{case}", scoring_save, methods=["POST"]),
        Route("/audit", audit),
        Route("/password", password, methods=["GET", "POST"]),
    ]

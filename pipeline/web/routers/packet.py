"""上报: choose the accounts for the next level, see the packet and its letter, send it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ...accounts import Permission
from ...errors import UserFacingError
from ...staff.decisions import DecisionRequest, apply_decision
from ...staff.packet import (
    NothingSelected,
    PacketError,
    ReplaceNotConfirmed,
    plan_packet,
    replace_question,
    run_packet,
)
from ...staff.packet_history import packet_history
from ...staff.scoring import scoring_board
from ..http import Area, console, current_user, flash, page, read_form, redirect

area = Area("packet")


def nothing_selected(noun: str) -> str:
    return (
        f"尚未选定上报{noun}：请在上面“已受理的{noun}”中点“选定上报”，"
        "这里随即显示材料包的内容和发给上级的邮件。"
    )


@area.get("/packet", Permission.PACKET)
async def packet(request: Request):
    c = console(request)
    board = await run_in_threadpool(scoring_board, c.config, c.ledger)
    try:
        plan, problem = await run_in_threadpool(plan_packet, c.config, c.ledger), ""
    except NothingSelected:
        plan, problem = None, nothing_selected(c.config.form.noun)
    except PacketError as exc:
        plan, problem = None, str(exc)
    history = await run_in_threadpool(packet_history, c.config, c.ledger)
    question = replace_question(c.config, plan.replaces) if plan and plan.replaces else ""
    return page(
        request,
        "packet.html",
        plan=plan,
        problem=problem,
        board=board,
        upstream=c.config.upstream,
        history=history,
        replace_question=question,
        flash=flash(request),
    )


@area.post("/packet/select", Permission.PACKET)
async def packet_select(request: Request):
    c = console(request)
    form = await read_form(request)
    req = DecisionRequest(action=form.one("action"), case_no=form.one("case"), by=current_user(request).name)
    if req.action not in ("select", "unselect"):
        raise HTTPException(400)
    try:
        outcome = await run_in_threadpool(apply_decision, c.ledger, c.config, req)
    except UserFacingError as exc:
        return redirect("/packet", err=str(exc))
    return redirect("/packet", ok=outcome.summary)


@area.post("/packet/send", Permission.PACKET)
async def packet_send(request: Request):
    c = console(request)
    form = await read_form(request)
    try:
        # Replacing a packet that went needs the box ticked (the page says what changes).
        result = await run_in_threadpool(run_packet, c.config, True, form.one("replace") == "yes")
    except ReplaceNotConfirmed:
        return redirect(
            "/packet", err="这次上报将替代此前发送的上报：请在下面勾选“我确认以本次为准”后再发送。"
        )
    except UserFacingError as exc:
        return redirect("/packet", err=str(exc))
    return redirect("/packet", ok=result.replace("\n", "；"))

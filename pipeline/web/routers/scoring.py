"""Scoring by reviewers (the campaign's 评议细则): their sheets, the board, 评分表.xlsx."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse

from ...accounts import Permission
from ...errors import UserFacingError
from ...staff.scoring import run_scoring, save_scores, scoring_board
from ..http import Area, console, current_user, flash, page, read_form, redirect

area = Area("scoring")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@area.get("/scoring", Permission.VIEW_SCORES)
async def scoring(request: Request):
    c = console(request)
    user = current_user(request)
    board = await run_in_threadpool(scoring_board, c.config, c.ledger)
    mine = {(case, item): pts for (who, case, item), pts in board.scores.items() if who == user.name}
    return page(
        request,
        "scoring.html",
        board=board,
        items=c.config.scoring.items,
        mine=mine,
        me=user,
        flash=flash(request),
    )


@area.get("/scoring/export", Permission.VIEW_SCORES)
async def scoring_export(request: Request):
    c = console(request)
    await run_in_threadpool(run_scoring, c.config)
    path = c.config.path(c.config.storage.reports_dir) / "评分表.xlsx"
    return FileResponse(path, filename="评分表.xlsx", media_type=XLSX)


@area.post("/scoring/{case}", Permission.SCORE)
async def scoring_save(request: Request):
    c = console(request)
    user = current_user(request)
    case_no = request.path_params["case"]
    form = await read_form(request)
    points: dict[str, int | None] = {}
    for item in c.config.scoring.items:
        text = form.one(item.name).strip()
        if not text:
            points[item.name] = None
        elif not text.isdigit():
            return redirect("/scoring", err=f"“{item.name}”请填写整数（0～{item.points}）。")
        else:
            points[item.name] = int(text)
    try:
        await run_in_threadpool(lambda: save_scores(c.ledger, user.name, case_no, points, config=c.config))
    except UserFacingError as exc:
        return redirect("/scoring", err=str(exc))
    return redirect(f"/scoring#{case_no}", ok=f"{case_no} 的评分已保存。")

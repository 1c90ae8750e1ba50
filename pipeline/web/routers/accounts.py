"""Signing in and out, one's own password, and (administrators) the console's accounts."""

from __future__ import annotations

import logging
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from ... import accounts
from ...accounts import ROLE_HELP, AccountError, Permission, Role, TooManyAttempts
from ..http import (
    LOGIN_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    Area,
    clear_cookie,
    client_address,
    console,
    csrf_ok,
    current_user,
    flash,
    home,
    local_path,
    page,
    read_form,
    redirect,
    set_cookie,
)

log = logging.getLogger(__name__)
area = Area("accounts")


@area.get("/login", PUBLIC)
async def login_form(request: Request):
    # Keep an existing token: a second sign-in tab (or the browser's own
    # requests) must not invalidate the form already on screen.
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = page(
        request, "login.html", login_csrf=token, next=request.query_params.get("next", "/"), error=""
    )
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600, samesite="strict")
    return response


@area.post("/login", PUBLIC)
async def login(request: Request):
    c = console(request)
    form = await read_form(request)
    if not csrf_ok(request.cookies.get(LOGIN_COOKIE), form.one("csrf")):
        return HTMLResponse("登录页面已过期，请刷新后重试。", status_code=403)
    name, password = form.one("name").strip(), form.one("password")
    nxt = local_path(form.one("next", "/"))
    address = client_address(request)

    def again(status: int, error: str):
        return page(
            request, "login.html", status_code=status, login_csrf=form.one("csrf"), next=nxt, error=error
        )

    try:
        user = await run_in_threadpool(
            accounts.check_password, c.ledger, name, password, address, c.login_limit
        )
    except TooManyAttempts as exc:
        log.info("sign-in refused for %r from %s: too many attempts", name, address)
        return again(429, str(exc))
    if user is None:
        log.info("failed sign-in for %r from %s", name, address)
        return again(401, "姓名或密码不正确。")
    token, _ = await run_in_threadpool(accounts.start_session, c.ledger, user, c.config.web.session_hours)
    response = RedirectResponse(nxt if user.may(Permission.OVERVIEW) else home(user), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, token, max_age=c.config.web.session_hours * 3600)
    clear_cookie(response, request, LOGIN_COOKIE, samesite="strict")
    return response


@area.post("/logout", Permission.OWN_ACCOUNT)
async def logout(request: Request):
    await run_in_threadpool(
        accounts.end_session, console(request).ledger, request.cookies.get(SESSION_COOKIE)
    )
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


@area.get("/password", Permission.OWN_ACCOUNT)
async def password_form(request: Request):
    return page(request, "password.html", flash=flash(request))


@area.post("/password", Permission.OWN_ACCOUNT)
async def password(request: Request):
    c = console(request)
    user = current_user(request)
    form = await read_form(request)
    if form.one("new") != form.one("again"):
        return redirect("/password", err="两次输入的新密码不一致。")
    try:
        await run_in_threadpool(
            accounts.change_own_password,
            c.ledger,
            user,
            form.one("current"),
            form.one("new"),
            client_address(request),
            c.config,
            c.login_limit,
        )
    except AccountError as exc:
        return redirect("/password", err=str(exc))
    return redirect("/login", ok="密码已修改，请重新登录。")


# ---------------------------------------------------------------- administrators


@area.get("/accounts", Permission.MANAGE_ACCOUNTS)
async def account_list(request: Request):
    rows = await run_in_threadpool(accounts.list_users, console(request).ledger)
    return page(
        request,
        "accounts.html",
        accounts=rows,
        roles=[(r.value, r.zh, ROLE_HELP[r]) for r in Role],
        min_password=accounts.MIN_PASSWORD,
        flash=flash(request),
    )


@area.post("/accounts/add", Permission.MANAGE_ACCOUNTS)
async def account_add(request: Request):
    c = console(request)
    form = await read_form(request)
    name = form.one("name").strip()
    if form.one("password") != form.one("again"):
        return redirect("/accounts", err="两次输入的密码不一致。")
    try:
        user = await run_in_threadpool(
            accounts.add_user, c.ledger, name, form.one("role"), form.one("password"), c.config
        )
    except AccountError as exc:
        return redirect("/accounts", err=str(exc))
    return redirect("/accounts", ok=f"已添加账号：{user.name}（{user.role_zh}）。")


@area.post("/accounts/reset", Permission.MANAGE_ACCOUNTS)
async def account_reset(request: Request):
    c = console(request)
    form = await read_form(request)
    name = form.one("name")
    if form.one("password") != form.one("again"):
        return redirect("/accounts", err="两次输入的密码不一致。")
    try:
        await run_in_threadpool(accounts.reset_password, c.ledger, name, form.one("password"), c.config)
    except AccountError as exc:
        return redirect("/accounts", err=str(exc))
    return redirect("/accounts", ok=f"已重设 {name} 的密码（账号已启用）；请把新密码当面或电话告诉本人。")


@area.post("/accounts/remove", Permission.MANAGE_ACCOUNTS)
async def account_remove(request: Request):
    c = console(request)
    form = await read_form(request)
    name = form.one("name")
    if name == current_user(request).name:
        return redirect("/accounts", err="不能停用自己正在使用的账号。")
    try:
        await run_in_threadpool(accounts.remove_user, c.ledger, name, c.config)
    except AccountError as exc:
        return redirect("/accounts", err=str(exc))
    return redirect("/accounts", ok=f"已停用账号：{name}（处理记录中的姓名保留）。")

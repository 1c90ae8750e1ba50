"""The staff console: a Starlette app serving server-rendered Jinja2 pages.

Every action calls the same staff functions as the command line
(pipeline/staff/), so a decision made here changes the ledger, writes the
audit row and composes the unit's notice exactly as `run.py decide` does.

Security, in one place (middleware below): anonymous requests go to the
sign-in page; every POST must carry the session's CSRF token; reviewers may
only reach the scoring pages and accepted submissions; responses carry a
strict Content-Security-Policy (no inline script, nothing from elsewhere)
and are never cached.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from functools import wraps
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..config import Config
from ..errors import UserFacingError
from ..ledger import Ledger
from ..model import FORM_LABELS, Status
from ..reports.views import UnitState
from ..staff.decisions import ACTIONS, DecisionRequest, apply_decision, correct_field, preview_decision
from . import auth, data
from .render import Renderer

log = logging.getLogger(__name__)

SESSION_COOKIE = "intake_session"
LOGIN_COOKIE = "intake_login"  # CSRF token of the sign-in form (no session yet)
STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "web" / "static"
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PUBLIC = ("/login", "/static/", "/healthz", "/favicon.ico")


class Console:
    """Per-app state: configuration, ledger and templates."""

    def __init__(self, config: Config, ledger: Ledger | None = None):
        self.config = config
        self.ledger = ledger or Ledger(config.database_url)
        self.render = Renderer(config)

    def now(self) -> datetime:
        return datetime.now(self.config.tz)


def _console(request: Request) -> Console:
    return request.app.state.console


def _session(request: Request) -> auth.Session | None:
    return getattr(request.state, "session", None)


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    session = _session(request)
    html = _console(request).render.page(
        name,
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def flash_redirect(url: str, message: str = "", error: str = "") -> RedirectResponse:
    """Back to `url` (which may end in #anchor) with a one-time message in the query."""
    base, hash_, anchor = url.partition("#")
    params = {k: v for k, v in (("ok", message), ("err", error)) if v}
    query = ("?" + urlencode(params)) if params else ""
    return RedirectResponse(base + query + hash_ + anchor, status_code=303)


def staff_only(endpoint):
    """Reviewers get 403 on everything staff do (decide, correct, read mail...)."""

    @wraps(endpoint)
    async def wrapper(request: Request):
        session = _session(request)
        if session is None or not session.user.is_staff:
            raise HTTPException(403, "此页面只对工作人员开放。")
        return await endpoint(request)

    return wrapper


async def form_of(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


def one(form: dict[str, list[str]], key: str, default: str = "") -> str:
    return (form.get(key) or [default])[0]


# ---------------------------------------------------------------- middleware


class Guard:
    """Sessions, CSRF, access and security headers for every request (pure ASGI)."""

    def __init__(self, app, console: Console):
        self.app = app
        self.console = console

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        token = request.cookies.get(SESSION_COOKIE)
        session = await run_in_threadpool(auth.load_session, self.console.ledger, token)
        scope.setdefault("state", {})["session"] = session
        path = request.url.path
        public = (
            path == "/login"
            or any(path.startswith(p) for p in PUBLIC if p.endswith("/"))
            or path == "/healthz"
        )
        response: Response | None = None
        if session is None and not public:
            if request.method == "GET":
                response = RedirectResponse(
                    "/login?next="
                    + quote(
                        str(request.url.path) + (("?" + request.url.query) if request.url.query else ""),
                        safe="",
                    ),
                    status_code=303,
                )
            else:
                response = HTMLResponse("请先登录。", status_code=401)
        elif request.method == "POST" and path != "/login":
            body = await request.body()
            given = _csrf_from(request, body)
            if not auth.csrf_ok(session.csrf if session else None, given):
                response = HTMLResponse(
                    "请求缺少有效的安全令牌（可能页面已过期），请返回刷新后重试。", status_code=403
                )
            else:
                receive = _replay(body)
        elif session is not None and not session.user.is_staff and not _reviewer_may(path):
            response = HTMLResponse(
                self.console.render.page(
                    "error.html",
                    user=session.user,
                    csrf=session.csrf,
                    path=path,
                    title="无权访问",
                    message="评审专家只能使用评分页面和查看已受理的推荐。",
                ),
                status_code=403,
            )

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                for k, v in (
                    ("content-security-policy", CSP),
                    ("x-content-type-options", "nosniff"),
                    ("referrer-policy", "same-origin"),
                    ("x-frame-options", "DENY"),
                    ("cache-control", "no-store"),
                ):
                    headers.append((k.encode(), v.encode()))
            await send(message)

        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _reviewer_may(path: str) -> bool:
    return path == "/" or path.startswith(("/scoring", "/logout", "/static/", "/case/", "/password"))


def _csrf_from(request: Request, body: bytes) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qs

        values = parse_qs(body.decode("utf-8", "replace")).get("csrf")
        return values[0] if values else None
    if ctype.startswith("multipart/form-data"):
        import re

        m = re.search(rb'name="csrf"\r\n\r\n([^\r\n]*)\r\n', body)
        return m.group(1).decode("ascii", "replace") if m else None
    return None


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


# ---------------------------------------------------------------- sign-in


async def login_page(request: Request):
    c = _console(request)
    if request.method == "GET":
        # Keep an existing token: a second sign-in tab (or the browser's own
        # requests) must not invalidate the form already on screen.
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        response = page(
            request, "login.html", login_csrf=token, next=request.query_params.get("next", "/"), error=""
        )
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), max_age=3600
        )
        return response
    form = await form_of(request)
    if not auth.csrf_ok(request.cookies.get(LOGIN_COOKIE), one(form, "csrf")):
        return HTMLResponse("登录页面已过期，请刷新后重试。", status_code=403)
    name, password = one(form, "name").strip(), one(form, "password")
    nxt = one(form, "next", "/")
    if not nxt.startswith("/") or nxt.startswith("//"):
        nxt = "/"
    address = _client(request)
    limit = c.config.web.login_attempts_per_15min
    if await run_in_threadpool(auth.login_blocked, c.ledger, name, address, limit):
        return page(
            request,
            "login.html",
            status_code=429,
            login_csrf=one(form, "csrf"),
            next=nxt,
            error="登录失败次数过多，请 15 分钟后再试。",
        )
    user = await run_in_threadpool(auth.authenticate, c.ledger, name, password, address)
    if user is None:
        log.info("failed sign-in for %r from %s", name, address)
        return page(
            request,
            "login.html",
            status_code=401,
            login_csrf=one(form, "csrf"),
            next=nxt,
            error="姓名或密码不正确。",
        )
    token, _ = await run_in_threadpool(auth.start_session, c.ledger, user, c.config.web.session_hours)
    response = RedirectResponse(nxt if user.is_staff else "/scoring", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=c.config.web.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


async def logout(request: Request):
    await run_in_threadpool(auth.end_session, _console(request).ledger, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def healthz(request: Request):
    return Response("ok", media_type="text/plain")


async def favicon(request: Request):
    return Response(status_code=204)


# ---------------------------------------------------------------- overview and lists


async def overview(request: Request):
    c = _console(request)
    session = _session(request)
    if not session.user.is_staff:
        return RedirectResponse("/scoring", status_code=303)
    q = request.query_params.get("q", "")
    state = request.query_params.get("state", "")
    info = await run_in_threadpool(data.overview, c.config, c.ledger, c.now(), q, state)
    return page(request, "overview.html", o=info, states=[s.value for s in UnitState], flash=_flash(request))


@staff_only
async def message_list(request: Request):
    c = _console(request)
    try:
        number = int(request.query_params.get("page", "1"))
    except ValueError:
        number = 1
    result = await run_in_threadpool(
        data.messages,
        c.config,
        c.ledger,
        request.query_params.get("q", ""),
        request.query_params.get("status", ""),
        number,
    )
    return page(request, "messages.html", m=result, statuses=[(s.value, s.zh) for s in Status])


def _flash(request: Request) -> dict:
    return {"ok": request.query_params.get("ok", ""), "err": request.query_params.get("err", "")}


# ---------------------------------------------------------------- one submission


async def case_page(request: Request):
    c = _console(request)
    case_no = request.path_params["case"]
    view = await run_in_threadpool(data.case_view, c.config, c.ledger, case_no)
    if view is None:
        raise HTTPException(404, f"找不到受理编号 {case_no}")
    if not _session(request).user.is_staff and view.status is not Status.ACCEPTED:
        raise HTTPException(403, "评审专家只能查看已受理的推荐。")
    previews = await run_in_threadpool(_inline_previews, c, view)
    return page(
        request,
        "case.html",
        c=view,
        previews=previews,
        actions=[ACTIONS[a] for a in view.actions],
        units=[u.name for u in c.config.units],
        labels=FORM_LABELS,
        flash=_flash(request),
    )


INLINE_KINDS = ("推荐表", "图片")  # shown in the page at once; other files on request


def _inline_previews(c: Console, view: data.CaseView) -> dict:
    """Page images of the form and the pictures (rendered once, then cached)."""
    from ..ledger import AttachmentRow
    from .previews import build_preview, stored_file

    out = {}
    for f in view.files:
        if f.kind not in INLINE_KINDS:
            continue
        with c.ledger.session() as s:
            att = s.get(AttachmentRow, f.id)
            path = stored_file(c.config, att.path if att else None)
        if path is not None:
            out[f.id] = build_preview(c.config, f.sha256, path, f.name)
    return out


def seen_version(form: dict[str, list[str]]) -> int | None:
    """The case's version the page was rendered with (a hidden field); None when absent."""
    value = one(form, "version")
    return int(value) if value.isdigit() else None


def _request_from(form: dict[str, list[str]], case_no: str, who: str) -> DecisionRequest:
    return DecisionRequest(
        action=one(form, "action"),
        case_no=case_no,
        by=who,
        reason=one(form, "reason").strip(),
        unit=one(form, "unit") or None,
        fixes=form.get("fix", []),
        ask=one(form, "ask").strip(),
        notify=one(form, "notify", "1") == "1",
        seen=seen_version(form),
    )


@staff_only
async def decide_preview(request: Request):
    """Step 1: show the result and the exact notice before anything changes."""
    c = _console(request)
    case_no = request.path_params["case"]
    form = await form_of(request)
    req = _request_from(form, case_no, _session(request).user.name)
    try:
        outcome = await run_in_threadpool(preview_decision, c.ledger, c.config, req)
    except UserFacingError as exc:
        return flash_redirect(f"/case/{case_no}", error=str(exc))
    if outcome.notice is None:  # nothing goes to the unit: apply at once
        return await _apply(request, c, req)
    return page(
        request, "confirm.html", case_no=case_no, outcome=outcome, form=form, action=ACTIONS[req.action]
    )


async def _apply(request: Request, c: Console, req: DecisionRequest):
    try:
        outcome = await run_in_threadpool(apply_decision, c.ledger, c.config, req)
    except UserFacingError as exc:
        return flash_redirect(f"/case/{req.case_no}", error=str(exc))
    message = outcome.summary
    if outcome.outbox_key:
        message += "；通知" + await run_in_threadpool(send_now, c, [outcome.outbox_key])
    return flash_redirect(f"/case/{req.case_no}", message=message)


def send_now(c: Console, keys: list[str]) -> str:
    """Send what was just queued and say what happened to each (the worker retries what fails)."""
    from ..outbox import send_now as deliver

    outcomes = deliver(c.ledger, c.config, keys)
    return "；".join(o.describe(c.config.tz) for o in outcomes) or "邮件已写入发件箱。"


@staff_only
async def decide_apply(request: Request):
    """Step 2: staff confirmed the previewed notice."""
    c = _console(request)
    form = await form_of(request)
    req = _request_from(form, request.path_params["case"], _session(request).user.name)
    return await _apply(request, c, req)


@staff_only
async def correct(request: Request):
    c = _console(request)
    case_no = request.path_params["case"]
    form = await form_of(request)
    try:
        result = await run_in_threadpool(
            correct_field,
            c.ledger,
            c.config,
            case_no,
            one(form, "field"),
            one(form, "value"),
            _session(request).user.name,
            one(form, "why").strip(),
            seen=seen_version(form),
        )
    except UserFacingError as exc:
        return flash_redirect(f"/case/{case_no}", error=str(exc))
    tail = ("；该栏仍有问题：" + "；".join(result.problems)) if result.problems else ""
    return flash_redirect(f"/case/{case_no}", message=result.summary + tail)


@staff_only
async def reply(request: Request):
    from ..staff.replies import reply_to_unit

    c = _console(request)
    case_no = request.path_params["case"]
    form = await form_of(request)
    text = one(form, "text")
    who = _session(request).user.name
    try:
        if one(form, "confirm") != "1":
            preview = await run_in_threadpool(
                lambda: reply_to_unit(c.ledger, c.config, case_no, text, who, preview=True)
            )
            return page(
                request,
                "reply_confirm.html",
                case_no=case_no,
                reply=preview,
                text=text,
                version=one(form, "version"),
            )
        seen = seen_version(form)
        done = await run_in_threadpool(
            lambda: reply_to_unit(c.ledger, c.config, case_no, text, who, seen=seen)
        )
    except UserFacingError as exc:
        return flash_redirect(f"/case/{case_no}", error=str(exc))
    sent = await run_in_threadpool(send_now, c, [done.outbox_key] if done.outbox_key else [])
    return flash_redirect(f"/case/{case_no}", message="已标记为已回复；回复" + sent)


# ---------------------------------------------------------------- files


async def _attachment(request: Request):
    c = _console(request)
    case_no = request.path_params["case"]
    try:
        att_id = int(request.path_params["att"])
    except ValueError as exc:
        raise HTTPException(404) from exc
    found = await run_in_threadpool(data.attachment, c.ledger, case_no, att_id)
    if found is None:
        raise HTTPException(404, "没有这个文件。")
    att, status = found
    if not _session(request).user.is_staff and status is not Status.ACCEPTED:
        raise HTTPException(403)
    from .previews import stored_file

    path = stored_file(c.config, att.path)
    if path is None:
        raise HTTPException(404, "文件不在存储中。")
    return c, att, path


async def file_download(request: Request):
    _, att, path = await _attachment(request)
    inline = request.query_params.get("inline") == "1" and att.kind == "视频"
    media = "video/mp4" if inline else "application/octet-stream"
    return FileResponse(
        path,
        media_type=media,
        filename=att.name,
        content_disposition_type="inline" if inline else "attachment",
    )


async def file_preview(request: Request):
    from .previews import build_preview, page_path

    c, att, path = await _attachment(request)
    preview = await run_in_threadpool(build_preview, c.config, att.sha256, path, att.name)
    if "page" not in request.path_params:
        return page(request, "preview_frame.html", preview=preview)
    try:
        number = int(request.path_params["page"])
    except ValueError as exc:
        raise HTTPException(404) from exc
    image = page_path(c.config, att.sha256, number) if 1 <= number <= preview.pages else None
    if image is None:
        raise HTTPException(404)
    return FileResponse(image, media_type="image/jpeg", content_disposition_type="inline")


@staff_only
async def raw_mail(request: Request):
    c = _console(request)
    case_no = request.path_params["case"]
    view = await run_in_threadpool(data.case_view, c.config, c.ledger, case_no)
    if view is None:
        raise HTTPException(404)
    from ..ledger import MessageRow

    def raw_path():
        with c.ledger.session() as s:
            row = s.get(MessageRow, view.row_id)
            return row.raw_path

    path = Path(await run_in_threadpool(raw_path))
    raw_root = c.config.path(c.config.storage.raw_dir).resolve()
    if path.is_symlink() or not path.resolve().is_relative_to(raw_root) or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type="message/rfc822", filename=f"{case_no}.eml")


# ---------------------------------------------------------------- app


async def http_error(request: Request, exc: HTTPException):
    messages = {401: "请先登录。", 403: "无权访问此页面。", 404: "找不到这个页面。"}
    message = (
        exc.detail
        if isinstance(exc.detail, str) and exc.detail not in ("Forbidden", "Not Found")
        else messages.get(exc.status_code, "出错了。")
    )
    session = _session(request)
    html = _console(request).render.page(
        "error.html",
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        path=request.url.path,
        title=messages.get(exc.status_code, "出错了"),
        message=message,
    )
    return HTMLResponse(html, status_code=exc.status_code)


async def server_error(request: Request, exc: Exception):
    log.exception("console error on %s", request.url.path)
    return HTMLResponse("服务器出错了，详细信息已写入日志。请返回重试，或联系管理员。", status_code=500)


def create_app(config: Config, ledger: Ledger | None = None) -> Starlette:
    from . import staffwork

    console = Console(config, ledger)
    routes = [
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/favicon.ico", favicon),
        Route("/", overview),
        Route("/messages", message_list),
        Route("/case/{case}", case_page),
        Route("/case/{case}/preview", decide_preview, methods=["POST"]),
        Route("/case/{case}/decide", decide_apply, methods=["POST"]),
        Route("/case/{case}/correct", correct, methods=["POST"]),
        Route("/case/{case}/reply", reply, methods=["POST"]),
        Route("/case/{case}/raw", raw_mail),
        Route("/case/{case}/file/{att}", file_download),
        Route("/case/{case}/file/{att}/preview", file_preview),
        Route("/case/{case}/file/{att}/page/{page}", file_preview),
        *staffwork.routes(),
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.console = console
    app.add_middleware(Guard, console=console)
    return app

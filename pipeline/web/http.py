"""HTTP helpers every console router shares, so each router holds only its pages.

- `Area`: a router's routes, each declaring the permission it needs
  (accounts.roles is the one table of who has which); a route cannot be
  registered without saying who may use it.
- The signed-in person, the client's address, the page renderer.
- Forms (`read_form`), CSRF tokens, cookies (Secure whenever the console is
  reached over https, by its configured `web.base_url` or the request).
- Redirects that carry a one-time message (kept server-side: a signed cookie
  the guard sets, never the URL, so a crafted link cannot show a fake
  "已受理"), and the error pages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import parse_qs, quote, unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..accounts import Permission, Session, User
from .console import Console

log = logging.getLogger(__name__)

SESSION_COOKIE = "intake_session"
LOGIN_COOKIE = "intake_login"  # CSRF token of the sign-in form (no session yet)

Endpoint = Callable[[Request], Awaitable[Response]]


class Access:
    """Who may use a route besides a permission: anyone, or anyone signed in."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


PUBLIC = Access("PUBLIC")  # no sign-in needed (the sign-in page, the health check)
SIGNED_IN = Access("SIGNED_IN")  # any signed-in person; the page decides what they see


class Area:
    """One area of the console (overview, cases, …): its routes and who may use each.

    Each endpoint is wrapped so that a signed-in person lacking the route's
    permission gets the 403 page before the endpoint runs; the permission is
    kept on the route's endpoint (`endpoint.permission`) for tests and docs.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []

    def route(self, path: str, need: Permission | Access, methods: tuple[str, ...] = ("GET",)):
        def register(endpoint: Endpoint) -> Endpoint:
            self.routes.append(Route(path, _guarded(endpoint, need), methods=list(methods)))
            return endpoint

        return register

    def get(self, path: str, need: Permission | Access):
        return self.route(path, need)

    def post(self, path: str, need: Permission | Access):
        return self.route(path, need, ("POST",))


def _guarded(endpoint: Endpoint, need: Permission | Access) -> Endpoint:
    @wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        if need is not PUBLIC:
            user = current_user(request)
            if isinstance(need, Permission) and not user.may(need):
                raise HTTPException(403, f"{user.role_zh}账号不能{need.zh}。")
        return await endpoint(request)

    wrapper.permission = need  # type: ignore[attr-defined]
    return wrapper


# ---------------------------------------------------------------- request state


def console(request: Request) -> Console:
    return request.app.state.console


def current_session(request: Request) -> Session | None:
    """Set by the guard middleware for every request."""
    return getattr(request.state, "session", None)


def current_user(request: Request) -> User:
    session = current_session(request)
    if session is None:  # the guard sends anonymous requests to sign in first; never reached
        raise HTTPException(401, "请先登录。")
    return session.user


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def local_path(target: str, default: str = "/") -> str:
    """`target` if it is a path of this site (never //elsewhere or https://elsewhere), else `default`."""
    return (
        target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default
    )


def home(user: User) -> str:
    """Where a person lands after signing in: the overview, or scoring for reviewers."""
    return "/" if user.may(Permission.OVERVIEW) else "/scoring"


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """A page of templates/web/, with the signed-in person and their CSRF token."""
    session = current_session(request)
    context.setdefault("flash", flash(request))
    html = console(request).render.page(
        name,
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


# ---------------------------------------------------------------- forms and CSRF


class FormData(dict[str, list[str]]):
    """A posted form: every value of every key (files are ignored)."""

    def one(self, key: str, default: str = "") -> str:
        return (self.get(key) or [default])[0]

    def all(self, key: str) -> list[str]:
        return list(self.get(key, []))


def seen_version(form: FormData) -> int | None:
    """The case's version the page was rendered with (its hidden `version` field): a decision,
    correction or reply applies to what the person saw (staff.decisions.take); None when absent."""
    value = form.one("version")
    return int(value) if value.isdigit() else None


async def read_form(request: Request) -> FormData:
    form = await request.form()
    out = FormData()
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)


_MULTIPART_CSRF = re.compile(rb'name="csrf"\r\n\r\n([^\r\n]*)\r\n')


def csrf_from(request: Request, body: bytes) -> str | None:
    """The token a POST carries: the X-CSRF-Token header or the form's `csrf` field."""
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get("csrf")
        return values[0] if values else None
    if ctype.startswith("multipart/form-data"):
        m = _MULTIPART_CSRF.search(body)
        return m.group(1).decode("ascii", "replace") if m else None
    return None


# ---------------------------------------------------------------- cookies


def secure_cookies(request: Request) -> bool:
    """Mark cookies Secure whenever staff reach the console over https: the configured
    `web.base_url` says so (a proxy in front may not send a header), or the request does."""
    base_url = console(request).config.web.base_url
    return (
        base_url.lower().startswith("https://")
        or request.url.scheme == "https"
        or request.headers.get("x-forwarded-proto") == "https"
    )


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int, samesite: str = "lax"
) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite=samesite, secure=secure_cookies(request), max_age=max_age
    )


def clear_cookie(response: Response, request: Request, name: str, samesite: str = "lax") -> None:
    response.delete_cookie(name, httponly=True, samesite=samesite, secure=secure_cookies(request))


# ---------------------------------------------------------------- redirects and messages

FLASH_COOKIE = "intake_flash"
# How a redirect hands its message to the guard (which signs it into FLASH_COOKIE and
# removes this header): the routers need not know the key or the request.
FLASH_HEADER = "x-intake-flash"
FLASH_LIMIT = 400  # characters of each message kept (3 bytes each, base64: a cookie holds about 4 KB)


def redirect(url: str, ok: str = "", err: str = "") -> RedirectResponse:
    """Back to `url` (which may end in #anchor) with a one-time message, shown once on the
    page it lands on. The message never rides in the URL: see `FLASH_HEADER`."""
    response = RedirectResponse(url, status_code=303)
    if ok or err:
        payload = json.dumps({"ok": ok[:FLASH_LIMIT], "err": err[:FLASH_LIMIT]}, ensure_ascii=False)
        response.headers[FLASH_HEADER] = quote(payload, safe="")
    return response


def sign_flash(key: bytes, header_value: str) -> str:
    """The cookie value for a redirect's message: base64 JSON and its HMAC."""
    payload = unquote(header_value).encode("utf-8")
    body = base64.urlsafe_b64encode(payload).decode("ascii")
    mac = hmac.new(key, body.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def read_flash(key: bytes, cookie: str | None) -> dict[str, str] | None:
    """The message a signed cookie carries; None when absent or not signed by this console."""
    if not cookie or "." not in cookie:
        return None
    body, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(
        mac, hmac.new(key, body.encode("ascii", "replace"), hashlib.sha256).hexdigest()
    ):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    return {"ok": str(data.get("ok") or ""), "err": str(data.get("err") or "")}


def flash(request: Request) -> dict[str, str]:
    """The one-time message the last redirect left (shown at the top of the page)."""
    return getattr(request.state, "flash", None) or {"ok": "", "err": ""}


def int_param(value: str | None, default: int | None = None) -> int:
    """A whole number from the URL; 404 when it is not one (and there is no default)."""
    try:
        return int(value or "")
    except ValueError:
        if default is None:
            raise HTTPException(404) from None
        return default


# ---------------------------------------------------------------- errors

_TITLES = {401: "请先登录", 403: "无权访问", 404: "找不到这个页面"}
_MESSAGES = {401: "请先登录。", 403: "无权访问此页面。", 404: "找不到这个页面。"}


def error_page(request: Request, status_code: int, message: str = "") -> HTMLResponse:
    return page(
        request,
        "error.html",
        status_code=status_code,
        title=_TITLES.get(status_code, "出错了"),
        message=message or _MESSAGES.get(status_code, "出错了。"),
    )


async def http_error(request: Request, exc: HTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else ""
    english = detail in ("Forbidden", "Not Found", "Unauthorized", "Bad Request", "Method Not Allowed")
    return error_page(request, exc.status_code, "" if english else detail)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("console error on %s", request.url.path)
    return HTMLResponse("服务器出错了，详细信息已写入日志。请返回重试，或联系管理员。", status_code=500)

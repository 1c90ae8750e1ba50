"""The guard in front of every console request (a pure ASGI middleware).

- loads the session from its cookie (accounts.sessions) into `request.state`;
- sends anonymous requests to the sign-in page (GET) or refuses them (401);
- refuses a POST without the session's CSRF token (the sign-in form checks
  its own token);
- adds the security headers: a strict Content-Security-Policy (no inline
  script, nothing from elsewhere), no framing, no sniffing, no caching;
- keeps the one-time message of a redirect (http.redirect) server-side: signs
  it into a cookie with the console's key, reads it on the next request and
  clears it once an HTML page has shown it. A message in a URL is never shown.

Which signed-in person may use which page is not decided here: each route
declares its permission (http.Area, accounts.roles).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..accounts import load_session
from .console import Console
from .http import (
    FLASH_COOKIE,
    FLASH_HEADER,
    SESSION_COOKIE,
    csrf_from,
    csrf_ok,
    read_flash,
    secure_cookies,
    sign_flash,
)

CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
)
PUBLIC_PATHS = ("/login", "/healthz", "/favicon.ico")
PUBLIC_PREFIXES = ("/static/",)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class Guard:
    def __init__(self, app, console: Console):
        self.app = app
        self.console = console

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        session = await run_in_threadpool(
            load_session, self.console.ledger, request.cookies.get(SESSION_COOKIE)
        )
        scope.setdefault("state", {})["session"] = session
        had_flash = FLASH_COOKIE in request.cookies
        scope["state"]["flash"] = read_flash(self.console.flash_key, request.cookies.get(FLASH_COOKIE))
        secure = secure_cookies(request)
        path = request.url.path
        response: Response | None = None
        if session is None and not is_public(path):
            if request.method == "GET":
                target = path + (("?" + request.url.query) if request.url.query else "")
                response = RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
            else:
                response = HTMLResponse("请先登录。", status_code=401)
        elif request.method == "POST" and path != "/login":
            body = await request.body()
            if not csrf_ok(session.csrf if session else None, csrf_from(request, body)):
                response = HTMLResponse(
                    "请求缺少有效的安全令牌（可能页面已过期），请返回刷新后重试。", status_code=403
                )
            else:
                receive = _replay(body)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                flash = [v for k, v in headers if k.lower() == FLASH_HEADER.encode()]
                headers[:] = [(k, v) for k, v in headers if k.lower() != FLASH_HEADER.encode()]
                headers.extend((k.encode(), v.encode()) for k, v in HEADERS)
                if flash:
                    value = sign_flash(self.console.flash_key, flash[-1].decode("latin-1"))
                    headers.append(_cookie(FLASH_COOKIE, value, 120, secure))
                elif had_flash and _shows_page(message, headers):
                    headers.append(_cookie(FLASH_COOKIE, "", 0, secure))
            await send(message)

        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _replay(body: bytes):
    """The request body again, for the endpoint (the guard has read it to find the token)."""
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _cookie(name: str, value: str, max_age: int, secure: bool) -> tuple[bytes, bytes]:
    """A Set-Cookie header (max_age 0 removes the cookie)."""
    response = Response()
    if max_age:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure)
    else:
        response.delete_cookie(name, httponly=True, samesite="lax", secure=secure)
    return next((k, v) for k, v in response.raw_headers if k == b"set-cookie")


def _shows_page(message, headers) -> bool:
    """An HTML page (not a redirect, a picture or a download) that shows the message."""
    if not 200 <= message.get("status", 200) < 300:
        return message.get("status", 200) >= 400  # an error page shows it too
    return any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)

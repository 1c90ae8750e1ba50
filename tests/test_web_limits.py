"""Limits that hold under load (issue 17.4), reproduced the way they were found.

- 60 parallel wrong sign-ins for one account against `run.py web`: before,
  20–25 of them got "wrong password" (their passwords were checked) against
  a limit of 5; now exactly 5 are checked and the rest are refused unchecked.
- Two console servers on one ledger (SQLite and PostgreSQL), argon2
  verifications counted: still 5.
- `/password` took unlimited guesses at the current password; now it counts
  against the same limit.
- With `web.base_url: https://…` the cookies lacked `Secure` unless a proxy
  header was sent; now they carry it.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import pytest
from argon2 import PasswordHasher
from console_env import PASSWORDS, ROLES, add_accounts, bare_config, start_console
from mailservers import SmtpServer, free_port
from starlette.testclient import TestClient

from pipeline.accounts import passwords
from pipeline.config import load_config
from pipeline.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HTTPS_BASE = "https://intake.example.cn"
STORM = 60
LIMIT = 5  # web.login_attempts_per_15min's default


@pytest.fixture(scope="module")
def https_console(tmp_path_factory, dovecot_server):
    """`run.py web` configured as reached over https (behind a proxy that sends no header)."""
    tmp = tmp_path_factory.mktemp("limits")
    smtp = SmtpServer()
    smtp.up()
    config, url = bare_config(tmp, dovecot_server, smtp, HTTPS_BASE)
    add_accounts(config, {"刘晶晶": "staff", "王评委": "reviewer"})
    process = start_console(config, url, tmp)
    yield url
    process.terminate()
    process.wait(10)
    smtp.cleanup()


def request(url: str, method: str, path: str, form: dict | None = None, cookies: dict | None = None):
    """One plain-http request, no redirects followed: (status, Set-Cookie headers, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers.get_all("Set-Cookie") or [], response.read().decode()
    finally:
        conn.close()


def cookie_value(set_cookies: list[str], name: str) -> str:
    line = next(c for c in set_cookies if c.startswith(name + "="))
    return line.split(";", 1)[0].split("=", 1)[1]


def login_form(url: str) -> tuple[str, str, list[str]]:
    """(CSRF token, login cookie, Set-Cookie headers) of a fresh sign-in page."""
    status, set_cookies, body = request(url, "GET", "/login")
    assert status == 200
    return CSRF.search(body).group(1), cookie_value(set_cookies, "intake_login"), set_cookies


def storm(urls: list[str], name: str) -> list[int]:
    """STORM wrong passwords for `name` at once (one thread each, released together)."""
    forms = [login_form(url) for url in urls]
    start = threading.Barrier(STORM)

    def attempt(i: int) -> int:
        url = urls[i % len(urls)]
        token, cookie, _ = forms[i % len(urls)]
        start.wait()
        form = {"name": name, "password": f"wrong-{i}", "csrf": token, "next": "/"}
        return request(url, "POST", "/login", form, {"intake_login": cookie})[0]

    with ThreadPoolExecutor(STORM) as pool:
        return list(pool.map(attempt, range(STORM)))


def test_sixty_parallel_wrong_sign_ins_check_five_passwords(https_console):
    codes = storm([https_console], "王评委")
    # 401: the password was checked and was wrong; 429: refused without checking it.
    assert codes.count(401) == LIMIT and codes.count(429) == STORM - LIMIT, sorted(codes)
    token, cookie, _ = login_form(https_console)
    right = {"name": "王评委", "password": PASSWORDS["王评委"], "csrf": token, "next": "/"}
    status, _, body = request(https_console, "POST", "/login", right, {"intake_login": cookie})
    assert status == 429 and "15 分钟" in body


def test_cookies_are_secure_when_the_console_is_reached_over_https(https_console, tmp_path, dovecot_server):
    token, cookie, set_cookies = login_form(https_console)
    assert "secure" in next(c for c in set_cookies if c.startswith("intake_login=")).lower()
    form = {"name": "刘晶晶", "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"}
    status, set_cookies, _ = request(https_console, "POST", "/login", form, {"intake_login": cookie})
    assert status == 303
    session = next(c for c in set_cookies if c.startswith("intake_session="))
    assert "secure" in session.lower() and "httponly" in session.lower(), session
    # Signing out clears the cookie with the same attributes.
    status, body_cookies, page = request(
        https_console,
        "GET",
        "/password",
        cookies={"intake_session": cookie_value(set_cookies, "intake_session")},
    )
    csrf = CSRF.search(page).group(1)
    status, set_cookies, _ = request(
        https_console,
        "POST",
        "/logout",
        {"csrf": csrf},
        {"intake_session": cookie_value(set_cookies, "intake_session")},
    )
    assert (
        status == 303 and "secure" in next(c for c in set_cookies if c.startswith("intake_session=")).lower()
    )

    # A console configured (and reached) over plain http keeps working in a browser: no Secure.
    smtp = SmtpServer()
    smtp.up()
    try:
        config, url = bare_config(tmp_path, dovecot_server, smtp, "http://127.0.0.1:8080")
        client = TestClient(create_app(load_config(config)), follow_redirects=False)
        assert "secure" not in client.get("/login").headers["set-cookie"].lower()
    finally:
        smtp.cleanup()


class CountingHasher(PasswordHasher):
    """argon2 (the suite's cheap cost, conftest) counting the password checks it makes.
    With `overlap` set, each check is held until that many are under way, so a storm's
    checks run side by side as the console's slow argon2 (0.2 CPU-s a check) makes them,
    without spending its CPU; the hold ends on the check that completes the number (or
    after HOLD_SECONDS, should the server run them one at a time)."""

    HOLD_SECONDS = 5.0

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checks = 0
        self.overlap = 0
        self._started = threading.Condition()

    def verify(self, hash, password):  # noqa: A002  (argon2's own parameter name)
        with self._started:
            self.checks += 1
            self._started.notify_all()
            self._started.wait_for(lambda: self.checks >= self.overlap, timeout=self.HOLD_SECONDS)
        return super().verify(hash, password)


@pytest.fixture
def counting(monkeypatch) -> CountingHasher:
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "HASHER", hasher)
    return hasher


def _serve(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_consoles_on_one_ledger_check_five_passwords(
    database, request, tmp_path, dovecot_server, counting
):
    """Two servers (as `serve` with the console plus a separate `run.py web`), each with its own
    connection pool, share one ledger: the limit is held by the database, not by one process."""
    from pipeline.accounts import add_user
    from pipeline.ledger import Ledger

    url = (
        request.getfixturevalue("pg_cluster").create_database("limits") if database == "postgresql" else None
    )
    smtp = SmtpServer()
    smtp.up()
    servers = []
    try:
        config_path, _ = bare_config(tmp_path, dovecot_server, smtp, "", url)
        config = load_config(config_path)
        add_user(Ledger(config.database_url), "王评委", ROLES["王评委"], PASSWORDS["王评委"])
        urls = []
        for _ in range(2):
            port = free_port()
            servers.append(_serve(create_app(config), port))
            urls.append(f"http://127.0.0.1:{port}")
        for server, _ in servers:
            while not server.started:  # uvicorn reports when it listens
                time.sleep(0.05)
        counting.checks, counting.overlap = 0, LIMIT  # the checks the limit lets through, side by side
        codes = storm(urls, "王评委")
        assert counting.checks == LIMIT, (counting.checks, sorted(codes))
        assert codes.count(401) == LIMIT and codes.count(429) == STORM - LIMIT
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(10)
        smtp.cleanup()


def test_the_current_password_on_the_password_page_is_limited_too(tmp_path, dovecot_server, counting):
    from pipeline.accounts import add_user
    from pipeline.ledger import Ledger

    smtp = SmtpServer()
    smtp.up()
    try:
        config_path, _ = bare_config(tmp_path, dovecot_server, smtp, "")
        config = load_config(config_path)
        add_user(Ledger(config.database_url), "刘晶晶", "staff", PASSWORDS["刘晶晶"])
        client = TestClient(create_app(config), follow_redirects=False)
        token = CSRF.search(client.get("/login").text).group(1)
        form = {"name": "刘晶晶", "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"}
        assert client.post("/login", data=form).status_code == 303
        csrf = CSRF.search(client.get("/password").text).group(1)
        counting.checks = 0
        answers = []
        for i in range(8):
            guess = {
                "current": f"guess-{i}",
                "new": "brand-new-pass-1",
                "again": "brand-new-pass-1",
                "csrf": csrf,
            }
            r = client.post("/password", data=guess)
            assert r.status_code == 303
            answers.append(client.get(r.headers["location"]).text)
        assert counting.checks == LIMIT
        assert all("当前密码不正确" in a for a in answers[:LIMIT])
        assert all("登录失败次数过多" in a for a in answers[LIMIT:])
        # While the limit holds, not even the right current password is checked.
        right = {
            "current": PASSWORDS["刘晶晶"],
            "new": "brand-new-pass-1",
            "again": "brand-new-pass-1",
            "csrf": csrf,
        }
        r = client.post("/password", data=right)
        assert "登录失败次数过多" in client.get(r.headers["location"]).text and counting.checks == LIMIT
    finally:
        smtp.cleanup()

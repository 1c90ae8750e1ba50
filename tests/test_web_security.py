"""Console security: hostile mail content is inert on every page, roles hold,
anonymous requests go to sign-in, CSRF is required, file routes stay inside a
submission's own files, passwords are never stored or logged in clear, and
sign-in attempts are rate limited. In-process against a real ledger filled by
`run.py once` through dovecot (starlette's TestClient)."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from console_env import PASSWORDS, build, flashed
from intake_env import export
from starlette.testclient import TestClient

from pipeline.config import load_config
from pipeline.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def console(tmp_path_factory, dovecot_server):
    env = build(tmp_path_factory.mktemp("console"), dovecot_server, start_web=False)
    yield env
    env.smtp.cleanup()


def client(console) -> TestClient:
    return TestClient(create_app(load_config(console.config)), follow_redirects=False)


def sign_in(c: TestClient, name: str) -> str:
    page = c.get("/login")
    token = CSRF.search(page.text).group(1)
    r = c.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": token, "next": "/"})
    assert r.status_code == 303, r.text
    return CSRF.search(c.get("/password").text).group(1)


def test_anonymous_requests_go_to_sign_in(console):
    c = client(console)
    case = console.cases["sh-1@shzj.example.cn"]
    for path in ("/", "/messages", f"/case/{case}", "/scoring", "/audit", f"/case/{case}/file/1", "/packet"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert c.post(f"/case/{case}/decide", data={"action": "accept"}).status_code == 401


class Elements(HTMLParser):
    """Every element and attribute the browser would build from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def test_hostile_mail_is_inert_on_every_page(console):
    c = client(console)
    sign_in(c, "刘晶晶")
    evil = console.cases["evil-1@attacker.example"]
    pages = [
        "/",
        "/messages",
        f"/messages?q={evil}",
        f"/case/{evil}",
        "/audit",
        "/reminders",
        "/packet",
        "/scoring",
    ]
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code)
        parser = Elements()
        parser.feed(r.text)
        # The only scripts are the console's own files (the case page's zoom), none inline.
        scripts = [attrs for tag, attrs in parser.elements if tag == "script"]
        assert all(a.get("src", "").startswith("/static/") for a in scripts), (path, scripts)
        for tag, attrs in parser.elements:
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
            if tag == "img":
                assert attrs["src"].startswith("/case/"), (path, attrs)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    case_html = c.get(f"/case/{evil}").text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in case_html  # shown to staff as text


def test_reviewers_cannot_decide_correct_or_read_mail(console):
    c = client(console)
    csrf = sign_in(c, "王评委")
    scan = console.cases["bj-scan@bj.example.cn"]
    question = console.cases["tj-q@tj.example.cn"]
    for path in ("/messages", "/reminders", "/packet", "/audit", f"/case/{question}", f"/case/{scan}/raw"):
        assert c.get(path).status_code == 403, path
    for path, data in (
        (f"/case/{scan}/preview", {"action": "accept"}),
        (f"/case/{scan}/decide", {"action": "accept"}),
        (f"/case/{scan}/edit", {"action": "accept"}),
        (f"/case/{question}/reply/edit", {"text": "可以"}),
        (f"/case/{scan}/correct", {"field": "联系人", "value": "x"}),
        (f"/case/{question}/reply", {"text": "可以"}),
        ("/packet/select", {"action": "select", "case": scan}),
        ("/packet/send", {}),
        ("/reminders/send", {"unit": "天津市针灸学会"}),
        ("/mail/1/resend", {"to": "evil@attacker.example"}),
    ):
        r = c.post(path, data={**data, "csrf": csrf})
        assert r.status_code == 403, (path, r.status_code)
    # Not accepted yet: reviewers cannot open it either.
    assert c.get(f"/case/{scan}").status_code == 403
    assert c.get("/scoring").status_code == 200


def test_reviewers_see_the_nomination_not_the_mail_that_brought_it(console):
    """Issue 20.6: a reviewer opening an accepted nomination sees its fields and files, not the
    sender's address, the mail's subject, the staff's notes or the notices to the unit."""
    accepted = next(r for r in export(console.config) if r["status"] == "accepted")
    c = client(console)
    sign_in(c, "王评委")
    page = c.get(f"/case/{accepted['case_no']}").text
    assert accepted["fields"]["账号名称"] in page
    assert accepted["sender"] not in page and accepted["subject"] not in page
    assert "处理记录" not in page and "发给单位的邮件" not in page and "下载原始邮件" not in page
    staff = client(console)
    sign_in(staff, "刘晶晶")
    page = staff.get(f"/case/{accepted['case_no']}").text
    assert accepted["sender"] in page and accepted["subject"] in page


def test_a_post_without_the_csrf_token_is_refused(console):
    c = client(console)
    csrf = sign_in(c, "刘晶晶")
    case = console.cases["sh-1@shzj.example.cn"]
    assert c.post(f"/case/{case}/correct", data={"field": "联系人", "value": "x"}).status_code == 403
    assert (
        c.post(f"/case/{case}/correct", data={"field": "联系人", "value": "x", "csrf": "forged"}).status_code
        == 403
    )
    r = c.post(f"/case/{case}/correct", data={"field": "运营人数", "value": "6", "csrf": csrf})
    assert "更正" in flashed(c, r)["ok"]
    # The sign-in form has its own token too.
    fresh = client(console)
    assert fresh.post("/login", data={"name": "刘晶晶", "password": PASSWORDS["刘晶晶"]}).status_code == 403


def test_a_crafted_link_cannot_show_a_message(console):
    """Issue 20.11: a one-time message is the console's own, never a URL's. A link carrying
    ?ok=已受理 (or a forged message cookie) shows nothing; a real one shows once, then is gone."""
    c = client(console)
    csrf = sign_in(c, "刘晶晶")
    case = console.cases["sh-1@shzj.example.cn"]
    for url in (f"/case/{case}?ok=已受理", "/?ok=已受理&err=x", f"/case/{case}?err=退回"):
        page = c.get(url).text
        assert 'class="flash' not in page and "已受理</div>" not in page, url
    c.cookies.set("intake_flash", "eyJvayI6ICLlt7Llj5fnkIYifQ==.0000")
    assert 'class="flash' not in c.get("/").text
    c.cookies.delete("intake_flash")
    r = c.post(f"/case/{case}/correct", data={"field": "运营人数", "value": "7", "csrf": csrf})
    assert "?" not in r.headers["location"] and "更正" in flashed(c, r)["ok"]
    assert 'class="flash' not in c.get(r.headers["location"]).text  # shown once
    # Another person's browser never sees it.
    other = client(console)
    sign_in(other, "张主任")
    assert 'class="flash' not in other.get(f"/case/{case}").text


def test_file_routes_stay_inside_the_submissions_own_files(console):
    c = client(console)
    sign_in(c, "刘晶晶")
    scan = console.cases["bj-scan@bj.example.cn"]
    other = console.cases["sh-1@shzj.example.cn"]
    page = c.get(f"/case/{scan}").text
    ids = sorted({int(m) for m in re.findall(rf"/case/{scan}/file/(\d+)", page)})
    other_ids = sorted(
        {int(m) for m in re.findall(rf"/case/{other}/file/(\d+)", c.get(f"/case/{other}").text)}
    )
    assert ids and other_ids
    assert c.get(f"/case/{scan}/file/{ids[0]}").status_code == 200
    assert c.get(f"/case/{scan}/file/{other_ids[0]}").status_code == 404  # another case's file
    for path in (
        f"/case/{scan}/file/..%2F..%2F..%2Fetc%2Fpasswd",
        f"/case/{scan}/file/%2Fetc%2Fpasswd",
        f"/case/{scan}/file/{ids[0]}/page/..%2F..%2Fmeta.json",
        f"/case/..%2F..%2Fdata/file/{ids[0]}",
    ):
        assert c.get(path).status_code == 404, path
    # A stored file replaced by a symlink is refused, not followed.
    from pipeline.ledger import AttachmentRow, Ledger

    config = load_config(console.config)
    with Ledger(config.database_url).session() as s:
        target = Path(s.get(AttachmentRow, other_ids[0]).path)
    saved = target.read_bytes()
    target.unlink()
    os.symlink("/etc/passwd", target)
    try:
        r = c.get(f"/case/{other}/file/{other_ids[0]}")
        assert r.status_code == 404 and b"root:" not in r.content
    finally:
        target.unlink()
        target.write_bytes(saved)


def test_passwords_are_never_stored_or_logged_in_clear(console):
    c = client(console)
    sign_in(c, "刘晶晶")
    c.post("/login", data={"name": "王评委", "password": "wrong-password-xyz"})
    root = console.config.parent
    for path in [p for p in root.rglob("*") if p.is_file()]:
        blob = path.read_bytes()
        for secret in (*PASSWORDS.values(), "wrong-password-xyz"):
            assert secret.encode() not in blob, (path, secret)
    from pipeline.ledger import Ledger, UserRow

    with Ledger(load_config(console.config).database_url).session() as s:
        hashes = [u.password_hash for u in s.query(UserRow).all()]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_sign_in_attempts_are_rate_limited(console):
    c = client(console)
    token = CSRF.search(c.get("/login").text).group(1)
    codes = [
        c.post(
            "/login", data={"name": "李评委", "password": f"bad-{i}", "csrf": token, "next": "/"}
        ).status_code
        for i in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    # Even the right password is refused while the account is locked out.
    r = c.post("/login", data={"name": "李评委", "password": PASSWORDS["李评委"], "csrf": token, "next": "/"})
    assert r.status_code == 429 and "15 分钟" in r.text


def test_every_route_says_who_may_use_it():
    """Access is declared per route (accounts/roles.py is the one table); only the sign-in page,
    the health check and the icon are open without signing in, as the guard lets them be."""
    from pipeline.accounts import Permission
    from pipeline.web.guard import is_public
    from pipeline.web.http import PUBLIC, SIGNED_IN
    from pipeline.web.routers import AREAS

    seen = set()
    for area in AREAS:
        for route in area.routes:
            need = route.endpoint.permission
            assert isinstance(need, Permission) or need in (PUBLIC, SIGNED_IN), (route.path, need)
            assert (need is PUBLIC) == is_public(route.path), route.path
            for method in route.methods - {"HEAD"}:
                assert (method, route.path) not in seen, (method, route.path)
                seen.add((method, route.path))
    assert {p for _, p in seen if is_public(p)} == {"/login", "/healthz", "/favicon.ico"}


def test_only_administrators_manage_accounts(console):
    new = {"name": "钱评委", "role": "reviewer", "password": "review-pass-7777", "again": "review-pass-7777"}
    for name in ("刘晶晶", "王评委"):
        c = client(console)
        csrf = sign_in(c, name)
        assert c.get("/accounts").status_code == 403, name
        for path, data in (
            ("/accounts/add", new),
            ("/accounts/reset", {"name": "刘晶晶", "password": "taken-over-1", "again": "taken-over-1"}),
            ("/accounts/remove", {"name": "张主任"}),
        ):
            assert c.post(path, data={**data, "csrf": csrf}).status_code == 403, (name, path)
    admin = client(console)
    csrf = sign_in(admin, "张主任")
    page = admin.get("/accounts")
    assert page.status_code == 200 and "王评委" in page.text and "$argon2" not in page.text
    # An administrator is a member of staff too.
    scan = console.cases["bj-scan@bj.example.cn"]
    for path in ("/", "/messages", f"/case/{scan}", "/reminders", "/audit"):
        assert admin.get(path).status_code == 200, path
    # ...who cannot lock themselves out.
    r = admin.post("/accounts/remove", data={"name": "张主任", "csrf": csrf})
    assert "不能停用自己" in flashed(admin, r)["err"] and admin.get("/accounts").status_code == 200
    # Nobody was added, reset or disabled by the refused requests above.
    c = client(console)
    sign_in(c, "刘晶晶")
    assert "钱评委" not in page.text


def test_staff_mark_a_strangers_mail_as_spam_and_can_undo_it(console):
    """The console's button for intake's spam mark (17.8): a stranger's mail is marked spam
    (nothing is sent, it leaves the to-do list), on the version the page showed; a stale page is
    refused in Chinese; 指定单位 brings it back."""
    c = client(console)
    sign_in(c, "刘晶晶")
    evil = console.cases["evil-1@attacker.example"]
    html = c.get(f"/case/{evil}").text
    assert 'value="spam"' in html and "标记为垃圾邮件" in html
    csrf = CSRF.search(html).group(1)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    sent = len(console.smtp.messages())
    r = c.post(f"/case/{evil}/preview", data={"action": "spam", "csrf": csrf, "version": version})
    assert "垃圾邮件" in flashed(c, r)["ok"]
    assert len(console.smtp.messages()) == sent
    page = c.get(f"/case/{evil}").text
    assert "工作人员标记为垃圾邮件" in page  # the mark, shown with the case's other notes
    assert 'value="spam"' not in page and 'value="assign"' in page
    assert evil not in c.get("/").text.split("各单位")[0]  # not among the things to do
    # The same page posted again is stale: refused in Chinese, nothing changes.
    r = c.post(f"/case/{evil}/preview", data={"action": "spam", "csrf": csrf, "version": version})
    assert "请刷新后再决定" in flashed(c, r)["err"]
    # Undo: assign it to a unit (the version of the page now).
    html = c.get(f"/case/{evil}").text
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    r = c.post(
        f"/case/{evil}/preview",
        data={"action": "assign", "unit": "天津市针灸学会", "notify": "0", "csrf": csrf, "version": version},
    )
    assert r.status_code in (200, 303)

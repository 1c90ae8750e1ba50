"""A real installation for the console tests: dovecot with submissions as units
send them (a stamped scan, a Word form, an Excel form, a question, hostile mail),
`run.py once` through a real SMTP server, console accounts made with
`run.py user add --password-stdin`, and `run.py web` serving on loopback."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import yaml
from intake_env import DOCX, ROOT, TZ, Nomination, export, run, submission, write_config
from mailservers import SmtpServer, free_port
from samples import article_docx, form_scan
from shared_readings import shared_readings

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
PASSWORDS = {
    "刘晶晶": "staff-pass-一二三4",
    "王评委": "review-pass-5678",
    "李评委": "review-pass-9012",
    "张主任": "admin-pass-3456",
}
ROLES = {"刘晶晶": "staff", "王评委": "reviewer", "李评委": "reviewer", "张主任": "admin"}


@dataclass
class Console:
    config: Path
    smtp: SmtpServer
    url: str
    process: subprocess.Popen | None
    cases: dict[str, str]  # message id -> case number

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _scan_mail(nom: Nomination) -> bytes:
    msg = EmailMessage()
    msg["From"] = "北京针灸学会 <bjzj@bj.example.cn>"
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "北京针灸学会推荐表（盖章扫描件）"
    msg["Message-ID"] = "<bj-scan@bj.example.cn>"
    msg.set_content("附件为盖章扫描件和图文案例。")
    msg.add_attachment(form_scan(nom), maintype="image", subtype="png", filename="推荐表扫描件.png")
    msg.add_attachment(
        article_docx("北京：针灸科普进社区"), maintype=DOCX[0], subtype=DOCX[1], filename="图文案例.docx"
    )
    return msg.as_bytes()


def _question() -> bytes:
    msg = EmailMessage()
    msg["From"] = "天津市针灸学会 <tjzj@tj.example.cn>"
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "请问视频可以用网盘发送吗？"
    msg["Message-ID"] = "<tj-q@tj.example.cn>"
    msg.set_content("老师您好，我们的视频有 300 MB，邮件发不了，可以用网盘链接吗？谢谢！")
    return msg.as_bytes()


def _hostile() -> bytes:
    """Markup everywhere a sender controls: name, subject, file names, field values."""
    from samples import form_docx

    nom = Nomination.sample("名单外单位", f"账号{HOSTILE}", 联系人=HOSTILE, 账号简介=HOSTILE)
    msg = EmailMessage()
    msg["From"] = f'"{HOSTILE}" <evil@attacker.example>'
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = f"推荐表{HOSTILE}"
    msg["Message-ID"] = "<evil-1@attacker.example>"
    msg.set_content(f"推荐材料 {HOSTILE}")
    msg.add_attachment(form_docx(nom), maintype=DOCX[0], subtype=DOCX[1], filename=f"推荐表{HOSTILE}.docx")
    msg.add_attachment(article_docx("案例"), maintype=DOCX[0], subtype=DOCX[1], filename="<b>案例</b>.docx")
    return msg.as_bytes()


def build(
    tmp: Path,
    dovecot,
    *,
    start_web: bool = True,
    base_url: bool | str = True,
    mails: list[bytes] | None = None,
    units: list[dict] | None = None,
) -> Console:
    """`base_url`: True for the console's own http address, or a given address (https://…).
    `mails`/`units`: other mail than the usual five, and the roster they need."""
    user = f"console-{secrets.token_hex(4)}@example.org"
    password = secrets.token_urlsafe(12)
    dovecot.add_user(user, password)
    smtp = SmtpServer()
    smtp.up()
    upstream = {
        "name": "中国科协调研宣传部",
        "addresses": ["xcc@cast.example.org.cn"],
        "deadline": "2021-08-10 00:00",
        "accounts": 1,
    }
    config = write_config(tmp, dovecot, (user, password), smtp, upstream=upstream, units=units)
    port = free_port()
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["web"] = {
        "host": "127.0.0.1",
        "port": port,
        **(
            {"base_url": base_url if isinstance(base_url, str) else f"http://127.0.0.1:{port}"}
            if base_url
            else {}
        ),
    }
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    when = datetime(2021, 7, 21, 9, 0, tzinfo=TZ)
    scan = Nomination.sample("北京针灸学会", "京针之声", 联系人="许诺", 手机="13912345678", 粉丝数量="1.1万")
    mails = mails or [
        _scan_mail(scan),
        submission(
            "a@shzj.example.cn",
            "上海推荐",
            "sh-1@shzj.example.cn",
            nomination=Nomination.sample("上海市针灸学会", "海上针灸", 粉丝数量="5.6万"),
            xlsx=True,
        ),
        submission(
            "jszj@js.example.cn",
            "江苏推荐",
            "js-1@js.example.cn",
            nomination=Nomination.sample("江苏省针灸学会", "江苏针灸", 粉丝数量="8000"),
        ),
        _question(),
        _hostile(),
    ]
    for raw in mails:
        dovecot.append(user, password, "INBOX", raw, when)
    with shared_readings():  # the scan is scenery here: read once per test run (conftest.py)
        run(config, "once")
    add_accounts(config)
    cases = {r["message_id"]: r["case_no"] for r in export(config)}
    url = f"http://127.0.0.1:{port}"
    process = start_console(config, url, tmp) if start_web else None
    return Console(config, smtp, url, process, cases)


def add_accounts(config: Path, accounts: dict[str, str] | None = None) -> None:
    """`run.py user add … --password-stdin`, as an administrator would (name -> role)."""
    for name, role in (accounts or ROLES).items():
        run(config, "user", "add", name, "--role", role, "--password-stdin", input=PASSWORDS[name] + "\n")


def start_console(config: Path, url: str, home: Path) -> subprocess.Popen:
    """`run.py web` on its configured port; returns once /healthz answers."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "web", "--config", str(config)],
        cwd=config.parent,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Waits for the event (the console answering), not for a time: the deadline only
    # ends a start-up that failed without exiting.
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
            return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                out = process.stdout.read().decode() if process.poll() is not None else ""
                if process.poll() is None:
                    process.kill()
                raise AssertionError(f"console did not start: {out}") from None
            time.sleep(0.2)


def bare_config(
    tmp: Path, dovecot, smtp, base_url: str, database: str | None = None, deadline: datetime | None = None
) -> tuple[Path, str]:
    """An installation with no mail in it (the console's limits, its buttons): (config, console URL)."""
    config = write_config(
        tmp, dovecot, ("nobody@example.org", "unused"), smtp, **({"deadline": deadline} if deadline else {})
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    port = free_port()
    data["web"] = {"host": "127.0.0.1", "port": port, "base_url": base_url}
    if database:
        data["storage"]["database"] = database
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config, f"http://127.0.0.1:{port}"


_FLASH = {kind: re.compile(rf'<div class="flash {kind}"[^>]*>(.*?)</div>', re.S) for kind in ("ok", "err")}


def flashed(client, response) -> dict[str, str]:
    """The one-time message a console redirect left, as the page it leads to shows it
    (TestClient with follow_redirects=False): {"ok": …, "err": …}, "" when none."""
    import html

    assert response.status_code == 303, (response.status_code, response.text[:500])
    page = client.get(response.headers["location"]).text
    found = {kind: pattern.search(page) for kind, pattern in _FLASH.items()}
    return {kind: html.unescape(m.group(1)) if m else "" for kind, m in found.items()}


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def client_signed_in(config, name: str = "刘晶晶"):
    """The console in this process (starlette TestClient, redirects not followed), signed in
    as `name` through the sign-in form; the account must exist. `config`: a loaded Config."""
    from starlette.testclient import TestClient

    from pipeline.web.app import create_app

    c = TestClient(create_app(config), follow_redirects=False)
    token = _CSRF.search(c.get("/login").text).group(1)
    c.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": token, "next": "/"})
    return c


def page_signed_in(browser, url: str, name: str, width: int):
    """A chromium page `width` px wide, signed in to the console at `url` as `name`."""
    from browser import new_page

    page = new_page(browser, width)
    page.goto(url + "/")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url
    return page

"""处理记录 can be filtered (person, action, case, dates, words) and downloaded as .xlsx
(issue 20, Missing). The sheet holds what the filter matched, every text cell stays text
(a reason typed as "=HYPERLINK(…)" is not a formula), and a printed page says what it lists."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from urllib.parse import unquote

import openpyxl
import pytest
import yaml
from browser import shoot, sideways_overflow
from console_env import PASSWORDS, ROLES, add_accounts, page_signed_in, start_console
from intake_env import TZ, Nomination, export, run, submission, write_config
from mailservers import free_port
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.ledger import Ledger
from pipeline.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HOSTILE = '=HYPERLINK("http://evil.example/","点此")'
NAME_FORMULA = "=SUM(1,1)"  # a person's name typed as a formula


@pytest.fixture
def decided(tmp_path, dovecot_server, imap_account, smtp_server):
    """北京's and 上海's submissions, decided by two people."""
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account
    for sender, unit, msg_id in (
        ("bjzj@bj.example.cn", "北京针灸学会", "a-bj@bj.example.cn"),
        ("a@shzj.example.cn", "上海市针灸学会", "a-sh@shzj.example.cn"),
    ):
        raw = submission(sender, f"{unit}推荐", msg_id, nomination=Nomination.sample(unit, f"{unit[:2]}之声"))
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    cases = {r["message_id"]: r["case_no"] for r in export(config)}
    bj, sh = cases["a-bj@bj.example.cn"], cases["a-sh@shzj.example.cn"]
    run(config, "decide", "withdraw", bj, "--by", "刘晶晶", "--reason", "单位来电要求撤回")
    run(config, "decide", "reject", sh, "--by", "赵老师", "--reason", HOSTILE)
    run(config, "decide", "answered", sh, "--by", NAME_FORMULA)
    return config, bj, sh


def client(config_path, name: str = "刘晶晶") -> TestClient:
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    add_user(ledger, name, ROLES[name], PASSWORDS[name])
    c = TestClient(create_app(config), follow_redirects=False)
    token = CSRF.search(c.get("/login").text).group(1)
    c.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": token, "next": "/"})
    return c


def listed(page: str, case: str) -> bool:
    body = page[page.index("<tbody>") :]
    return f'href="/case/{case}"' in body


def test_the_audit_filters_by_person_action_case_and_date(decided):
    config, bj, sh = decided
    c = client(config)
    everything = c.get("/audit").text
    assert listed(everything, bj) and listed(everything, sh)
    assert '<option value="赵老师"' in everything and '<option value="reject"' in everything

    by_zhao = c.get("/audit", params={"who": "赵老师"}).text
    assert listed(by_zhao, sh) and not listed(by_zhao, bj)
    withdrawn = c.get("/audit", params={"action": "withdraw"}).text
    assert listed(withdrawn, bj) and not listed(withdrawn, sh)
    one_case = c.get("/audit", params={"case": bj}).text
    assert listed(one_case, bj) and not listed(one_case, sh)
    today = datetime.now(TZ).date()
    assert listed(c.get("/audit", params={"since": str(today), "until": str(today)}).text, bj)
    tomorrow = c.get("/audit", params={"since": str(today + timedelta(days=1))}).text
    assert "没有符合条件的处理记录" in tomorrow and not listed(tomorrow, bj)
    # Conditions combine.
    assert "没有符合条件的处理记录" in c.get("/audit", params={"who": "赵老师", "action": "withdraw"}).text
    # Dates as staff type them; one that is not a date is not filtered by, and the page says so.
    for typed in (f"{today:%Y/%m/%d}", f"{today.year}年{today.month}月{today.day}日", f"{today:%Y%m%d}"):
        page = c.get("/audit", params={"since": typed, "until": typed}).text
        assert listed(page, bj) and f'value="{today}"' in page, typed
    unread = c.get("/audit", params={"since": "昨天"})
    assert unread.status_code == 200 and listed(unread.text, bj)
    assert "没看懂日期“昨天”，没有按它筛选" in unread.text


def test_the_audit_downloads_as_a_sheet_that_keeps_text_as_text(decided):
    config, bj, sh = decided
    c = client(config)
    page = c.get("/audit", params={"who": "赵老师"}).text
    assert 'href="/downloads/audit.xlsx?who=' in page

    got = c.get("/downloads/audit.xlsx", params={"who": "赵老师"})
    assert got.status_code == 200 and "处理记录_" in unquote(got.headers["content-disposition"])
    ws = openpyxl.load_workbook(io.BytesIO(got.content))["处理记录"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("时间", "处理人", "操作", "受理编号", "单位", "内容")
    assert [r[3] for r in rows[1:]] == [sh] and rows[1][1] == "赵老师" and rows[1][2] == "不予受理"
    detail = ws.cell(row=2, column=6)
    assert HOSTILE in detail.value and detail.data_type == "s"
    assert "处理人：赵老师" in ws.oddHeader.center.text

    # A value that starts like a formula stays text, marked as such (the apostrophe Excel shows).
    raw = c.get("/downloads/audit.xlsx", params={"who": NAME_FORMULA}).content
    ws = openpyxl.load_workbook(io.BytesIO(raw))["处理记录"]
    who = ws.cell(row=2, column=2)
    assert who.value == NAME_FORMULA and who.data_type == "s" and who.quotePrefix
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)

    everything = openpyxl.load_workbook(io.BytesIO(c.get("/downloads/audit.xlsx").content))["处理记录"]
    assert [r[3] for r in everything.iter_rows(min_row=2, values_only=True)] == [sh, sh, bj]


def test_reviewers_see_no_audit(decided):
    config, _, _ = decided
    c = client(config, "王评委")
    assert c.get("/audit").status_code == 403
    assert c.get("/downloads/audit.xlsx").status_code == 403


def test_the_audit_sheet_prints_readably(decided, tmp_path):
    from printed import READABLE_PT, print_workbook, render_page

    config, bj, sh = decided
    c = client(config)
    path = tmp_path / "处理记录.xlsx"
    path.write_bytes(c.get("/downloads/audit.xlsx").content)
    (sheet,) = print_workbook(path, tmp_path, tag="audit").values()
    assert sheet.smallest >= READABLE_PT, sheet.smallest
    assert sheet.landscape and sheet.overflow <= 0 and bj in sheet.text and sh in sheet.text
    render_page(sheet.pdf, "audit")


LONG_REASON = (
    "单位联系人来电说明：原推荐表中的联系人已调岗，新的联系人和手机号码将在本周内以正式函件补报，"
    "经与学会秘书处核实后同意先行登记，待函件到达后再核对账号主体的认证信息和近一年的运营数据。"
)


@pytest.fixture
def audit_console(decided, tmp_path):
    """The decided installation with one long reason, its console running (run.py web)."""
    config, bj, sh = decided
    run(config, "decide", "answered", sh, "--by", "王", "--reason", LONG_REASON)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["web"] = {"host": "127.0.0.1", "port": free_port()}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    add_accounts(config, {"刘晶晶": "staff"})
    url = f"http://127.0.0.1:{data['web']['port']}"
    process = start_console(config, url, tmp_path)
    yield url, bj, sh
    process.terminate()
    process.wait(30)


# Lines each cell's text is laid out on (one rect per line box of the text).
LINES = """cells => cells.map(td => {
  const range = document.createRange();
  range.selectNodeContents(td);
  const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
  return [td.innerText.trim(), tops.size];
})"""


@pytest.mark.parametrize("width", [1280, 800, 375])
def test_the_audit_page_keeps_short_names_and_dates_on_one_line(browser, audit_console, width):
    """A long reason must not squeeze 处理人 to one character a line (nor the time, the case)."""
    url, bj, sh = audit_console
    page = page_signed_in(browser, url, "刘晶晶", width)
    page.goto(url + "/audit")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert LONG_REASON[:20] in page.inner_text("table.list")
    for label in ("处理人", "时间", "受理编号", "操作"):
        lines = page.eval_on_selector_all(f"table.list td[data-label={label}]", LINES)
        assert lines and all(n == 1 for _, n in lines), (label, lines)
    assert sideways_overflow(page) <= 0
    shoot(page, f"audit-{width}")
    page.context.close()

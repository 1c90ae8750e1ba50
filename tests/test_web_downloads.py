"""What staff take away from the console and find in it (issue 20, "Missing"):
汇总表.xlsx with the whole ledger, the packet zip without sending it, a search over every
field and the mail's own text, and a warning when several units nominate one account."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote

import openpyxl
import pytest
from console_env import PASSWORDS, build, flashed
from intake_env import export
from starlette.testclient import TestClient

from pipeline.config import load_config
from pipeline.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def console(tmp_path_factory, dovecot_server):
    env = build(tmp_path_factory.mktemp("downloads"), dovecot_server, start_web=False)
    yield env
    env.smtp.cleanup()


def signed_in(console, name: str = "刘晶晶") -> tuple[TestClient, str]:
    c = TestClient(create_app(load_config(console.config)), follow_redirects=False)
    token = CSRF.search(c.get("/login").text).group(1)
    r = c.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": token, "next": "/"})
    assert r.status_code == 303
    return c, CSRF.search(c.get("/password").text).group(1)


def test_the_summary_sheet_downloads_with_every_mail(console):
    c, _ = signed_in(console)
    assert 'href="/downloads/summary.xlsx"' in c.get("/").text
    assert 'href="/downloads/summary.xlsx"' in c.get("/messages").text
    r = c.get("/downloads/summary.xlsx")
    assert r.status_code == 200 and "汇总表_" in unquote(r.headers["content-disposition"])
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "汇总" and "全部来信" in wb.sheetnames
    ws = wb["全部来信"]
    cases = {ws.cell(row, 1).value for row in range(2, ws.max_row + 1)}
    assert cases == {rec["case_no"] for rec in export(console.config)}  # the whole ledger
    units = {ws.cell(row, 1).value for row in range(2, wb["汇总"].max_row + 1)}
    assert units  # one row per roster unit
    # Reviewers may not take it (it names senders).
    reviewer, _ = signed_in(console, "王评委")
    assert reviewer.get("/downloads/summary.xlsx").status_code == 403


def test_the_packet_downloads_without_being_sent(console):
    c, csrf = signed_in(console)
    r = c.get("/downloads/packet.zip")
    assert "尚未选定" in flashed(c, r)["err"]
    accepted = next(rec for rec in export(console.config) if rec["status"] == "accepted")
    r = c.post("/packet/select", data={"action": "select", "case": accepted["case_no"], "csrf": csrf})
    assert r.status_code == 303
    assert 'href="/downloads/packet.zip"' in c.get("/packet").text
    sent = len(console.smtp.messages())
    r = c.get("/downloads/packet.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert any(n.endswith("推荐表.docx") for n in names) and any(n.endswith(".xlsx") for n in names), names
    assert len(console.smtp.messages()) == sent  # nothing went to 科协
    reviewer, _ = signed_in(console, "王评委")
    assert reviewer.get("/downloads/packet.zip").status_code == 403


def test_search_finds_any_field_and_the_mail_text(console):
    c, _ = signed_in(console)
    scan = console.cases["bj-scan@bj.example.cn"]
    question = console.cases["tj-q@tj.example.cn"]
    for words, case, where in (
        ("许诺", scan, "联系人"),  # 联系人 of the scanned form
        ("13912345678", scan, "手机"),
        ("300 MB", question, "邮件正文"),  # only in the mail's own text
        ("网盘链接", question, "邮件正文"),
    ):
        page = c.get("/messages", params={"q": words}).text
        assert f'href="/case/{case}"' in page, words
        assert f"在“{where}”中找到" in page, (words, where)
    assert "没有符合条件的邮件" in c.get("/messages", params={"q": "不存在的词语"}).text
    # The overview's unit list is searched over every field too.
    overview = c.get("/", params={"q": "13912345678"}).text.split("<h2>各单位")[1]
    assert "北京针灸学会" in overview and "上海市针灸学会" not in overview


def test_one_account_nominated_by_several_units_is_flagged(console):
    records = [
        r
        for r in export(console.config)
        if r["unit"] and r["status"] in ("accepted", "needs_fix", "manual_review")
    ]
    same = [r for r in records if "1234567890" in r["fields"].get("账号ID/网页链接", "")]
    assert len({r["unit"] for r in same}) >= 2  # the samples share one weibo account
    c, _ = signed_in(console)
    overview = c.get("/").text
    assert "同一账号被多个单位推荐" in overview
    block = overview.split('id="shared"')[1].split("</ul>")[0]
    assert all(r["case_no"] in block for r in same)
    page = c.get(f"/case/{same[0]['case_no']}").text
    assert "也由其他单位推荐" in page and same[1]["case_no"] in page

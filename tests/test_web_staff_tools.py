"""The console's staff tools of issue 20's "Missing" list, in Chromium at 1280 and 375 px:
指定单位 remembering the sender's address, the 单位名单 page, the 处理记录 filter and its
download, editing a 催报 before it goes, and accepting several units from the overview.

The desk test does the work through the pages; the phone test opens each page and checks
that it fits (no sideways scrolling). Screenshots: test-artifacts/screenshots/tools-*.jpg."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy

import pytest
import yaml
from browser import DESKTOP, PHONE, shoot, sideways_overflow
from console_env import add_accounts, page_signed_in, start_console
from intake_env import TZ, Nomination, export, run, submission, write_config
from mailservers import SmtpServer, free_port

PAN = "视频较大，已上传百度网盘：链接: https://pan.baidu.com/s/1AbCdEfG 提取码: x7k9"
CONTACT = "js.contact@qq.example.com"


@pytest.fixture(scope="module")
def console(tmp_path_factory, dovecot_server):
    """北京 waits for staff, 上海 must fix, 江苏's contact writes from a personal mailbox,
    天津 sent nothing; the deadline is five days away."""
    import secrets

    tmp = tmp_path_factory.mktemp("tools")
    user, password = f"tools-{secrets.token_hex(4)}@example.org", secrets.token_urlsafe(12)
    dovecot_server.add_user(user, password)
    smtp = SmtpServer()
    smtp.up()
    deadline = (datetime.now(TZ) + timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0)
    config = write_config(tmp, dovecot_server, (user, password), smtp, deadline=deadline)
    port = free_port()
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["web"] = {"host": "127.0.0.1", "port": port, "base_url": f"http://127.0.0.1:{port}"}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for sender, msg_id, nom, body in (
        ("bjzj@bj.example.cn", "bj-1@bj.example.cn", Nomination.sample("北京针灸学会", "京针之声"), PAN),
        (
            "a@shzj.example.cn",
            "sh-1@shzj.example.cn",
            Nomination.sample("上海市针灸学会", "海上针灸", 粉丝数量="=1+2"),
            "附件是推荐材料。",
        ),
        (
            f"江苏联系人 <{CONTACT}>",
            "js-1@qq.example.com",
            Nomination.sample("江苏省针灸学会", "苏针之声"),
            "推荐材料",
        ),
    ):
        raw = submission(sender, "推荐材料", msg_id, nomination=nom, body=body)
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    add_accounts(config)
    cases = {r["message_id"]: r["case_no"] for r in export(config)}
    url = f"http://127.0.0.1:{port}"
    process = start_console(config, url, tmp)
    yield config, url, smtp, cases
    process.terminate()
    process.wait(10)
    smtp.cleanup()


def look(page, name: str) -> None:
    shoot(page, f"tools-{name}")
    assert sideways_overflow(page) <= 0, f"{name}: {sideways_overflow(page)} px sideways"


def test_staff_tools_at_the_desk(browser, console):
    config, url, smtp, cases = console
    page = page_signed_in(browser, url, "刘晶晶", DESKTOP)

    # 指定单位 with 记住 ticked (the default): the roster page then lists the address.
    stranger = cases["js-1@qq.example.com"]
    page.goto(f"{url}/case/{stranger}")
    page.check("input[name=action][value=assign]")
    page.select_option("select[name=unit]", "江苏省针灸学会")
    assert page.is_checked("input[name=remember]")
    look(page, "assign-1280")
    page.click("form.actions button[type=submit]")
    page.wait_for_load_state()
    if "确认" in page.inner_text("h1"):
        page.click("text=确认指定单位并发送通知")
        page.wait_for_load_state()
    assert f"记住发件地址 {CONTACT}" in page.inner_text(".flash.ok")
    page.goto(f"{url}/roster")
    row = page.locator("#roster tr", has_text="江苏省针灸学会")
    assert CONTACT in row.inner_text() and "jszj@js.example.cn" in row.inner_text()
    look(page, "roster-1280")

    # 处理记录 filtered by action; the download link carries the filter.
    page.goto(f"{url}/audit")
    page.select_option("select[name=action]", "assign")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_load_state()
    assert "action=assign" in page.url and page.locator("tbody tr").count() == 1
    assert "action=assign" in page.get_attribute("#audit-download", "href")
    look(page, "audit-1280")

    # 催报 edited before it goes: the unit gets the edited text.
    page.goto(f"{url}/reminders")
    box = page.locator("textarea[name='text:天津市针灸学会']")
    if not box.is_visible():
        page.locator("details", has=box).locator("summary").click()
    box.fill(box.input_value() + "\n\n附：报送表格可向学会索取。")
    for other in page.locator("input[name=unit]").all():
        if other.get_attribute("value") != "天津市针灸学会" and other.is_checked():
            other.uncheck()
    look(page, "reminders-1280")
    before = len(smtp.messages())
    page.click("text=发送催报")
    page.wait_for_load_state()
    (mail,) = [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[before:]]
    assert mail["To"] == "tjzj@tj.example.cn" and "附：报送表格可向学会索取。" in mail.get_content()

    # Several accepted from the overview: tick, preview each notice, confirm.
    page.goto(f"{url}/")
    bj = cases["bj-1@bj.example.cn"]
    page.check(f"input[name=pick][value^='{bj}@']")
    look(page, "overview-1280")
    page.click("text=受理所选…")
    page.wait_for_load_state()
    assert "确认：受理所选（1 个）" in page.inner_text("h1")
    look(page, "bulk-confirm-1280")
    before = len(smtp.messages())
    page.click("text=确认受理这 1 个并分别通知")
    page.wait_for_load_state()
    assert f"已受理 1 个：{bj}" in page.inner_text(".flash.ok")
    assert [email.message_from_bytes(m.data)["To"] for m in smtp.messages()[before:]] == [
        "bjzj@bj.example.cn"
    ]
    page.context.close()


def test_staff_tools_fit_a_phone(browser, console):
    config, url, smtp, cases = console
    page = page_signed_in(browser, url, "刘晶晶", PHONE)
    page.goto(f"{url}/")
    assert page.locator("input[name=pick]").count() >= 1
    look(page, "overview-375")
    page.goto(f"{url}/roster")
    assert page.locator("#roster").is_visible()
    look(page, "roster-375")
    page.goto(f"{url}/audit")
    assert page.locator("#audit-filter").is_visible()
    look(page, "audit-375")
    page.goto(f"{url}/reminders")
    look(page, "reminders-375")
    page.goto(f"{url}/case/{cases['js-1@qq.example.com']}")
    look(page, "case-375")
    page.context.close()


def test_reviewers_do_not_see_the_tools(browser, console):
    config, url, smtp, cases = console
    page = page_signed_in(browser, url, "王评委", DESKTOP)
    nav = page.inner_text("nav.main")
    assert "单位名单" not in nav and "处理记录" not in nav
    assert page.goto(f"{url}/roster").status == 403
    page.context.close()

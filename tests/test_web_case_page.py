"""A case page as staff use it (issue 20, items 7, 8, 9, 11).

Chromium (Playwright, Debian's binary) against `run.py web`, at 1280 and 375 px:
- the original stays in view beside the fields at desk width and can be zoomed without the
  page scrolling sideways on a phone;
- 返回修改 after a decision's preview brings back the chosen action, the ticked problems, the
  added request and the reason; after a reply's preview, the reply's text;
- the reply staff compose carries one greeting, whether or not they wrote their own, and the
  form says what is added around their text;
- a one-time message shows once and never rides in the URL.
"""

from __future__ import annotations

import email
from email import policy

import pytest
from browser import ARTIFACTS, DESKTOP, PHONE, SHOT_QUALITY, shoot, sideways_overflow
from console_env import build, page_signed_in


@pytest.fixture(scope="module")
def console(tmp_path_factory, dovecot_server):
    env = build(tmp_path_factory.mktemp("drafts"), dovecot_server)
    yield env
    env.stop()
    env.smtp.cleanup()


def look(page, name: str) -> None:
    shoot(page, name)
    if page.viewport_size["width"] <= PHONE:
        assert sideways_overflow(page) <= 0, f"{name}: {sideways_overflow(page)} px sideways"


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_back_from_a_decisions_preview_keeps_what_was_entered(browser, console, width):
    scan = console.cases["bj-scan@bj.example.cn"]
    page = page_signed_in(browser, console.url, "刘晶晶", width)
    page.goto(f"{console.url}/case/{scan}")
    page.check("input[name=action][value=return]")
    problems = page.locator("input[name=fix]")
    ticked = problems.first.get_attribute("value") if problems.count() else None
    if ticked:
        problems.first.check()
    page.fill("#ask", "请补充单位公章。")
    page.fill("#reason", "扫描件不清晰")
    page.click("form.actions button[type=submit]")
    page.wait_for_load_state()
    assert "确认" in page.inner_text("h1")
    assert "请补充单位公章。" in page.inner_text("pre.letter")
    look(page, f"drafts-decision-preview-{width}")

    page.click("text=返回修改")
    page.wait_for_load_state()
    assert page.url.endswith(f"/case/{scan}/edit#decide")
    assert page.is_checked("input[name=action][value=return]")
    if ticked:
        assert page.is_checked(f"input[name=fix][value='{ticked}']")
        assert page.locator("input[name=fix]:checked").count() == 1
    assert page.input_value("#ask") == "请补充单位公章。"
    assert page.input_value("#reason") == "扫描件不清晰"
    look(page, f"drafts-decision-back-{width}")
    # The same choice goes to the preview again, unchanged.
    page.click("form.actions button[type=submit]")
    page.wait_for_load_state()
    assert "请补充单位公章。" in page.inner_text("pre.letter")
    page.context.close()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_reply_greets_once_and_back_keeps_its_text(browser, console, width):
    question = console.cases["tj-q@tj.example.cn"]
    page = page_signed_in(browser, console.url, "刘晶晶", width)
    page.goto(f"{console.url}/case/{question}")
    frame = page.inner_text("#reply-frame")
    assert "天津市针灸学会：" in frame and "您好！" in frame  # staff see what is added
    for typed in ("您好！可以，请在邮件中写明网盘链接和提取码。", "可以，请在邮件中写明网盘链接和提取码。"):
        page.goto(f"{console.url}/case/{question}")
        page.fill("#reply-text", typed)
        page.click("#reply ~ form button[type=submit]")
        page.wait_for_load_state()
        letter = page.inner_text("pre.letter")
        assert letter.split("——")[0].count("您好") == 1, letter  # (the quoted letter has its own)
        assert letter.startswith("天津市针灸学会：")
        look(page, f"drafts-reply-preview-{width}")
        page.click("text=返回修改")
        page.wait_for_load_state()
        assert page.input_value("#reply-text") == typed
    look(page, f"drafts-reply-back-{width}")
    page.context.close()


def test_the_sent_reply_greets_once_and_its_message_is_not_in_the_url(browser, console):
    question = console.cases["tj-q@tj.example.cn"]
    page = page_signed_in(browser, console.url, "刘晶晶", DESKTOP)
    page.goto(f"{console.url}/case/{question}?ok=已受理")
    assert page.locator(".flash").count() == 0  # a crafted link shows nothing
    page.fill("#reply-text", "天津市针灸学会：\n\n您好！可以，请写明网盘链接。")
    page.click("#reply ~ form button[type=submit]")
    page.wait_for_load_state()
    sent = len(console.smtp.messages())
    page.click("text=确认发送")
    page.wait_for_load_state()
    assert "?" not in page.url and "已回复" in page.inner_text(".flash.ok")
    look(page, "drafts-reply-sent-1280")
    page.reload()
    assert page.locator(".flash").count() == 0  # shown once
    (reply,) = [
        email.message_from_bytes(m.data, policy=policy.default) for m in console.smtp.messages()[sent:]
    ]
    body = reply.get_body(("plain",)).get_content()
    head = body.split("——")[0]
    assert head.count("您好") == 1 and head.count("天津市针灸学会：") == 1, body
    page.context.close()


def test_the_original_stays_beside_the_fields_and_zooms(browser, console):
    scan = console.cases["bj-scan@bj.example.cn"]
    page = page_signed_in(browser, console.url, "刘晶晶", DESKTOP)
    page.goto(f"{console.url}/case/{scan}")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    last = page.locator("dl.fields .field").last
    assert "联系地址" in page.inner_text("dl.fields") and page.locator("dl.fields .field").count() >= 15
    for field in ("联系人", "联系地址", None):
        target = page.locator("dl.fields .field", has_text=field).first if field else last
        target.scroll_into_view_if_needed()
        assert page.evaluate("() => window.scrollY") > 600  # the page went down
        pane = page.locator("#original").bounding_box()
        picture = page.locator("#original img").first.bounding_box()
        assert 0 <= pane["y"] < 100 and pane["y"] + pane["height"] <= 900 + 1, pane
        assert picture["y"] < 900 and picture["y"] + picture["height"] > 200, picture  # on screen
        beside = target.bounding_box()
        assert beside["x"] > pane["x"] + pane["width"] - 1 and 0 <= beside["y"] < 900
    # What staff see on the screen (a full-page shot would unstick the pane).
    page.screenshot(path=str(ARTIFACTS / "case-original-beside-address-1280.jpg"), quality=SHOT_QUALITY)

    width = page.locator("#original img").first.bounding_box()["width"]
    page.click("#original button[data-zoom=in]")
    page.click("#original button[data-zoom=in]")
    assert page.inner_text("[data-zoom-level]") == "200%"
    zoomed = page.locator("#original img").first.bounding_box()["width"]
    assert zoomed > 1.9 * width, (width, zoomed)
    assert sideways_overflow(page) <= 0  # the pane scrolls, not the page
    page.screenshot(path=str(ARTIFACTS / "case-original-zoomed-1280.jpg"), quality=SHOT_QUALITY)
    page.click("#original button[data-zoom=fit]")
    assert abs(page.locator("#original img").first.bounding_box()["width"] - width) < 2
    page.context.close()

    page = page_signed_in(browser, console.url, "刘晶晶", PHONE)
    page.goto(f"{console.url}/case/{scan}")
    page.click("#original button[data-zoom=in]")
    assert page.inner_text("[data-zoom-level]") == "150%"
    look(page, "case-original-zoomed-375")
    page.context.close()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_overview_warns_of_a_shared_account_and_search_says_where(browser, console, width):
    page = page_signed_in(browser, console.url, "刘晶晶", width)
    page.goto(console.url + "/")
    shared = page.locator("#shared + ul.shared li").first
    assert "重复推荐" in shared.inner_text() and "1234567890" in shared.inner_text()
    assert page.locator("a[href='/downloads/summary.xlsx']").is_visible()
    look(page, f"overview-shared-account-{width}")
    page.goto(console.url + "/messages")
    page.fill("input[name=q]", "300 MB")
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    assert "在“邮件正文”中找到" in page.inner_text("table.list")
    look(page, f"messages-search-mail-text-{width}")
    page.context.close()

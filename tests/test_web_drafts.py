"""What staff typed survives the preview, and a reply says 您好 once (issue 20, items 8, 9, 11).

Chromium (Playwright, Debian's binary) against `run.py web`, at 1280 and 375 px:
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
from browser import DESKTOP, PHONE, new_page, shoot, sideways_overflow
from console_env import PASSWORDS, build


@pytest.fixture(scope="module")
def console(tmp_path_factory, dovecot_server):
    env = build(tmp_path_factory.mktemp("drafts"), dovecot_server)
    yield env
    env.stop()
    env.smtp.cleanup()


def sign_in(browser, console, name: str, width: int):
    page = new_page(browser, width)
    page.goto(console.url + "/")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url
    return page


def look(page, name: str) -> None:
    shoot(page, name)
    if page.viewport_size["width"] <= PHONE:
        assert sideways_overflow(page) <= 0, f"{name}: {sideways_overflow(page)} px sideways"


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_back_from_a_decisions_preview_keeps_what_was_entered(browser, console, width):
    scan = console.cases["bj-scan@bj.example.cn"]
    page = sign_in(browser, console, "刘晶晶", width)
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
    page = sign_in(browser, console, "刘晶晶", width)
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
    page = sign_in(browser, console, "刘晶晶", DESKTOP)
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

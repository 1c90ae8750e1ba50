"""The 上报 and 评分 pages in the states issue 20 found wrong, in chromium at 1280 and
375 px (screenshots in test-artifacts/screenshots/ to look at): a second packet asks
for confirmation and the history says which packet stands; a half-scored sheet is
未评完 and unranked, each reviewer's progress and 附件2's wording are on the page."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from browser import DESKTOP, PHONE, shoot, sideways_overflow
from console_env import page_signed_in
from intake_env import run
from test_packet_replace import signed_in, society  # noqa: F401  (the fixture)
from test_scoring_progress import scored  # noqa: F401  (the fixture)

from pipeline.config import load_config
from pipeline.web.app import create_app


@contextmanager
def serving(config_path) -> Iterator[str]:
    """The console on a free loopback port in this process (stopped afterwards)."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(load_config(config_path)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:  # the server says when it listens
        if not thread.is_alive():
            raise RuntimeError("console did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def look(page, name: str) -> None:
    shoot(page, name)
    if page.viewport_size["width"] <= PHONE:
        assert sideways_overflow(page) <= 0, f"{name}: {sideways_overflow(page)} px sideways"


def test_second_packet_page(browser, society):  # noqa: F811
    config, smtp, bj, sh = society
    signed_in(config)  # the accounts
    run(config, "decide", "select", bj)
    run(config, "packet", "--send")
    run(config, "decide", "unselect", bj)
    run(config, "decide", "select", sh)
    with serving(config) as url:
        for width in (DESKTOP, PHONE):
            page = page_signed_in(browser, url, "刘晶晶", width)
            page.goto(url + "/packet")
            warning = page.locator("#replace-warning")
            assert warning.is_visible() and "撤回京针之声" in warning.inner_text()
            look(page, f"packet-replace-{width}")
            if width == PHONE:
                before = len(smtp.messages())
                page.click(
                    "form[action='/packet/send'] button[type=submit]"
                )  # not ticked: the browser stops it
                assert len(smtp.messages()) == before
                page.check("input[name=replace]")
                page.click("form[action='/packet/send'] button[type=submit]")
                page.wait_for_load_state()
                assert len(smtp.messages()) == before + 1
                history = page.locator("#packet-history")
                assert "以此为准" in history.inner_text() and "已被" in history.inner_text()
                history.scroll_into_view_if_needed()
                look(page, "packet-history-375")
            page.context.close()


def test_scoring_page_with_unfinished_sheets(browser, scored):  # noqa: F811
    config_path, config, _, bj, sh = scored
    with serving(config_path) as url:
        for who, width in (("刘晶晶", DESKTOP), ("刘晶晶", PHONE), ("王评委", PHONE)):
            page = page_signed_in(browser, url, who, width)
            page.goto(url + "/scoring")
            assert page.locator("#rules").is_visible()
            rule = config.scoring.items[0].rule
            # The wording itself, not a tooltip: in the rules table, and for a reviewer beside each box.
            assert page.get_by_text(rule).last.is_visible()
            if who == "刘晶晶":
                assert "王评委 评完 1/2，未评完 1" in page.locator("#progress").inner_text()
                row = page.locator("#ranking tr", has_text="海上针灸")
                assert "未评完" in row.inner_text() and "不排名" in row.inner_text()
            look(page, f"scoring-unfinished-{who}-{width}")
            page.context.close()

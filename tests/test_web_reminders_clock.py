"""催报 in the console counts from the campaign's clock and shows what went when (issue 20.10).

A campaign whose `clock` is the day before its deadline (as the demo's is): the 催报 page lists
the units to remind (not "截止已过" by the real calendar); after sending to one unit it is no
longer ticked, says 今天已催报, and the list of sent reminders shows it with its time; the
scheduled reminder of the same day (`run.py remind`) then goes only to the others. Chromium at
1280 and 375 px.
"""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

import pytest
import yaml
from browser import DESKTOP, PHONE, new_page, shoot, sideways_overflow
from console_env import PASSWORDS, add_accounts, bare_config, start_console
from intake_env import TZ, run

UNITS = ("北京针灸学会", "天津市针灸学会", "江苏省针灸学会")  # 上海 has only a domain: not reminded


@pytest.fixture
def campaign(tmp_path, dovecot_server, smtp_server):
    config, url = bare_config(
        tmp_path, dovecot_server, smtp_server, "", deadline=datetime(2021, 8, 2, 0, 0, tzinfo=TZ)
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["clock"] = "2021-08-01 09:00"
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    add_accounts(config, {"刘晶晶": "staff"})
    process = start_console(config, url, tmp_path)
    yield config, url
    process.terminate()
    process.wait(30)


def sign_in(browser, url: str, width: int):
    page = new_page(browser, width)
    page.goto(url + "/login")
    page.fill("#name", "刘晶晶")
    page.fill("#password", PASSWORDS["刘晶晶"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def sent(smtp) -> list:
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()]


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_reminders_follow_the_campaign_clock_and_show_what_was_sent(browser, campaign, smtp_server, width):
    config, url = campaign
    page = sign_in(browser, url, width)
    page.goto(url + "/reminders")
    body = page.inner_text("body")
    assert "已过" not in body and "2021-08-01 09:00" in body
    boxes = {u: page.locator(f"input[name=unit][value='{u}']") for u in UNITS}
    assert all(b.is_checked() for b in boxes.values())

    # Remind one unit from the console.
    for unit in UNITS[1:]:
        boxes[unit].uncheck()
    page.click("text=发送催报")
    page.wait_for_load_state()
    assert "催报 1 封" in page.inner_text(".flash.ok") and "?" not in page.url
    boxes = {u: page.locator(f"input[name=unit][value='{u}']") for u in UNITS}
    assert not boxes[UNITS[0]].is_checked() and boxes[UNITS[0]].is_disabled()
    assert boxes[UNITS[1]].is_checked() and boxes[UNITS[2]].is_checked()
    card = page.locator(".card", has=boxes[UNITS[0]])
    assert "今天已催报" in card.inner_text() and "上次催报" in card.inner_text()
    history = page.inner_text("table.sent-reminders")
    assert UNITS[0] in history and "已发送" in history and UNITS[1] not in history
    assert "2021-08-01" in history  # the campaign day it counted for
    shoot(page, f"reminders-after-send-{width}")
    if width <= PHONE:
        assert sideways_overflow(page) <= 0

    before = len(smtp_server.messages())
    page.goto(url + "/reminders")
    assert page.locator("input[name=unit]:checked").count() == 2

    # The scheduled reminder of the same campaign day goes only to the unit not yet reminded.
    run(config, "remind", "--days", "1", "--send")
    new = sent(smtp_server)[before:]
    assert sorted(m["To"] for m in new) == ["jszj@js.example.cn", "tjzj@tj.example.cn"]
    page.reload()
    assert page.locator("input[name=unit]:checked").count() == 0
    history = page.inner_text("table.sent-reminders")
    assert all(unit in history for unit in UNITS)
    shoot(page, f"reminders-all-sent-{width}")
    page.context.close()

"""The console's 催报 button sends through staff/reminders.py (the one copy): the chosen units
get the reminder the page showed, copied to staff, once a day however often it is pressed."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email import policy

from console_env import PASSWORDS, bare_config, flashed
from intake_env import TZ
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.ledger import Ledger
from pipeline.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def test_reminders_chosen_in_the_console_go_once_a_day(tmp_path, dovecot_server, smtp_server):
    deadline = (datetime.now(TZ) + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    config_path, _ = bare_config(tmp_path, dovecot_server, smtp_server, "", deadline=deadline)
    config = load_config(config_path)
    add_user(Ledger(config.database_url), "刘晶晶", "staff", PASSWORDS["刘晶晶"])
    c = TestClient(create_app(config), follow_redirects=False)
    token = CSRF.search(c.get("/login").text).group(1)
    c.post("/login", data={"name": "刘晶晶", "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"})
    page = c.get("/reminders").text
    assert "天津市针灸学会" in page and "北京针灸学会" in page  # nothing received yet: every unit
    csrf = CSRF.search(page).group(1)

    r = c.post("/reminders/send", data={"unit": ["天津市针灸学会", "北京针灸学会"], "csrf": csrf})
    assert "催报 2 封" in flashed(c, r)["ok"]
    sent = [email.message_from_bytes(m.data, policy=policy.default) for m in smtp_server.messages()]
    assert sorted(m["To"] for m in sent) == ["bjzj@bj.example.cn", "tjzj@tj.example.cn"]
    assert all(m["Cc"] == "staff@society.example.cn" and "【催报】" in m["Subject"] for m in sent)
    assert "天津市针灸学会" in next(m for m in sent if m["To"] == "tjzj@tj.example.cn").get_content()

    again = c.post("/reminders/send", data={"unit": ["天津市针灸学会"], "csrf": csrf})
    assert "今天已经给这些单位发过" in flashed(c, again)["err"] and len(smtp_server.messages()) == 2

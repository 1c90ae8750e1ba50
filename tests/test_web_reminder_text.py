"""催报: staff can edit a reminder's text before it goes (issue 20, Missing). The text
in the unit's box is what the unit receives, what the outbox keeps (.eml), and what the
list of sent reminders shows; a unit whose box was left alone gets the planned letter."""

from __future__ import annotations

import email
import html
import re
from datetime import datetime, timedelta
from email import policy

from console_env import PASSWORDS, bare_config, client_signed_in, flashed
from intake_env import TZ

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.ledger import Ledger, OutboxRow

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BOX = re.compile(r'<textarea[^>]*name="text:([^"]+)"[^>]*>(.*?)</textarea>', re.S)


def test_the_edited_reminder_is_the_one_that_goes(tmp_path, dovecot_server, smtp_server):
    deadline = (datetime.now(TZ) + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    config_path, _ = bare_config(tmp_path, dovecot_server, smtp_server, "", deadline=deadline)
    config = load_config(config_path)
    add_user(Ledger(config.database_url), "刘晶晶", "staff", PASSWORDS["刘晶晶"])
    c = client_signed_in(config)

    page = c.get("/reminders").text
    boxes = {unit: html.unescape(text) for unit, text in BOX.findall(page)}
    assert "天津市针灸学会" in boxes["天津市针灸学会"]  # the planned letter, ready to edit
    planned_bj = boxes["北京针灸学会"]
    edited = boxes["天津市针灸学会"].replace("您好", "您好（王老师）", 1) + "\n\n另：视频可用网盘链接发送。"
    form = {
        "csrf": CSRF.search(page).group(1),
        "unit": ["天津市针灸学会", "北京针灸学会"],
        "text:天津市针灸学会": edited.replace("\n", "\r\n"),  # as a browser posts a textarea
        "text:北京针灸学会": planned_bj,
        "text:上海市针灸学会": "未勾选的单位不发",
    }
    assert "催报 2 封" in flashed(c, c.post("/reminders/send", data=form))["ok"]

    sent = {
        m["To"]: m
        for m in (email.message_from_bytes(x.data, policy=policy.default) for x in smtp_server.messages())
    }
    assert set(sent) == {"tjzj@tj.example.cn", "bjzj@bj.example.cn"}
    tj = sent["tjzj@tj.example.cn"].get_content()
    assert "您好（王老师）" in tj and "另：视频可用网盘链接发送。" in tj and "\r\r" not in tj
    assert sent["bjzj@bj.example.cn"].get_content().strip() == planned_bj.strip()

    # The outbox keeps the letter that went; the page's list of sent reminders shows it.
    with Ledger(config.database_url).session() as s:
        (tj_row,) = [r for r in s.query(OutboxRow).filter_by(kind="reminder") if "天津" in r.dedup_key]
        kept = email.message_from_bytes(open(tj_row.eml_path, "rb").read(), policy=policy.default)
    assert "另：视频可用网盘链接发送。" in kept.get_content()
    listed = html.unescape(c.get("/reminders").text)
    sent_list = listed[listed.index("已发出的催报") :]
    assert "另：视频可用网盘链接发送。" in sent_list


def test_an_emptied_box_sends_the_planned_letter(tmp_path, dovecot_server, smtp_server):
    deadline = (datetime.now(TZ) + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    config_path, _ = bare_config(tmp_path, dovecot_server, smtp_server, "", deadline=deadline)
    config = load_config(config_path)
    add_user(Ledger(config.database_url), "刘晶晶", "staff", PASSWORDS["刘晶晶"])
    c = client_signed_in(config)
    page = c.get("/reminders").text
    planned = html.unescape(dict(BOX.findall(page))["天津市针灸学会"])
    form = {"csrf": CSRF.search(page).group(1), "unit": ["天津市针灸学会"], "text:天津市针灸学会": "  \r\n "}
    assert "催报 1 封" in flashed(c, c.post("/reminders/send", data=form))["ok"]
    (mail,) = smtp_server.messages()
    got = email.message_from_bytes(mail.data, policy=policy.default).get_content()
    assert got.strip() == planned.strip()

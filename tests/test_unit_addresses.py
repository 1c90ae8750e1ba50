"""指定单位 remembers the sender's address for the unit (issue 20, Missing).

As found: a unit's contact writing from a personal mailbox is a stranger every time;
staff assign each mail by hand. Now 指定单位 offers to remember the address: it is
stored in the ledger (journaled, audited), the intake recognises the unit's later mail
from it, the 单位名单 page lists it beside the configured addresses and domains, and
staff can remove it there (audited too; later mail is a stranger's again)."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import pytest
from console_env import PASSWORDS, ROLES, client_signed_in, flashed
from intake_env import TZ, Nomination, export, run, submission, write_config
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.ledger import Ledger
from pipeline.ledger.health import _KIND_ZH, REPLAYED_KINDS
from pipeline.staff.journal import entries

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
CONTACT = "js.contact@qq.example.com"
UNIT = "江苏省针灸学会"


@pytest.fixture
def society(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    return config, dovecot_server, imap_account


def deliver(society, msg_id: str, day: int) -> str:
    """The contact's mail for 江苏 arrives and is processed; its case number."""
    config, server, (user, password) = society
    raw = submission(
        f"江苏联系人 <{CONTACT}>",
        f"{UNIT}推荐（第{day}次）",
        msg_id,
        nomination=Nomination.sample(UNIT, "苏针之声"),
    )
    server.append(user, password, "INBOX", raw, datetime(2021, 7, day, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    return next(r["case_no"] for r in export(config) if r["message_id"] == msg_id)


def record(config, case_no: str) -> dict:
    return next(r for r in export(config) if r["case_no"] == case_no)


def signed_in(config_path, name: str = "刘晶晶") -> TestClient:
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    for who in ("刘晶晶", "王评委"):
        try:
            add_user(ledger, who, ROLES[who], PASSWORDS[who])
        except Exception:  # already there (a second client)
            pass
    return client_signed_in(config, name)


def test_assigning_a_stranger_remembers_its_address_until_staff_remove_it(society):
    config = society[0]
    first = deliver(society, "js-1@qq.example.com", 12)
    assert record(config, first)["unit"] is None  # a stranger

    c = signed_in(config)
    case_page = c.get(f"/case/{first}").text
    assert f"记住 {CONTACT} 为该单位的发件地址" in html.unescape(case_page)
    form = {
        "csrf": CSRF.search(case_page).group(1),
        "version": VERSION.search(case_page).group(1),
        "action": "assign",
        "unit": UNIT,
        "remember": "1",
    }
    said = flashed(c, c.post(f"/case/{first}/decide", data=form))
    assert f"记住发件地址 {CONTACT} 为{UNIT}的地址" in said["ok"], said
    assert record(config, first)["unit"] == UNIT

    # Journaled with the decision, so a rebuild remembers it too.
    (entry,) = [e for e in entries(load_config(config)) if e.get("action") == "assign"]
    assert entry["remember"] is True and entry["unit"] == UNIT

    # The roster page lists it beside the configured address; reviewers do not see the page.
    roster = html.unescape(c.get("/roster").text)
    row = roster[roster.index(UNIT) :].split("</tr>")[0]
    assert "jszj@js.example.cn" in row and CONTACT in row and "刘晶晶" in row and first in row
    assert signed_in(config, "王评委").get("/roster").status_code == 403

    # The unit's next mail from that address is the unit's, without staff.
    second = deliver(society, "js-2@qq.example.com", 14)
    assert record(config, second)["unit"] == UNIT

    # Removed on the roster page: audited, journaled, and the next mail is a stranger's again.
    roster_page = c.get("/roster").text
    said = flashed(
        c, c.post("/roster/forget", data={"csrf": CSRF.search(roster_page).group(1), "address": CONTACT})
    )
    assert f"移除{UNIT}的发件地址 {CONTACT}" in said["ok"], said
    assert CONTACT not in html.unescape(c.get("/roster").text)
    audit = html.unescape(c.get("/audit").text)
    assert "移除单位的发件地址" in audit and f"移除{UNIT}的发件地址 {CONTACT}" in audit
    kinds = [e["kind"] for e in entries(load_config(config))]
    assert kinds[-1] == "unit_address" and "unit_address" in REPLAYED_KINDS and _KIND_ZH["unit_address"]
    third = deliver(society, "js-3@qq.example.com", 16)
    assert record(config, third)["unit"] is None

    # Removing what is not remembered says so.
    again = c.post("/roster/forget", data={"csrf": CSRF.search(roster_page).group(1), "address": CONTACT})
    assert "不是记住的单位地址" in flashed(c, again)["err"]


def test_without_the_tick_nothing_is_remembered(society):
    config = society[0]
    first = deliver(society, "js-1@qq.example.com", 12)
    c = signed_in(config)
    case_page = c.get(f"/case/{first}").text
    form = {
        "csrf": CSRF.search(case_page).group(1),
        "version": VERSION.search(case_page).group(1),
        "action": "assign",
        "unit": UNIT,
    }
    said = flashed(c, c.post(f"/case/{first}/decide", data=form))
    assert said["ok"] and "记住" not in said["ok"]
    assert CONTACT not in c.get("/roster").text
    second = deliver(society, "js-2@qq.example.com", 14)
    assert record(config, second)["unit"] is None


def remembered(config_path) -> dict[str, str]:
    from pipeline.ledger import UnitAddressRow

    config = load_config(config_path)
    with Ledger(config.database_url).session() as s:
        return {r.address: r.unit for r in s.query(UnitAddressRow)}


def lose_the_ledger_and_rebuild(config_path) -> str:
    config = load_config(config_path)
    path = Path(config.database_url.removeprefix("sqlite:///"))
    assert path.is_absolute() and path.exists(), path
    for extra in ("", "-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    return run(config_path, "rebuild").stdout


def test_a_rebuilt_ledger_remembers_and_forgets_as_staff_did(society):
    from pipeline.staff.decisions import DecisionRequest, apply_decision
    from pipeline.staff.unit_addresses import forget_address

    config_path = society[0]
    first = deliver(society, "js-1@qq.example.com", 12)
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    apply_decision(ledger, config, DecisionRequest("assign", first, "刘晶晶", unit=UNIT, remember=True))
    assert remembered(config_path) == {CONTACT: UNIT}
    second = deliver(society, "js-2@qq.example.com", 14)  # recognised by the remembered address
    assert record(config_path, second)["unit"] == UNIT

    out = lose_the_ledger_and_rebuild(config_path)
    assert remembered(config_path) == {CONTACT: UNIT}, out
    assert record(config_path, first)["unit"] == UNIT
    assert record(config_path, second)["unit"] == UNIT, out

    forget_address(Ledger(config.database_url), config, CONTACT, "刘晶晶")
    out = lose_the_ledger_and_rebuild(config_path)
    assert remembered(config_path) == {}, out
    assert run(config_path, "check").returncode == 0


def test_the_command_line_can_remember_too(society):
    config_path = society[0]
    first = deliver(society, "js-1@qq.example.com", 12)
    out = run(config_path, "decide", "assign", first, "--unit", UNIT, "--remember", "--by", "刘晶晶").stdout
    assert f"记住发件地址 {CONTACT} 为{UNIT}的地址" in out, out
    assert remembered(config_path) == {CONTACT: UNIT}

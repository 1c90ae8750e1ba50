"""科协 never holds two packets without knowing which stands (issue 20, item 2).

As found: select 北京, send the packet, unselect, select 上海, send again — two
mails with the same subject, neither saying which stands, no confirmation, and
the list of sent packets showed neither account. Now the second send asks staff
to confirm; the mail that goes says 以本次为准 in its subject and names what
changed; each packet mail records its accounts, and the history lists each
packet with its accounts, its delivery state and which one stands."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email import policy

import pytest
from console_env import PASSWORDS, ROLES, client_signed_in, flashed
from intake_env import TZ, Nomination, export, one_chinese_line, run, submission, write_config
from sqlalchemy import select

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.ledger import Ledger, OutboxRow
from pipeline.staff.packet_history import PACKET_HEADER, packet_history

UPSTREAM = "xcc@cast.example.org.cn"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def society(tmp_path, dovecot_server, imap_account, smtp_server):
    """Two accepted accounts, 北京's and 上海's; a quota of one."""
    upstream = {"name": "中国科协调研宣传部", "addresses": [UPSTREAM], "deadline": "2021-08-10 00:00"}
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
    user, password = imap_account
    for sender, unit, name, msg_id in (
        ("bjzj@bj.example.cn", "北京针灸学会", "京针之声", "r-bj@bj.example.cn"),
        ("a@shzj.example.cn", "上海市针灸学会", "海上针灸", "r-sh@shzj.example.cn"),
    ):
        raw = submission(sender, f"{unit}推荐", msg_id, nomination=Nomination.sample(unit, name))
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    cases = {r["message_id"]: r["case_no"] for r in export(config)}
    return config, smtp_server, cases["r-bj@bj.example.cn"], cases["r-sh@shzj.example.cn"]


def mails(smtp, before: int) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[before:]]


def history(config):
    cfg = load_config(config)
    return packet_history(cfg, Ledger(cfg.database_url))


def test_a_second_packet_is_confirmed_and_says_it_replaces_the_first(society):
    config, smtp, bj, sh = society
    run(config, "decide", "select", bj)
    receipts = len(smtp.messages())
    run(config, "packet", "--send")
    (first,) = mails(smtp, receipts)
    assert "以本次为准" not in str(first["Subject"]) and first[PACKET_HEADER] == bj
    # Its outbox row is made a moment before the mail, at times in the minute before: the
    # letter below names the time 科协's mail program shows (the mail's Date), not the row's.
    row_made_a_minute_earlier(config)

    run(config, "decide", "unselect", bj)
    run(config, "decide", "select", sh)
    # Without confirmation nothing goes; the refusal says what went and what would change.
    before = len(smtp.messages())
    proc = run(config, "packet", "--send", check=False)
    assert proc.returncode != 0 and len(smtp.messages()) == before
    line = one_chinese_line(proc.stderr)
    assert "已向中国科协调研宣传部发送过上报材料包（京针之声（北京针灸学会）" in line, line
    assert "撤回京针之声（北京针灸学会）" in line and "改为报送海上针灸（上海市针灸学会）" in line, line
    assert "--replace" in line, line

    run(config, "packet", "--send", "--replace")
    (second,) = mails(smtp, before)
    assert "以本次为准" in str(second["Subject"]) and second[PACKET_HEADER] == sh
    body = second.get_body(("plain",)).get_content()
    assert f"本邮件替代 {first_date(first)} 发送的《{first['Subject']}》，请以本次报送为准" in body, body
    assert "变更：撤回京针之声（北京针灸学会）；改为报送海上针灸（上海市针灸学会）。" in body, body
    assert body.index("您好！") < body.index("以本次为准")

    # Asked again: the same packet, not a third mail.
    run(config, "packet", "--send", "--replace")
    assert len(smtp.messages()) == before + 1

    newest, oldest = history(config)
    assert newest.accounts == ["海上针灸（上海市针灸学会）"] and newest.replaced_by is None
    assert oldest.accounts == ["京针之声（北京针灸学会）"] and oldest.replaced_by == newest.when
    assert newest.state == oldest.state == "已送达对方邮件服务器"

    # 北京 chosen again after 上海 replaced it: a new mail, replacing 上海's.
    run(config, "decide", "unselect", sh)
    run(config, "decide", "select", bj)
    run(config, "packet", "--send", "--replace")
    (third,) = mails(smtp, before + 1)
    assert (
        "撤回海上针灸（上海市针灸学会）；改为报送京针之声（北京针灸学会）"
        in third.get_body(("plain",)).get_content()
    )
    assert [p.accounts for p in history(config)] == [
        ["京针之声（北京针灸学会）"],
        ["海上针灸（上海市针灸学会）"],
        ["京针之声（北京针灸学会）"],
    ]


def row_made_a_minute_earlier(config) -> None:
    ledger = Ledger(load_config(config).database_url)
    with ledger.session() as s:
        for row in s.scalars(select(OutboxRow).where(OutboxRow.kind == "packet")):
            row.created_at -= timedelta(minutes=1)
    ledger.engine.dispose()


def first_date(msg) -> str:
    sent = email.utils.parsedate_to_datetime(msg["Date"]).astimezone(TZ)
    return f"{sent:%Y年%m月%d日 %H:%M}"


def signed_in(config_path, name: str = "刘晶晶"):
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    for who in ("刘晶晶", "王评委", "李评委"):
        add_user(ledger, who, ROLES[who], PASSWORDS[who])
    return client_signed_in(config, name)


def test_the_console_asks_before_replacing_and_lists_each_packet(society):
    config, smtp, bj, sh = society
    c = signed_in(config)
    run(config, "decide", "select", bj)
    page = c.get("/packet").text
    assert "此前已发过上报" not in page and 'name="replace"' not in page  # the first packet: no question
    c.post("/packet/send", data={"csrf": CSRF.search(page).group(1)})
    run(config, "decide", "unselect", bj)
    run(config, "decide", "select", sh)

    page = c.get("/packet").text
    assert "此前已发过上报" in page and 'name="replace" value="yes" required' in page
    assert "撤回京针之声（北京针灸学会）；改为报送海上针灸（上海市针灸学会）" in page
    assert "【以本次为准】" in page  # the letter shown is the one that will go
    before = len(smtp.messages())
    refused = c.post("/packet/send", data={"csrf": CSRF.search(page).group(1)})
    assert "我确认以本次为准" in flashed(c, refused)["err"] and len(smtp.messages()) == before
    sent = c.post("/packet/send", data={"csrf": CSRF.search(page).group(1), "replace": "yes"})
    assert flashed(c, sent)["ok"] and len(smtp.messages()) == before + 1

    page = c.get("/packet").text
    history = page[page.index('id="packet-history"') :]
    rows = history.split("<tr>")[2:]
    assert "海上针灸（上海市针灸学会）" in rows[0] and "以此为准" in rows[0] and "已送达" in rows[0]
    assert "京针之声（北京针灸学会）" in rows[1] and "已被" in rows[1] and "替代" in rows[1]

"""The chain: 科协 reads a society's packet right.

Both levels run this software end to end through dovecot and real SMTP servers:
the society's intake, a staff correction, the selection, `packet --send`; the
packet mail is delivered into 科协's mailbox and 科协 runs `once`. 科协's export
must hold one accepted record per selected account with all 15 fields equal to
what the society accepted (corrections included), read from the 推荐表 — not
from the summary sheet — and its receipt goes back to the society's intake.
"""

from __future__ import annotations

import email
import secrets
from datetime import datetime
from email import policy

import pytest
from intake_env import TZ, Nomination, export, run, submission, write_config
from mailservers import SmtpServer

from pipeline.campaign import builtin


def society_with(tmp_path, dovecot, account, smtp, accounts: int, cast: str):
    upstream = {
        "name": "中国科协调研宣传部",
        "addresses": [cast],
        "deadline": "2021-08-10 00:00",
        "accounts": accounts,
    }
    config = write_config(tmp_path / "society", dovecot, account, smtp, upstream=upstream)
    user, password = account
    mails = [
        (
            "bjzj@bj.example.cn",
            "北京推荐",
            "bj-1@bj.example.cn",
            Nomination.sample("北京针灸学会", "京针之声", 粉丝数量="12.3万"),
            False,
        ),
        (
            "a@shzj.example.cn",
            "上海推荐",
            "sh-1@shzj.example.cn",
            Nomination.sample(
                "上海市针灸学会", "海上针灸", 联系地址="上海市黄浦区瑞金二路1号", 邮编="200025"
            ),
            True,
        ),
    ]
    for sender, subject, msg_id, nom, xlsx in mails:
        dovecot.append(
            user,
            password,
            "INBOX",
            submission(sender, subject, msg_id, nomination=nom, xlsx=xlsx),
            datetime(2021, 7, 20, 9, 0, tzinfo=TZ),
        )
    run(config, "once")
    return config


def cast_level(tmp_path, dovecot, society_address: str, quota: int, request, cast: str):
    cast_dir = tmp_path / "cast"
    cast_dir.mkdir()
    account = (cast, "cast-pass")
    dovecot.add_user(*account)
    smtp = SmtpServer(user=cast, password="cast-smtp")
    smtp.up()
    request.addfinalizer(smtp.cleanup)
    config = write_config(
        cast_dir,
        dovecot,
        account,
        smtp,
        units=[{"name": "中国针灸学会", "addresses": [society_address], "quota": quota}],
        level_name="中国科协调研宣传部",
        deadline=datetime(2021, 8, 10, 0, 0, tzinfo=TZ),
    )
    return config, smtp, account


def accepted_values(config, case: str) -> dict[str, str]:
    return next(r for r in export(config) if r["case_no"] == case)["fields"]


@pytest.mark.parametrize("accounts", [1, 2])
def test_cast_reads_the_societys_packet(
    accounts, tmp_path, dovecot_server, imap_account, smtp_server, request
):
    (tmp_path / "society").mkdir()
    cast = f"xcc-{secrets.token_hex(3)}@cast.example.org.cn"  # 科协's own mailbox, fresh for each run
    society = society_with(tmp_path, dovecot_server, imap_account, smtp_server, accounts, cast)
    cases = {r["message_id"]: r["case_no"] for r in export(society)}
    bj, sh = cases["bj-1@bj.example.cn"], cases["sh-1@shzj.example.cn"]
    # Staff at the society correct a value before sending it up.
    run(society, "decide", "correct", bj, "--field", "联系人", "--value", "许诺", "--reason", "联系人已更换")
    chosen = [bj, sh][:accounts]
    for case in chosen:
        run(society, "decide", "select", case)
    expected = {case: accepted_values(society, case) for case in chosen}
    assert expected[bj]["联系人"] == "许诺"
    before = len(smtp_server.messages())
    run(society, "packet", "--send")
    (packet,) = smtp_server.messages()[before:]
    assert packet.rcpts == [cast]

    cast_config, cast_smtp, cast_account = cast_level(
        tmp_path, dovecot_server, smtp_server.user, accounts, request, cast
    )
    dovecot_server.append(*cast_account, "INBOX", packet.data, datetime(2021, 8, 5, 10, 0, tzinfo=TZ))
    run(cast_config, "once")
    records = export(cast_config)
    assert len(records) == accounts, [(r["status"], r["problems"]) for r in records]
    by_name = {r["fields"]["账号名称"]: r for r in records}
    for case in chosen:
        want = expected[case]
        rec = by_name[want["账号名称"]]
        assert rec["unit"] == "中国针灸学会"
        assert rec["status"] == "accepted", rec["problems"]
        assert {label: rec["fields"][label] for label in builtin().form.labels} == {
            label: want[label] for label in builtin().form.labels
        }
        assert all("推荐表.docx" in rec["sources"][label] for label in builtin().form.labels), rec["sources"]
        assert not any("汇总" in s for s in rec["sources"].values())
    receipts = [email.message_from_bytes(m.data, policy=policy.default) for m in cast_smtp.messages()]
    assert len(receipts) == accounts
    assert all(r["To"] == smtp_server.user and "已受理" in r["Subject"] for r in receipts)

"""A 推荐表 widened to two accounts ("栏目 | 推荐账号一 | 推荐账号二") through the whole intake:
real dovecot, real SMTP, `run.py once`. Within the unit's quota each account is its own
submission with its own case number; over the quota the unit is told, naming both accounts."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from corpus import forms
from intake_env import DOCX, TZ, export, run, write_config

WIDENED = (Path(__file__).parent / "corpus" / "real" / "two_accounts_side_by_side.docx").read_bytes()


def _mail(msg_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        "bsqzj@bs.example.cn",
        "intake@society.example.cn",
        "两个账号推荐表",
    )
    msg["Message-ID"] = f"<{msg_id}>"
    msg.set_content("附件是我会推荐的两个账号。")
    msg.add_attachment(WIDENED, maintype=DOCX[0], subtype=DOCX[1], filename="附件1推荐表.docx")
    return msg.as_bytes()


def _deliver(tmp_path, dovecot_server, imap_account, smtp_server, quota: int):
    units = [{"name": "白山市针灸学会", "addresses": ["bsqzj@bs.example.cn"], "quota": quota}]
    path = write_config(tmp_path, dovecot_server, imap_account, smtp_server, units=units)
    user, password = imap_account
    dovecot_server.append(
        user, password, "INBOX", _mail(f"two-{quota}@bs"), datetime(2021, 7, 20, 9, 0, tzinfo=TZ)
    )
    run(path, "once")
    return path


def test_two_accounts_within_the_quota_are_two_submissions(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    path = _deliver(tmp_path, dovecot_server, imap_account, smtp_server, quota=2)
    records = sorted(export(path), key=lambda r: r["case_no"])
    assert len(records) == 2 and len({r["case_no"] for r in records}) == 2
    assert [r["fields"] for r in records] == forms.two_accounts_values()
    assert all(r["status"] != "over_quota" for r in records), [r["status"] for r in records]


def test_two_accounts_over_the_quota_are_named_to_the_unit(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    path = _deliver(tmp_path, dovecot_server, imap_account, smtp_server, quota=1)
    (record,) = export(path)
    assert record["status"] == "over_quota"
    receipts = [
        email.message_from_bytes(m.data, policy=policy.default)
        for m in smtp_server.messages()
        if "bsqzj@bs.example.cn" in str(email.message_from_bytes(m.data, policy=policy.default)["To"])
    ]
    (receipt,) = receipts
    body = receipt.get_body(("plain",)).get_content()
    first, second = forms.two_accounts_values()
    assert first["账号名称"] in body and second["账号名称"] in body and "限推荐 1 个账号" in body, body

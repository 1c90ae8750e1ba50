"""Word structures of issue 19 through the whole intake (real dovecot, real SMTP, `run.py once`).

A 推荐表 widened to two accounts ("栏目 | 推荐账号一 | 推荐账号二"): within the unit's quota each
account is its own submission with its own case number; over the quota the unit is told which
account, in Chinese, never dropped silently. A form saved as Word 2003 XML is read as the form."""

from __future__ import annotations

import email
import json
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from corpus import forms
from intake_env import DOCX, TZ, export, run, submission, write_config
from samples import Nomination

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


def _deliver(tmp_path, dovecot_server, imap_account, smtp_server, quota: int, earlier: bytes | None = None):
    units = [{"name": "白山市针灸学会", "addresses": ["bsqzj@bs.example.cn"], "quota": quota}]
    path = write_config(tmp_path, dovecot_server, imap_account, smtp_server, units=units)
    user, password = imap_account
    if earlier is not None:
        dovecot_server.append(user, password, "INBOX", earlier, datetime(2021, 7, 19, 9, 0, tzinfo=TZ))
        run(path, "once")
    dovecot_server.append(
        user, password, "INBOX", _mail(f"two-{quota}@bs"), datetime(2021, 7, 20, 9, 0, tzinfo=TZ)
    )
    run(path, "once")
    return path


def _receipt_bodies(smtp_server) -> dict[str, str]:
    """The unit's receipts by the case number in their subject: 【回执】<case> ..."""
    bodies = {}
    for m in smtp_server.messages():
        msg = email.message_from_bytes(m.data, policy=policy.default)
        subject = str(msg["Subject"])
        if "bsqzj@bs.example.cn" in str(msg["To"]) and subject.startswith("【回执】"):
            bodies[subject.removeprefix("【回执】").split()[0]] = msg.get_body(("plain",)).get_content()
    return bodies


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


def test_two_accounts_with_one_place_left_take_it_and_name_the_rest(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    """Quota 2, one account already nominated: the widened form's first account takes the
    last place, the second is its own case, over the quota, and its receipt says so."""
    earlier = submission(
        "bsqzj@bs.example.cn",
        "推荐表",
        "earlier@bs",
        nomination=Nomination.sample("白山市针灸学会", "白山针灸早前推荐"),
        sent=datetime(2021, 7, 19, 9, 0, tzinfo=TZ),
    )
    path = _deliver(tmp_path, dovecot_server, imap_account, smtp_server, quota=2, earlier=earlier)
    records = sorted(export(path), key=lambda r: r["case_no"])
    assert len(records) == 3, [(r["case_no"], r["status"]) for r in records]
    held, first, second = records
    assert held["fields"]["账号名称"] == "白山针灸早前推荐" and held["status"] != "over_quota"
    assert [first["fields"], second["fields"]] == forms.two_accounts_values()
    assert first["status"] != "over_quota" and second["status"] == "over_quota"
    bodies = _receipt_bodies(smtp_server)
    assert set(bodies) == {held["case_no"], first["case_no"], second["case_no"]}, list(bodies)
    told = bodies[second["case_no"]]
    assert second["fields"]["账号名称"] in told and "限推荐 2 个账号" in told, told
    assert held["case_no"] in told and first["case_no"] in told, told
    assert "限推荐" not in bodies[first["case_no"]], bodies[first["case_no"]]


def test_word_xml_attachment_is_read_through_the_intake(tmp_path, dovecot_server, imap_account, smtp_server):
    """A 推荐表 saved as Word 2003 XML, sent as mail clients label .xml (text/xml, or
    application/octet-stream from QQ/Foxmail), is read as the form, not filed as an odd file."""
    units = [{"name": "白山市针灸学会", "addresses": ["bsqzj@bs.example.cn"], "quota": 2}]
    path = write_config(tmp_path, dovecot_server, imap_account, smtp_server, units=units)
    user, password = imap_account
    data = (Path(__file__).parent / "corpus" / "real" / "legacy_fields.xml").read_bytes()
    for n, (maintype, subtype) in enumerate([("text", "xml"), ("application", "octet-stream")]):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = (
            "bsqzj@bs.example.cn",
            "intake@society.example.cn",
            "推荐表",
        )
        msg["Message-ID"] = f"<xml-{n}@bs>"
        msg.set_content("附件是推荐表。")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename="附件1推荐表.xml")
        dovecot_server.append(user, password, "INBOX", msg.as_bytes(), datetime(2021, 7, 20, 9, n, tzinfo=TZ))
    run(path, "once")
    expected = json.loads((Path(__file__).parent / "corpus" / "real" / "expected.json").read_text("utf-8"))
    records = export(path)
    assert len(records) == 2
    for record in records:
        assert record["fields"] == expected["legacy_fields.xml"]["fields"], record
        assert record["status"] != "no_form", record["status"]

"""Unknown senders: answer only mail that looks like a submission (issue: a code
file from a mailing list and spam with a PDF each got a 发件人不在名单 receipt).
Through dovecot, `run.py once` and a real SMTP server."""

from __future__ import annotations

import email
from datetime import datetime
from email.message import EmailMessage

import pytest
from intake_env import TZ, Nomination, export, run, submission, write_config

# A one-page text PDF ("INVOICE 2021-0042"), as spam carries.
INVOICE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 52>>stream\nBT /F1 18 Tf 20 70 Td (INVOICE 2021-0042) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def mail(sender: str, subject: str, msg_id: str, name: str, data: bytes, ctype: tuple[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{msg_id}>"
    msg.set_content("see attached")
    msg.add_attachment(data, maintype=ctype[0], subtype=ctype[1], filename=name)
    return msg.as_bytes()


@pytest.fixture
def installation(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account

    def deliver(raw: bytes) -> None:
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 9, 0, tzinfo=TZ))

    return config, smtp_server, deliver


def test_unknown_senders_get_a_receipt_only_for_a_submission(installation):
    config, smtp, deliver = installation
    patch = (
        b"diff --git a/build.sh b/build.sh\n--- a/build.sh\n+++ b/build.sh\n@@ -1 +1 @@\n-make\n+make -j2\n"
    )
    deliver(
        mail(
            "dev@lists.example.org",
            "Re: [PATCH v2] fix the build",
            "p1@lists",
            "fix.patch",
            patch,
            ("text", "x-diff"),
        )
    )
    deliver(
        mail(
            "billing@spam.example.net",
            "Your invoice",
            "s1@spam",
            "invoice.pdf",
            INVOICE_PDF,
            ("application", "pdf"),
        )
    )
    nom = Nomination.sample("某医院针灸科", "某医院针灸")
    deliver(submission("someone@163.example.com", "推荐表", "u1@163.example.com", nomination=nom))
    run(config, "once")
    rcpts = [m.rcpts for m in smtp.messages()]
    assert rcpts == [["someone@163.example.com"]]
    receipt = email.message_from_bytes(smtp.messages()[0].data)
    assert "发件人不在名单" in str(email.header.make_header(email.header.decode_header(receipt["Subject"])))
    # All three are on record for staff to see, none lost.
    statuses = {r["message_id"]: r["status"] for r in export(config)}
    assert statuses == {
        "p1@lists": "unknown_unit",
        "s1@spam": "unknown_unit",
        "u1@163.example.com": "unknown_unit",
    }


def test_a_mail_naming_the_campaign_is_answered_even_without_a_readable_form(installation):
    config, smtp, deliver = installation
    deliver(
        mail(
            "new@unit.example.cn",
            "关于“百佳账号”推选的推荐材料",
            "c1@unit",
            "材料.pdf",
            INVOICE_PDF,
            ("application", "pdf"),
        )
    )
    run(config, "once")
    assert [m.rcpts for m in smtp.messages()] == [["new@unit.example.cn"]]


def test_an_unknown_sender_gets_no_more_than_the_hourly_limit(installation):
    config, smtp, deliver = installation
    nom = Nomination.sample("某医院针灸科", "某医院针灸")
    for i in range(5):
        deliver(
            submission("someone@163.example.com", f"推荐表 第{i}版", f"u{i}@163.example.com", nomination=nom)
        )
    run(config, "once")
    assert len(smtp.messages()) == 3  # smtp.max_receipts_per_sender_hour
    assert len(export(config)) == 5

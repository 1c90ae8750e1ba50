"""The test mail servers themselves behave like the real ones we stand in for."""

from __future__ import annotations

import os
import smtplib
from datetime import datetime, timedelta, timezone

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from mailservers import wait_for_port
from netease_proxy import ImapProxy

RAW = b"From: a@example.cn\r\nSubject: hello\r\n\r\nbody\r\n"
BEIJING = timezone(timedelta(hours=8))


def test_dovecot_append_keeps_internaldate_and_flags(dovecot_server, imap_account):
    when = datetime(2021, 8, 2, 16, 59, 59, tzinfo=BEIJING)
    uid = dovecot_server.append(*imap_account, "INBOX", RAW, when, flags=(b"\\Flagged",))
    assert uid == 1
    with dovecot_server.client(*imap_account) as c:
        c.normalise_times = False
        c.select_folder("INBOX", readonly=True)
        data = c.fetch([1], ["INTERNALDATE", "FLAGS"])[1]
    assert data[b"INTERNALDATE"] == when
    assert b"\\Flagged" in data[b"FLAGS"]
    assert dovecot_server.messages(*imap_account, "INBOX") == [RAW]


def test_dovecot_folders_and_unknown_password(dovecot_server, imap_account):
    dovecot_server.create_folder(*imap_account, "报送/2021")
    assert "报送/2021" in dovecot_server.folders(*imap_account)
    with pytest.raises(LoginError):
        dovecot_server.client(imap_account[0], "wrong")


def test_dovecot_mail_is_owned_by_the_mail_user(dovecot_server, imap_account):
    dovecot_server.append(*imap_account, "INBOX", RAW)
    home = dovecot_server.root / "home" / imap_account[0]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files and {p.stat().st_uid for p in files} == {dovecot_server.mail_uid}
    if os.geteuid() == 0:
        assert dovecot_server.mail_uid != 0  # dovecot never runs mail processes as root


def test_dovecot_restart_keeps_mail_and_stop_closes_port(private_dovecot):
    private_dovecot.add_user("r@example.org", "pw")
    private_dovecot.append("r@example.org", "pw", "INBOX", RAW)
    private_dovecot.restart()
    assert private_dovecot.messages("r@example.org", "pw", "INBOX") == [RAW]
    private_dovecot.stop()
    assert not wait_for_port(private_dovecot.host, private_dovecot.port, 0.3)
    private_dovecot.start()
    assert private_dovecot.messages("r@example.org", "pw", "INBOX") == [RAW]


def _smtp(server) -> smtplib.SMTP:
    conn = smtplib.SMTP(server.host, server.port, timeout=10)
    conn.login(server.user, server.password)
    return conn


@pytest.mark.parametrize(("style", "code"), [("qq", 501), ("163", 553)])
def test_smtp_server_rejects_from_other_than_login(smtp_server, style, code):
    smtp_server.enforce_from_equals_login = True
    smtp_server.from_mismatch_style = style
    with _smtp(smtp_server) as conn:
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            conn.sendmail("other@example.org", ["a@example.cn"], RAW)
        assert err.value.smtp_code == code
        conn.sendmail(smtp_server.user, ["a@example.cn"], RAW)
    (got,) = smtp_server.messages()
    assert got.mail_from == smtp_server.user and got.login == smtp_server.user


def test_smtp_server_scripted_failures_and_gbk_auth_text(smtp_server):
    smtp_server.fail_next(451, "try later", count=1, command="DATA")
    with _smtp(smtp_server) as conn:
        with pytest.raises(smtplib.SMTPDataError) as err:
            conn.sendmail(smtp_server.user, ["a@example.cn"], RAW)
        assert err.value.smtp_code == 451
        conn.sendmail(smtp_server.user, ["a@example.cn"], RAW)
    assert len(smtp_server.messages()) == 1

    text = "请使用授权码登录".encode("gbk")
    smtp_server.auth_fail_text = text
    conn = smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10)
    with pytest.raises(smtplib.SMTPAuthenticationError) as err:
        conn.login(smtp_server.user, "wrong")
    conn.close()
    assert err.value.smtp_code == 535 and err.value.smtp_error == text


def test_smtp_server_down_and_up(smtp_server):
    smtp_server.down()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5)
    smtp_server.up()
    with _smtp(smtp_server) as conn:
        conn.sendmail(smtp_server.user, ["a@example.cn"], RAW)
    assert len(smtp_server.messages()) == 1


def test_netease_proxy_refuses_select_until_id(dovecot_server, imap_account):
    dovecot_server.append(*imap_account, "INBOX", RAW)
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port)
    try:
        with IMAPClient(proxy.host, port=proxy.port, ssl=False, timeout=10) as c:
            c.login(*imap_account)
            assert c.has_capability("ID")
            with pytest.raises(IMAPClientError, match="Unsafe Login"):
                c.select_folder("INBOX")
            c.id_({"name": "test"})
            assert c.select_folder("INBOX")[b"EXISTS"] == 1
            assert c.fetch([1], ["BODY.PEEK[]"])[1][b"BODY[]"] == RAW  # literals pass through intact
    finally:
        proxy.close()


def test_proxy_hides_capabilities(dovecot_server, imap_account):
    proxy = ImapProxy(
        dovecot_server.host, dovecot_server.port, require_id=False, hide_capabilities=("ID", "MOVE")
    )
    try:
        with IMAPClient(proxy.host, port=proxy.port, ssl=False, timeout=10) as c:
            c.login(*imap_account)
            caps = c.capabilities()
            assert b"ID" not in caps and b"MOVE" not in caps
            assert b"IDLE" in caps and b"UIDPLUS" in caps
            c.select_folder("INBOX")
    finally:
        proxy.close()

"""ImapSource against a real dovecot (and a NetEase-like proxy in front of it)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from mailservers import imap_mailbox, smtp_settings
from netease_proxy import ImapProxy

from pipeline.cli import connection_test as conn_test
from pipeline.config import Config, Mailbox, ThisLevel
from pipeline.mailbox import (
    MailboxConfigError,
    MailboxCursor,
    MailboxUnavailable,
    MailSource,
    open_source,
)
from pipeline.mailbox import imap as imap_module
from pipeline.mailbox.imap import ImapSource, login_failed_message

BEIJING = timezone(timedelta(hours=8))


def make_mail(n: int, subject: str = "推荐表", date: str = "Mon, 02 Aug 2021 08:00:00 +0800") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"unit{n}@example.cn"
    msg["To"] = "intake@example.org"
    msg["Subject"] = f"{subject} {n}"
    msg["Date"] = date
    msg["Message-ID"] = f"<m{n}@example.cn>"
    msg.set_content(f"第 {n} 封推荐邮件\n")
    return msg.as_bytes(policy=SMTP)


@pytest.fixture
def source_for(dovecot_server, imap_account):
    """Build ImapSources for the test account and close them afterwards."""
    made: list[ImapSource] = []

    def build(server=dovecot_server, **overrides) -> ImapSource:
        kwargs = {
            k: overrides.pop(k)
            for k in ("sleep", "clock", "backoff_base", "backoff_max", "ssl_context")
            if k in overrides
        }
        box = imap_mailbox(server, *imap_account, **overrides)
        src = ImapSource(box, **kwargs)
        made.append(src)
        return src

    yield build
    for src in made:
        src.close()


def append(server, account, n, folder="INBOX", when=None, **kw):
    return server.append(*account, folder, make_mail(n, **kw), when or datetime(2021, 8, 1, 10, tzinfo=UTC))


def test_incremental_fetch_by_uid(dovecot_server, imap_account, source_for):
    for n in range(3):
        append(dovecot_server, imap_account, n)
    src = source_for()
    assert isinstance(src, MailSource)
    first = list(src.fetch_new(MailboxCursor(None, 0)))
    assert [m.uid for m in first] == [1, 2, 3]
    assert first[0].raw == make_mail(0)
    assert {m.mailbox for m in first} == {src.name} and {m.folder for m in first} == {"INBOX"}
    cursor = MailboxCursor(first[0].uidvalidity, max(m.uid for m in first))
    assert src.current_cursor() == cursor

    append(dovecot_server, imap_account, 3)
    append(dovecot_server, imap_account, 4)
    second = list(src.fetch_new(cursor))
    assert [m.uid for m in second] == [4, 5]
    assert b"Subject: =?utf-8?b?" in second[0].raw or "推荐表 3".encode() in second[0].raw

    # "UID n:*" always returns the highest UID; it must not come back as new.
    cursor = MailboxCursor(cursor.uidvalidity, 5)
    assert list(src.fetch_new(cursor)) == []
    assert list(src.fetch_new(MailboxCursor(cursor.uidvalidity, 50))) == []
    assert src.connects == 1  # one persistent connection for all polls


def test_known_uids_are_skipped(dovecot_server, imap_account, source_for):
    for n in range(3):
        append(dovecot_server, imap_account, n)
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port, require_id=False)
    try:
        src = source_for(port=proxy.port)
        seen: list[MailboxCursor] = []

        def known(uid: int) -> bool:
            seen.append(src.current_cursor())  # answered from the running poll, no round trip
            return uid == 2

        got = list(src.fetch_new(MailboxCursor(None, 0), known=known))
        commands = proxy.commands[-1]
    finally:
        proxy.close()
    assert [m.uid for m in got] == [1, 3]
    assert seen == [MailboxCursor(got[0].uidvalidity, 3)] * 3
    assert commands.count("EXAMINE") == 1 and commands.count("UID SEARCH") == 1


def test_internaldate_is_arrival_time_not_date_header(dovecot_server, imap_account, source_for):
    arrival = datetime(2021, 8, 2, 17, 0, 30, tzinfo=BEIJING)
    append(dovecot_server, imap_account, 1, when=arrival, date="Fri, 30 Jul 2021 09:00:00 +0800")
    (mail,) = source_for().fetch_new(MailboxCursor(None, 0))
    assert mail.internaldate.tzinfo is not None
    assert mail.internaldate == arrival


def test_fetch_never_sets_seen_even_read_write(dovecot_server, imap_account, source_for):
    append(dovecot_server, imap_account, 1)
    src = source_for(processed_folder="已处理")  # read-write SELECT
    assert len(list(src.fetch_new(MailboxCursor(None, 0)))) == 1
    ((_, _, flags),) = dovecot_server.messages_with_flags(*imap_account, "INBOX")
    assert b"\\Seen" not in flags


def test_uidvalidity_change_rescans_everything(dovecot_server, imap_account, source_for):
    folder = "Submissions"
    append(dovecot_server, imap_account, 1, folder=folder)
    append(dovecot_server, imap_account, 2, folder=folder)
    src = source_for(folder=folder)
    old = list(src.fetch_new(MailboxCursor(None, 0)))
    cursor = MailboxCursor(old[0].uidvalidity, 2)

    dovecot_server.delete_folder(*imap_account, folder)
    dovecot_server.create_folder(*imap_account, folder)
    append(dovecot_server, imap_account, 7, folder=folder)
    append(dovecot_server, imap_account, 8, folder=folder)

    new = list(src.fetch_new(cursor))
    assert [m.uid for m in new] == [1, 2]  # UIDs <= the old cursor, still returned
    assert new[0].raw == make_mail(7)
    assert new[0].uidvalidity != cursor.uidvalidity
    assert src.current_cursor() == MailboxCursor(new[0].uidvalidity, 2)


def test_processed_folder_with_chinese_name(dovecot_server, imap_account, source_for):
    for n in range(3):
        append(dovecot_server, imap_account, n)
    src = source_for(processed_folder="已处理")
    mails = list(src.fetch_new(MailboxCursor(None, 0)))
    src.mark_processed(mails[0])
    src.mark_processed(mails[2])
    assert "已处理" in dovecot_server.folders(*imap_account)
    assert dovecot_server.messages(*imap_account, "已处理") == [make_mail(0), make_mail(2)]
    assert dovecot_server.messages(*imap_account, "INBOX") == [make_mail(1)]
    # On the wire the name is modified UTF-7, as RFC 3501 requires.
    with dovecot_server.client(*imap_account) as c:
        c.folder_encode = False
        assert b"&XfJZBHQG-" in [name for _, _, name in c.list_folders()]


def test_mark_processed_is_a_no_op_without_processed_folder(dovecot_server, imap_account, source_for):
    append(dovecot_server, imap_account, 1)
    src = source_for()
    (mail,) = src.fetch_new(MailboxCursor(None, 0))
    src.mark_processed(mail)
    assert dovecot_server.messages(*imap_account, "INBOX") == [make_mail(1)]


def test_mark_processed_refuses_uid_from_old_uidvalidity(dovecot_server, imap_account, source_for):
    append(dovecot_server, imap_account, 1)
    src = source_for(processed_folder="已处理")
    (mail,) = src.fetch_new(MailboxCursor(None, 0))
    mail.uidvalidity += 1  # as if the mailbox had been recreated since
    src.mark_processed(mail)
    assert dovecot_server.messages(*imap_account, "INBOX") == [make_mail(1)]


def test_move_fallback_expunges_only_that_uid(dovecot_server, imap_account, source_for):
    append(dovecot_server, imap_account, 1)
    append(dovecot_server, imap_account, 2)
    with dovecot_server.client(*imap_account) as c:  # someone else flagged #2 deleted
        c.select_folder("INBOX")
        c.add_flags([2], [b"\\Deleted"])
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port, require_id=False, hide_capabilities=("MOVE",))
    try:
        src = source_for(port=proxy.port, processed_folder="已处理")
        first = next(iter(src.fetch_new(MailboxCursor(None, 0))))
        src.mark_processed(first)
        assert any(cmd == "UID COPY" for cmd in proxy.commands[-1])
        assert "UID MOVE" not in proxy.commands[-1]
    finally:
        proxy.close()
    remaining = dovecot_server.messages_with_flags(*imap_account, "INBOX")
    assert [(uid, raw) for uid, raw, _ in remaining] == [(2, make_mail(2))]
    assert dovecot_server.messages(*imap_account, "已处理") == [make_mail(1)]


def test_idle_wakes_when_mail_arrives(dovecot_server, imap_account, source_for):
    src = source_for()
    assert list(src.fetch_new(MailboxCursor(None, 0))) == []
    timer = threading.Timer(0.5, append, args=(dovecot_server, imap_account, 1))
    timer.start()
    try:
        assert src.wait_for_new(30) is True
    finally:
        timer.join()
    (mail,) = src.fetch_new(MailboxCursor(None, 0))
    assert mail.raw == make_mail(1)
    assert src.connects == 1  # IDLE ended cleanly; the same connection keeps working


def test_idle_is_renewed_before_the_server_limit(dovecot_server, imap_account, source_for, monkeypatch):
    monkeypatch.setattr(imap_module, "IDLE_RENEW_SECONDS", 0.3)
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port, require_id=False)
    timer = threading.Timer(1.2, append, args=(dovecot_server, imap_account, 1))
    try:
        src = source_for(port=proxy.port)
        timer.start()
        assert src.wait_for_new(30) is True
        assert proxy.commands[-1].count("IDLE") >= 2  # IDLE, DONE, IDLE again...
        assert [m.raw for m in src.fetch_new(MailboxCursor(None, 0))] == [make_mail(1)]
    finally:
        timer.join()
        proxy.close()


def test_restart_during_idle_returns_false_then_reconnects(private_dovecot):
    account = ("idle@example.org", "pw-idle")
    private_dovecot.add_user(*account)
    slept: list[float] = []
    src = ImapSource(imap_mailbox(private_dovecot, *account), sleep=slept.append)
    timer = threading.Timer(0.5, private_dovecot.restart)
    try:
        assert src.current_cursor().last_uid == 0
        timer.start()
        assert src.wait_for_new(30) is False  # the BYE ends the wait without an exception
        assert len(slept) == 1  # the rest of the timeout is slept out, not spun
        timer.join()
        append(private_dovecot, account, 1)
        assert [m.raw for m in src.fetch_new(MailboxCursor(None, 0))] == [make_mail(1)]
        assert src.connects == 2
    finally:
        timer.join()
        src.close()


def test_idle_times_out_without_mail(source_for):
    src = source_for()
    assert src.wait_for_new(0.5) is False
    assert src.current_cursor().last_uid == 0


def test_no_idle_capability_sleeps_and_returns_false(dovecot_server, source_for):
    slept: list[float] = []
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port, require_id=False, hide_capabilities=("IDLE",))
    try:
        src = source_for(port=proxy.port, sleep=slept.append)
        assert src.wait_for_new(7) is False
        assert "IDLE" not in proxy.commands[-1]
    finally:
        proxy.close()
    assert len(slept) == 1 and 6 < slept[0] <= 7


def test_server_restart_mid_session_reconnects(private_dovecot):
    account = ("restart@example.org", "pw-restart")
    private_dovecot.add_user(*account)
    append(private_dovecot, account, 1)
    src = ImapSource(imap_mailbox(private_dovecot, *account))
    try:
        first = list(src.fetch_new(MailboxCursor(None, 0)))
        private_dovecot.restart()
        append(private_dovecot, account, 2)
        second = list(src.fetch_new(MailboxCursor(first[0].uidvalidity, 1)))
        assert [m.raw for m in second] == [make_mail(2)]
        assert src.connects == 2
    finally:
        src.close()


def test_outage_backs_off_then_recovers(private_dovecot):
    account = ("outage@example.org", "pw-outage")
    private_dovecot.add_user(*account)
    now = [1000.0]
    src = ImapSource(imap_mailbox(private_dovecot, *account), clock=lambda: now[0], backoff_base=10)
    try:
        assert list(src.fetch_new(MailboxCursor(None, 0))) == []
        private_dovecot.stop()
        with pytest.raises(MailboxUnavailable):
            list(src.fetch_new(MailboxCursor(None, 0)))
        attempts = src.connects
        with pytest.raises(MailboxUnavailable, match="秒后重试"):
            list(src.fetch_new(MailboxCursor(None, 0)))
        assert src.connects == attempts  # inside the backoff window: no new connection attempt
        now[0] += 11
        with pytest.raises(MailboxUnavailable):  # still down: next window is twice as long
            list(src.fetch_new(MailboxCursor(None, 0)))
        private_dovecot.start()
        append(private_dovecot, account, 1)
        now[0] += 11
        with pytest.raises(MailboxUnavailable, match="秒后重试"):
            list(src.fetch_new(MailboxCursor(None, 0)))
        now[0] += 10
        assert [m.raw for m in src.fetch_new(MailboxCursor(None, 0))] == [make_mail(1)]
    finally:
        src.close()


def test_wrong_password_is_a_config_error_not_retried(dovecot_server, imap_account):
    box = imap_mailbox(dovecot_server, imap_account[0], "wrong-password")
    src = ImapSource(box)
    with pytest.raises(MailboxConfigError, match="登录失败"):
        list(src.fetch_new(MailboxCursor(None, 0)))
    with pytest.raises(MailboxConfigError):
        src.current_cursor()
    assert src.connects == 1  # the bad password was tried once, not in a storm
    assert src.wait_for_new(0) is False


def test_login_hints_name_the_authorization_code():
    qq = Mailbox(name="qq", host="imap.qq.com", user="123@qq.com")
    netease = Mailbox(name="163", host="imap.163.com", user="a@163.com")
    assert "授权码" in login_failed_message(qq, "x") and "QQ 密码" in login_failed_message(qq, "x")
    assert "开启 IMAP" in login_failed_message(netease, "x") and "授权码" in login_failed_message(
        netease, "x"
    )


def test_missing_folder_is_a_config_error(source_for):
    with pytest.raises(MailboxConfigError, match="找不到文件夹"):
        source_for(folder="没有这个文件夹").current_cursor()


def test_no_change_poll_fetches_no_bodies(dovecot_server, imap_account, source_for):
    dovecot_server.append_many(*imap_account, "INBOX", [make_mail(n) for n in range(300)])
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port, require_id=False)
    try:
        src = source_for(port=proxy.port)
        cursor = src.current_cursor()
        assert cursor.last_uid == 300
        before = len(proxy.commands[-1])
        assert list(src.fetch_new(cursor)) == []
        poll = proxy.commands[-1][before:]
    finally:
        proxy.close()
    assert poll == ["EXAMINE", "UID SEARCH"]


def test_netease_unsafe_login_passes_because_id_is_sent(dovecot_server, imap_account, source_for):
    append(dovecot_server, imap_account, 1)
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port)
    try:
        src = source_for(port=proxy.port)
        assert [m.raw for m in src.fetch_new(MailboxCursor(None, 0))] == [make_mail(1)]
        commands = proxy.commands[-1]
        assert commands.index("ID") < commands.index("EXAMINE")
        assert proxy.refused_selects == 0
    finally:
        proxy.close()


def test_netease_unsafe_login_without_id_explains_in_chinese(dovecot_server, imap_account, source_for):
    proxy = ImapProxy(dovecot_server.host, dovecot_server.port, hide_capabilities=("ID",))
    try:
        src = source_for(port=proxy.port)
        with pytest.raises(MailboxConfigError) as err:
            list(src.fetch_new(MailboxCursor(None, 0)))
        assert "ID" not in proxy.commands[-1]
        assert proxy.refused_selects == 1
        with pytest.raises(MailboxConfigError):  # remembered: no reconnect storm
            src.current_cursor()
        assert src.connects == 1
    finally:
        proxy.close()
    text = str(err.value)
    assert "Unsafe Login" in text and "IMAP ID" in text and "授权码" in text


def test_imaps_and_starttls(dovecot_server, imap_account, source_for):
    append(dovecot_server, imap_account, 1)
    ctx = dovecot_server.ssl_context()
    imaps = source_for(port=dovecot_server.tls_port, ssl=True, ssl_context=ctx)
    assert [m.raw for m in imaps.fetch_new(MailboxCursor(None, 0))] == [make_mail(1)]
    assert imaps._client.socket().version().startswith("TLS")
    starttls = source_for(starttls=True, ssl_context=dovecot_server.ssl_context())
    assert [m.raw for m in starttls.fetch_new(MailboxCursor(None, 0))] == [make_mail(1)]
    assert starttls._client.socket().version().startswith("TLS")


def test_untrusted_certificate_is_a_config_error(dovecot_server, source_for):
    src = source_for(port=dovecot_server.tls_port, ssl=True)  # system CAs do not trust it
    with pytest.raises(MailboxConfigError, match="证书校验失败"):
        src.current_cursor()


def test_open_source_and_connection_test(dovecot_server, imap_account, smtp_server, tmp_path):
    good = imap_mailbox(dovecot_server, *imap_account, name="收件箱甲")
    bad = imap_mailbox(dovecot_server, imap_account[0], "nope", name="收件箱乙")
    folder = Mailbox(name="演示", kind="folder", path=str(tmp_path))
    (tmp_path / "a.eml").write_bytes(make_mail(1))
    assert isinstance(open_source(good), ImapSource)
    config = Config(
        campaign="测试",
        this_level=ThisLevel(name="测试学会", deadline=datetime(2021, 8, 2, 17, tzinfo=BEIJING)),
        mailboxes=[good, bad, folder],
        units=[],
        smtp=smtp_settings(smtp_server),
    )
    results = conn_test.test_connection(config)
    assert [(name, ok) for name, ok, _ in results] == [
        ("收件邮箱 收件箱甲", True),
        ("收件邮箱 收件箱乙", False),
        ("收件邮箱 演示", True),
        ("发信 SMTP", True),
    ]
    assert "登录成功" in results[0][2] and "支持 IDLE" in results[0][2]
    assert "登录失败" in results[1][2]
    assert "1 封" in results[2][2]
    assert smtp_server.messages() == []  # the check sends nothing

"""SmtpSender against a real aiosmtpd server with scripted replies."""

from __future__ import annotations

import socket
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from mailservers import SmtpServer, free_port, smtp_settings

from pipeline.outbox.smtp_send import SmtpConfigError, SmtpSender, decode_reply, make_message_id

QQ_535 = (
    "Error: 请使用授权码登录。详情请看: http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256"
)


def receipt(sender: str, to: str = "unit@example.cn", subject: str = "回执：已受理") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"测试学会 <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_message_id(sender.split("@")[1])
    msg.set_content("您的推荐材料已受理。\n")
    return msg.as_bytes(policy=SMTP)


class FakeTime:
    """Clock and sleep that only move when slept, so throttle tests take no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_sender(server, fake: FakeTime | None = None, **overrides) -> SmtpSender:
    fake = fake or FakeTime()
    tries = overrides.pop("tries", 3)
    password = overrides.pop("password", None)
    return SmtpSender(
        smtp_settings(server, **overrides),
        password=password,
        tries=tries,
        retry_delay=1.0,
        sleep=fake.sleep,
        clock=fake.clock,
    )


def test_send_authenticated_and_reuses_connection(smtp_server):
    sender = make_sender(smtp_server)
    raws = [receipt(smtp_server.user, subject=f"回执 {i}") for i in range(3)]
    for raw in raws:
        result = sender.send(raw, smtp_server.user, ["unit@example.cn"])
        assert result.ok and not result.permanent and result.code == 250
    sender.close()
    got = smtp_server.messages()
    assert [r.mail_from for r in got] == [smtp_server.user] * 3
    assert [r.rcpts for r in got] == [["unit@example.cn"]] * 3
    assert [r.login for r in got] == [smtp_server.user] * 3
    assert got[0].data.replace(b"\r\n", b"\n") == raws[0].replace(b"\r\n", b"\n")
    assert smtp_server.connections == 1 and sender.connects == 1


def test_empty_mail_from_uses_the_login_never_a_null_sender(smtp_server):
    smtp_server.enforce_from_equals_login = True
    sender = make_sender(smtp_server)
    assert sender.send(receipt(smtp_server.user), "", ["unit@example.cn"]).ok
    assert smtp_server.messages()[0].mail_from == smtp_server.user


def test_reconnects_after_server_drops(smtp_server):
    sender = make_sender(smtp_server)
    assert sender.send(receipt(smtp_server.user), smtp_server.user, ["a@example.cn"]).ok
    smtp_server.down()
    smtp_server.up()
    assert sender.send(receipt(smtp_server.user), smtp_server.user, ["b@example.cn"]).ok
    assert [r.rcpts for r in smtp_server.messages()] == [["a@example.cn"], ["b@example.cn"]]
    assert sender.connects == 2


def test_from_must_equal_login_refused_up_front(smtp_server):
    with pytest.raises(SmtpConfigError, match="必须与登录账号"):
        SmtpSender(smtp_settings(smtp_server, from_addr="other@example.org"))
    sender = make_sender(smtp_server)
    with pytest.raises(SmtpConfigError, match="不一致"):
        sender.send(receipt(smtp_server.user), "other@example.org", ["a@example.cn"])
    with pytest.raises(SmtpConfigError, match="From"):
        sender.send(receipt("other@example.org"), smtp_server.user, ["a@example.cn"])
    assert smtp_server.messages() == [] and smtp_server.connections == 0


@pytest.mark.parametrize("code", [421, 451])
def test_temporary_failures_are_retried_then_reported_non_permanent(smtp_server, code):
    fake = FakeTime()
    smtp_server.fail_next(code, "Try again later", count=5)
    result = make_sender(smtp_server, fake).send(
        receipt(smtp_server.user), smtp_server.user, ["a@example.cn"]
    )
    assert not result.ok and not result.permanent and result.code == code
    assert "3 次" in result.detail
    assert fake.sleeps == [1.0, 2.0]  # exponential backoff between the 3 tries
    assert smtp_server._script[0].count == 2  # exactly 3 attempts reached the server
    assert smtp_server.messages() == []


def test_temporary_failure_then_success(smtp_server):
    fake = FakeTime()
    smtp_server.fail_next(451, "4.7.1 发信过于频繁".encode("gbk"), count=1, command="DATA")
    result = make_sender(smtp_server, fake).send(
        receipt(smtp_server.user), smtp_server.user, ["a@example.cn"]
    )
    assert result.ok
    assert fake.sleeps == [1.0]
    assert len(smtp_server.messages()) == 1


def test_permanent_failure_is_not_retried_and_gbk_text_is_decoded(smtp_server):
    fake = FakeTime()
    smtp_server.fail_next(550, "邮件被拒收：内容疑似垃圾邮件".encode("gbk"), count=3)
    result = make_sender(smtp_server, fake).send(
        receipt(smtp_server.user), smtp_server.user, ["a@example.cn"]
    )
    assert not result.ok and result.permanent and result.code == 550
    assert "内容疑似垃圾邮件" in result.detail
    assert fake.sleeps == []
    assert smtp_server._script[0].count == 2


def test_qq_style_gbk_535_is_readable(smtp_server):
    smtp_server.auth_fail_text = QQ_535.encode("gbk")
    sender = make_sender(smtp_server, password="not-the-code")
    with pytest.raises(SmtpConfigError) as err:
        sender.check()
    assert "请使用授权码登录" in str(err.value)
    result = sender.send(receipt(smtp_server.user), smtp_server.user, ["a@example.cn"])
    assert not result.ok and result.code == 535 and "请使用授权码登录" in result.detail


def test_connection_refused_is_not_permanent(smtp_server):
    fake = FakeTime()
    sender = make_sender(smtp_server, fake, port=free_port())
    result = sender.send(receipt(smtp_server.user), smtp_server.user, ["a@example.cn"])
    assert not result.ok and not result.permanent and result.code is None
    assert "连接被拒绝" in result.detail


def test_outage_then_recovery(smtp_server):
    sender = make_sender(smtp_server)
    smtp_server.down()
    assert not sender.send(receipt(smtp_server.user), smtp_server.user, ["a@example.cn"]).ok
    smtp_server.up()
    assert sender.send(receipt(smtp_server.user), smtp_server.user, ["a@example.cn"]).ok


def test_throttle_spaces_sends(smtp_server):
    fake = FakeTime()
    sender = make_sender(smtp_server, fake, per_minute=30)  # one every 2 s
    for _ in range(3):
        assert sender.send(receipt(smtp_server.user), smtp_server.user, ["a@example.cn"]).ok
    assert fake.sleeps == [pytest.approx(2.0), pytest.approx(2.0)]
    assert len(smtp_server.messages()) == 3


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_modes(mode):
    server = SmtpServer(tls=mode)
    server.up()
    try:
        settings = smtp_settings(server, ssl=mode == "smtps", starttls=mode == "starttls")
        sender = SmtpSender(settings, ssl_context=server.ssl_context())
        assert sender.send(receipt(server.user), server.user, ["a@example.cn"]).ok
        assert sender._conn.sock.version().startswith("TLS")
        sender.close()
        untrusted = SmtpSender(settings)  # system CAs do not trust the test certificate
        with pytest.raises(SmtpConfigError, match="证书校验失败"):
            untrusted.check()
        assert len(server.messages()) == 1
    finally:
        server.cleanup()


def test_no_recipients_is_permanent(smtp_server):
    result = make_sender(smtp_server).send(receipt(smtp_server.user), smtp_server.user, ["", " "])
    assert not result.ok and result.permanent


def test_check_logs_in_without_sending(smtp_server):
    assert "连接成功" in make_sender(smtp_server).check()
    assert smtp_server.messages() == []


def test_make_message_id_needs_no_dns(monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("DNS lookup attempted")

    monkeypatch.setattr(socket, "getfqdn", no_dns)
    mid = make_message_id("example.org")
    assert mid.startswith("<") and mid.endswith("@example.org>")
    assert make_message_id("example.org") != mid


def test_decode_reply():
    assert decode_reply("请使用授权码登录".encode("gbk")) == "请使用授权码登录"
    assert decode_reply("授权码".encode()) == "授权码"
    assert decode_reply(None) == ""

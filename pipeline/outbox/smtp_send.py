"""Send receipts and reports through the account's own SMTP server, politely.

Why it looks like this (research/cn_mail.md §2, §8):
- QQ (501) and 163 (553) reject mail whose sender differs from the login,
  and 163 rejects a null sender: the envelope sender is always the login.
- QQ returns error text as GBK bytes: decode with gb18030 so staff can read it.
- Sending too fast triggers "发信过于频繁": space sends by `per_minute` and
  back off on 4xx replies; reuse one connection instead of reconnecting.
- Once the message text is handed over, a dropped connection or a timeout
  before the server's reply means "the server may have it": that send is
  `unknown` and never retried here (retrying delivered one receipt 4 times).
"""

from __future__ import annotations

import functools
import logging
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, make_msgid

from ..config import ConfigError, Smtp
from ..errors import describe
from ..message.address import valid_address

log = logging.getLogger(__name__)

NOOP_AFTER_IDLE_SECONDS = 30.0  # check a reused connection that sat idle this long


class SmtpConfigError(Exception):
    """The SMTP settings or the message's sender cannot work; Chinese message."""


@dataclass
class SendResult:
    ok: bool
    permanent: bool
    code: int | None
    detail: str  # Chinese, for logs and the staff status page
    # The text was handed over but no reply came: the server may have the mail.
    unknown: bool = False


class _HandedOver(Exception):
    """The connection failed after the message text was sent, before the reply."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def make_message_id(domain: str) -> str:
    """A Message-ID for `domain`; passing the domain avoids make_msgid's getfqdn() DNS lookup."""
    return make_msgid(domain=domain or "localhost")


def decode_reply(text: bytes | str | None) -> str:
    """Server reply text; QQ sends GBK bytes, so try UTF-8 then gb18030."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for encoding in ("utf-8", "gb18030"):
        try:
            return text.decode(encoding)
        except UnicodeDecodeError:
            continue
    return text.decode("utf-8", errors="replace")


def _addr(value: str) -> str:
    return value.strip().strip("<>").lower()


@functools.cache
def _default_tls() -> ssl.SSLContext:
    """The system's CA store, loaded once per process (loading it costs ~25 ms a connection)."""
    return ssl.create_default_context()


class SmtpSender:
    """One logged-in SMTP connection, reused across sends and re-opened when dropped."""

    def __init__(
        self,
        smtp: Smtp,
        *,
        password: str | None = None,
        tries: int = 3,
        retry_delay: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not smtp.host:
            raise SmtpConfigError("smtp.host 未填写，无法发信")
        sender = _addr(smtp.from_addr or smtp.user)
        if not sender:
            raise SmtpConfigError("smtp.from_addr 未填写：发件地址不能为空（QQ/163 拒收空发件人）")
        if smtp.user and sender != _addr(smtp.user):
            raise SmtpConfigError(
                f"smtp.from_addr（{smtp.from_addr}）必须与登录账号 smtp.user（{smtp.user}）相同："
                "QQ 邮箱会回复 501、网易邮箱会回复 553 并拒绝发信"
            )
        self.smtp = smtp
        self.sender = sender
        self._password = password
        self._tries = max(1, tries)
        self._retry_delay = smtp.retry_delay_seconds if retry_delay is None else retry_delay
        self._ssl_context = ssl_context
        self._sleep = sleep
        self._clock = clock
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._last_send: float | None = None
        self._lock = threading.RLock()
        self.connects = 0

    # ------------------------------------------------------------ connection

    def _resolve_password(self) -> str:
        if self._password is None:
            if self.smtp.password is None:
                raise SmtpConfigError("smtp.password 未配置（需要 env 或 file）")
            try:
                self._password = self.smtp.password.resolve("smtp.password")
            except ConfigError as exc:
                raise SmtpConfigError(str(exc)) from exc
        return self._password

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        context = self._ssl_context or _default_tls()
        if s.ssl:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        self.connects += 1
        try:
            conn.ehlo()
            if s.starttls and not s.ssl:
                conn.starttls(context=context)
                conn.ehlo()
            if s.user:
                conn.login(s.user, self._resolve_password())
        except BaseException:
            _quit(conn)
            raise
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None and self._clock() - self._last_used > NOOP_AFTER_IDLE_SECONDS:
            try:
                if self._conn.noop()[0] != 250:
                    self.close()
            except (smtplib.SMTPException, OSError):
                self.close()
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            _quit(conn)

    def check(self) -> str:
        """EHLO (+STARTTLS) + AUTH without sending anything; Chinese summary or SmtpConfigError."""
        try:
            conn = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpConfigError(self._auth_message(exc.smtp_code, decode_reply(exc.smtp_error))) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SmtpConfigError(
                f"无法连接发信服务器 {self.smtp.host}:{self.smtp.port}：{_describe(exc)}"
            ) from exc
        _quit(conn)
        how = "SSL" if self.smtp.ssl else ("STARTTLS" if self.smtp.starttls else "明文")
        auth = f"已以 {self.smtp.user} 登录" if self.smtp.user else "未配置登录（不认证）"
        return f"发信服务器 {self.smtp.host}:{self.smtp.port} 连接成功（{how}），{auth}，未发送任何邮件"

    def _auth_message(self, code: int | None, text: str) -> str:
        host = self.smtp.host.lower()
        hint = "请检查 smtp.user 与密码"
        if host.endswith("qq.com"):
            hint = "QQ 邮箱/腾讯企业邮箱需要使用“授权码”（或客户端专用密码），不能用 QQ 密码"
        elif any(host.endswith(h) for h in ("163.com", "126.com", "yeah.net", "188.com")):
            hint = "网易邮箱需要先开启 SMTP 服务，并使用授权码而不是邮箱密码"
        return f"发信账号 {self.smtp.user} 登录失败（{code}）：{hint}。服务器原话：{text}"

    # ------------------------------------------------------------ sending

    def _throttle(self) -> None:
        per_minute = max(1, self.smtp.per_minute)
        interval = 60.0 / per_minute
        if self._last_send is not None:
            wait = self._last_send + interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_send = self._clock()

    def _check_sender(self, raw: bytes, mail_from: str) -> str:
        envelope = _addr(mail_from) or self.sender
        if envelope != self.sender:
            raise SmtpConfigError(
                f"发件人 {mail_from} 与发信账号 {self.sender} 不一致：QQ/163 会拒收，请用登录账号作为发件人"
            )
        header = BytesHeaderParser(policy=compat32).parsebytes(raw[:65536]).get_all("From") or []
        addrs = [_addr(a) for _, a in getaddresses([str(h) for h in header]) if a]
        if addrs and any(a != self.sender for a in addrs):
            raise SmtpConfigError(
                f"信头 From（{'、'.join(addrs)}）与发信账号 {self.sender} 不一致：QQ/163 会拒收"
            )
        return envelope

    def send(self, raw: bytes, mail_from: str, rcpts: list[str]) -> SendResult:
        """Send one message; 4xx and outages are retried a few times, 5xx is final.

        Raises SmtpConfigError when `mail_from` or the From header is not the
        login account (a programming/config error, not a delivery outcome).
        Thread-safe: sends through one sender are serialized.
        """
        envelope = self._check_sender(raw, mail_from)
        given = [r.strip() for r in rcpts if r and r.strip()]
        if not given:
            return SendResult(False, True, None, "没有收件人，未发送")
        rcpts = list(dict.fromkeys(a for a in (valid_address(r) for r in given) if a))
        if not rcpts:
            return SendResult(False, True, None, f"收件地址无效（{'、'.join(given)[:200]}），未发送")
        with self._lock:
            return self._send_with_retries(raw, envelope, rcpts)

    def _send_with_retries(self, raw: bytes, envelope: str, rcpts: list[str]) -> SendResult:
        self._throttle()
        result = SendResult(False, False, None, "未发送")
        for attempt in range(self._tries):
            if attempt:
                self._sleep(self._retry_delay * 2 ** (attempt - 1))
            result = self._send_once(raw, envelope, rcpts)
            if result.ok or result.permanent or result.unknown:
                break
            log.info("send attempt %d failed: %s", attempt + 1, result.detail)
        if not result.ok and not result.permanent:
            result.detail += f"（已尝试 {self._tries} 次，稍后再试）"
        return result

    def _send_once(self, raw: bytes, envelope: str, rcpts: list[str]) -> SendResult:
        try:
            conn = self._connection()
            refused = _transaction(conn, envelope, rcpts, raw)
            self._last_used = self._clock()
        except _HandedOver as exc:
            self.close()
            return SendResult(
                False,
                False,
                None,
                f"邮件内容已交给发信服务器，但在确认之前连接中断（{_describe(exc.cause)}），服务器可能已收下",
                unknown=True,
            )
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            text = self._auth_message(exc.smtp_code, decode_reply(exc.smtp_error))
            return SendResult(False, False, exc.smtp_code, text)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            parts = [f"{r}（服务器原话：{c} {decode_reply(t)}）" for r, (c, t) in exc.recipients.items()]
            permanent = all(c >= 500 for c in codes)
            if any(c == 421 for c in codes):
                self.close()
            return SendResult(
                False, permanent, min(codes) if codes else None, "收件人被拒收：" + "；".join(parts)
            )
        except smtplib.SMTPResponseException as exc:  # SenderRefused, DataError, 421...
            code = exc.smtp_code
            text = decode_reply(exc.smtp_error)
            if code == 421 or code < 400 or code == -1:
                self.close()
            permanent = 500 <= code < 600
            kind = "被拒绝（不会重试）" if permanent else "暂时失败"
            return SendResult(False, permanent, code, f"发信{kind}（服务器原话：{code} {text}）")
        except smtplib.SMTPServerDisconnected:
            self.close()
            return SendResult(False, False, None, "发信服务器断开了连接")
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return SendResult(
                False, False, None, f"无法连接发信服务器 {self.smtp.host}:{self.smtp.port}：{_describe(exc)}"
            )
        if refused:
            parts = [f"{r}（服务器原话：{c} {decode_reply(t)}）" for r, (c, t) in refused.items()]
            return SendResult(
                False, True, None, "部分收件人被拒收（其余已发出，不再重发）：" + "；".join(parts)
            )
        return SendResult(True, False, 250, f"已发出，收件人：{'、'.join(rcpts)}")


def _transaction(conn: smtplib.SMTP, envelope: str, rcpts: list[str], raw: bytes) -> dict:
    """MAIL, RCPT, DATA as smtplib.sendmail does them, but knowing when the text
    was handed over: a failure after that point raises _HandedOver.

    Returns the refused recipients (as sendmail does); raises smtplib's
    exceptions for replies that say the mail was not taken.
    """
    conn.ehlo_or_helo_if_needed()
    options = [f"size={len(raw)}"] if conn.does_esmtp and conn.has_extn("size") else []
    code, reply = conn.mail(envelope, options)
    if code != 250:
        _reset(conn, code)
        raise smtplib.SMTPSenderRefused(code, reply, envelope)
    refused = {}
    for rcpt in rcpts:
        code, reply = conn.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, reply)
        if code == 421:
            conn.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(rcpts):
        _reset(conn, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    conn.putcmd("data")
    code, reply = conn.getreply()
    if code != 354:
        _reset(conn, code)
        raise smtplib.SMTPDataError(code, reply)
    body = re.sub(rb"(?m)^\.", b"..", raw)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    conn.send(body + b".\r\n")
    try:
        code, reply = conn.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _HandedOver(exc) from exc
    if code != 250:
        _reset(conn, code)
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _reset(conn: smtplib.SMTP, code: int) -> None:
    """RSET after a refusal (as sendmail does); 421 means the server is closing."""
    if code == 421:
        conn.close()
        return
    try:
        conn.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _describe(exc: BaseException) -> str:
    """A connection's trouble in Chinese (errors.describe); smtplib's own English stays in the log.
    A reply the server sent is quoted as its words."""
    log.info("SMTP trouble: %r", exc)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "服务器断开了连接"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "服务器不支持所需的功能（如 STARTTLS 或登录），请核对端口和 SSL/STARTTLS 设置"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"服务器原话：{exc.smtp_code} {decode_reply(exc.smtp_error)}"
    return describe(exc)


def _quit(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        try:
            conn.close()
        except OSError:
            pass

"""IMAP mail source: one persistent, polite connection per mailbox.

Why it looks like this (see research/cn_mail.md, paperless_mail.md):
- NetEase (163/126/yeah) refuses SELECT with "Unsafe Login" unless the
  client sends IMAP ID after LOGIN, so we send ID whenever it is advertised.
- QQ throttles clients that reconnect often: keep one connection, back off
  exponentially after failures, never retry a wrong 授权码 in a loop.
- Some servers reject CHARSET or non-ASCII SEARCH: we only search by UID.
- BODY.PEEK[] never sets \\Seen, so staff still see the mail as unread.
- imapclient has no socket timeout by default: always pass one.
"""

from __future__ import annotations

import ast
import imaplib
import logging
import re
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import CapabilityError, LoginError

from ..config import ConfigError, Mailbox
from ..errors import describe
from ..model import RawMail
from .base import MailboxConfigError, MailboxCursor, MailboxError, MailboxUnavailable

log = logging.getLogger(__name__)

FETCH_BATCH = 20
# Messages above BIG_MESSAGE are fetched in CHUNK pieces: imaplib reads a
# literal in one go and peaks at ~3.5x its size; 8 MB pieces keep that small.
BIG_MESSAGE = 16 * 1024 * 1024
CHUNK = 8 * 1024 * 1024
IDLE_RENEW_SECONDS = 25 * 60
# Every poll re-SELECTs (~20-40 ms for 10,000 mails on dovecot) rather than NOOP:
# a selected connection can keep a stale view of a deleted and recreated folder,
# and only a fresh SELECT reports the new UIDVALIDITY.  # RFC 2177: re-issue IDLE before the 29-minute limit
CLIENT_ID = {"name": "nomination-intake", "version": "0.1.0", "vendor": "nomination-intake"}

# imaplib.IMAP4.abort subclasses IMAP4.error: catch it first, it means "connection gone".
NETWORK_ERRORS = (OSError, imaplib.IMAP4.abort, EOFError)

NETEASE_HOSTS = ("163.com", "126.com", "yeah.net", "188.com", "netease.com", "qiye.163.com")


def _is_qq(host: str) -> bool:
    return host.lower().endswith("qq.com")


def _is_netease(host: str) -> bool:
    return any(host.lower().endswith(h) for h in NETEASE_HOSTS)


# imaplib puts the server's reply into its exceptions as a bytes repr: b'[AUTHENTICATIONFAILED] ...'
_BYTES_REPR = re.compile(r"b'(?:[^'\\]|\\.)*'" + r'|b"(?:[^"\\]|\\.)*"')


def _text(exc: BaseException) -> str:
    """The server's words as text staff can read (never b'...'); QQ answers in GBK."""
    args = [_decode_reply(a) if isinstance(a, bytes) else str(a) for a in exc.args]
    text = " ".join(a for a in args if a).strip() or str(exc).strip()
    return _BYTES_REPR.sub(_unrepr, text) or exc.__class__.__name__


def _network(exc: BaseException) -> str:
    """A connection's trouble in Chinese; imaplib's own English stays in the log."""
    if isinstance(exc, imaplib.IMAP4.abort | EOFError):
        return "连接被服务器中断"
    return describe(exc)


def _unrepr(match: re.Match) -> str:
    try:
        data = ast.literal_eval(match.group(0))
    except (ValueError, SyntaxError):
        return match.group(0)
    return _decode_reply(data)


def _decode_reply(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def login_failed_message(box: Mailbox, detail: str) -> str:
    """Chinese explanation of a rejected login, tuned to the provider."""
    who = f"邮箱 {box.name}（{box.user}）"
    if _is_qq(box.host):
        return (
            f"{who} 登录失败：QQ 邮箱/腾讯企业邮箱只接受“授权码”，不能用 QQ 密码。"
            "请在网页版邮箱“设置 → 账户 → POP3/IMAP/SMTP 服务”中开启 IMAP 服务并生成 16 位授权码，"
            f"把授权码填入配置指定的环境变量或密码文件（企业邮箱请用“客户端专用密码”）。服务器回复：{detail}"
        )
    if _is_netease(box.host):
        return (
            f"{who} 登录失败：网易邮箱需要先在网页版“设置 → POP3/SMTP/IMAP”中开启 IMAP/SMTP 服务，"
            f"并使用开启时给出的授权码登录，而不是邮箱密码。服务器回复：{detail}"
        )
    return f"{who} 登录失败：用户名或密码（授权码）不正确，或邮箱未开启 IMAP 服务。服务器回复：{detail}"


def unsafe_login_message(box: Mailbox, detail: str) -> str:
    return (
        f"邮箱 {box.name}（{box.user}）被服务器拒绝读取（Unsafe Login）：网易邮箱要求客户端登录后先发送 IMAP ID 命令。"
        "本程序在服务器声明支持时会自动发送；若仍出现此提示，请在网页版邮箱“设置 → POP3/SMTP/IMAP”中"
        f"确认已开启 IMAP 服务并使用授权码登录，必要时联系网易客服 kefu@188.com。服务器回复：{detail}"
    )


class ImapSource:
    """Incremental, read-only-by-default IMAP reader (not thread-safe: one user at a time)."""

    def __init__(
        self,
        box: Mailbox,
        *,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        backoff_base: float = 5.0,
        backoff_max: float = 300.0,
        retry_config_after: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = box.name
        self.box = box
        self._password = password
        self._ssl_context = ssl_context
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._retry_config_after = retry_config_after
        self._sleep = sleep
        self._clock = clock
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None
        self._exists = 0
        self._failures = 0
        self._retry_at = 0.0
        self._last_error = ""
        self._config_error: MailboxConfigError | None = None
        self._config_error_at = 0.0
        self._processed_ready = False
        self._polling: MailboxCursor | None = None
        self._just_selected = False
        self.connects = 0  # how many connections were opened (for tests and the status page)

    # ------------------------------------------------------------ connection

    @property
    def connected(self) -> bool:
        return self._client is not None

    def _resolve_password(self) -> str:
        if self._password is None:
            if self.box.password is None:
                raise MailboxConfigError(f"邮箱 {self.name}：未配置密码（password.env 或 password.file）")
            try:
                self._password = self.box.password.resolve(f"邮箱 {self.name} 的密码")
            except ConfigError as exc:
                raise MailboxConfigError(str(exc)) from exc
        return self._password

    def _ensure(self) -> IMAPClient:
        if self._client is not None:
            return self._client
        now = self._clock()
        if self._config_error is not None:
            if now - self._config_error_at < self._retry_config_after:
                raise self._config_error
            self._config_error = None
        if now < self._retry_at:
            wait = int(self._retry_at - now) + 1
            raise MailboxUnavailable(
                f"邮箱 {self.name} 暂时连不上（已连续失败 {self._failures} 次），约 {wait} 秒后重试。"
                f"上次错误：{self._last_error}"
            )
        try:
            client = self._open()
        except MailboxConfigError as exc:
            self._config_error, self._config_error_at = exc, self._clock()
            raise
        except MailboxUnavailable as exc:
            self._note_failure(str(exc))
            raise
        self._client = client
        self._failures, self._retry_at = 0, 0.0
        return client

    def _open(self) -> IMAPClient:
        """Connect, (STARTTLS), LOGIN, ID, SELECT; classify every failure."""
        box = self.box
        password = self._resolve_password()
        timeout = SocketTimeout(connect=box.timeout_seconds, read=box.timeout_seconds)
        client = None
        try:
            client = IMAPClient(
                box.host, port=box.port, ssl=box.ssl, ssl_context=self._ssl_context, timeout=timeout
            )
            self.connects += 1
            _no_delay(client)
            client.normalise_times = False  # keep INTERNALDATE timezone-aware
            if box.starttls and not box.ssl:
                client.starttls(self._ssl_context)
            try:
                client.login(box.user, password)
            except LoginError as exc:
                detail = _text(exc)
                if "UNAVAILABLE" in detail.upper() or "TRY AGAIN" in detail.upper():
                    raise MailboxUnavailable(
                        f"邮箱 {self.name} 服务器暂时不可用（服务器原话：{detail}）"
                    ) from exc
                raise MailboxConfigError(login_failed_message(box, detail)) from exc
            if client.has_capability("ID"):
                try:
                    client.id_(CLIENT_ID)
                except imaplib.IMAP4.abort:
                    raise
                except imaplib.IMAP4.error as exc:  # a server that lists ID but rejects ours
                    log.warning("%s: IMAP ID rejected: %s", self.name, exc)
            self._select(client)  # fail at connect time on Unsafe Login / missing folder
            self._just_selected = True
            return client
        except MailboxError:
            _shutdown(client)
            raise
        except ssl.SSLCertVerificationError as exc:
            _shutdown(client)
            raise MailboxConfigError(
                f"邮箱 {self.name}：服务器 {box.host} 的证书校验失败，请核对主机名与端口"
            ) from exc
        except CapabilityError as exc:
            _shutdown(client)
            raise MailboxConfigError(
                f"邮箱 {self.name}：服务器不支持 STARTTLS，请改用 SSL 端口（如 993）：{_text(exc)}"
            ) from exc
        except NETWORK_ERRORS as exc:
            _shutdown(client)
            log.info("%s: cannot connect: %r", self.name, exc)
            raise MailboxUnavailable(
                f"邮箱 {self.name}：无法连接 {box.host}:{box.port}（{_network(exc)}）"
            ) from exc
        except imaplib.IMAP4.error as exc:
            _shutdown(client)
            raise MailboxUnavailable(f"邮箱 {self.name}：服务器返回错误（服务器原话：{_text(exc)}）") from exc

    def _select(self, client: IMAPClient) -> None:
        readonly = not self.box.processed_folder
        try:
            info = client.select_folder(self.box.folder, readonly=readonly)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            detail = _text(exc)
            if "unsafe login" in detail.lower():
                raise MailboxConfigError(unsafe_login_message(self.box, detail)) from exc
            upper = detail.upper()
            if "NONEXISTENT" in upper or "DOESN'T EXIST" in upper or "NOT EXIST" in upper:
                raise MailboxConfigError(
                    f"邮箱 {self.name}：找不到文件夹“{self.box.folder}”，请检查配置中的 folder。服务器原话：{detail}"
                ) from exc
            raise MailboxUnavailable(
                f"邮箱 {self.name}：无法打开文件夹“{self.box.folder}”（服务器原话：{detail}）"
            ) from exc
        uv = info.get(b"UIDVALIDITY")
        self._uidvalidity = int(uv) if uv is not None else None
        self._exists = int(info.get(b"EXISTS", 0))

    def _reselect(self, client: IMAPClient) -> None:
        """SELECT again for fresh UIDVALIDITY, unless the connection was opened just now."""
        if self._just_selected:
            self._just_selected = False
            return
        self._select(client)

    def _note_failure(self, detail: str) -> None:
        self._failures += 1
        delay = min(self._backoff_max, self._backoff_base * 2 ** (self._failures - 1))
        self._retry_at = self._clock() + delay
        self._last_error = detail
        log.warning(
            "%s: mailbox unavailable (%d in a row), retry in %.0fs: %s",
            self.name,
            self._failures,
            delay,
            detail,
        )

    def _drop(self) -> None:
        client, self._client = self._client, None
        _shutdown(client)

    def _call(self, op: Callable[[IMAPClient], object]):
        """Run `op` on the connection; a stale connection gets one immediate reconnect."""
        for attempt in (1, 2):
            had_connection = self._client is not None
            client = self._ensure()
            try:
                return op(client)
            except NETWORK_ERRORS as exc:
                self._drop()
                if attempt == 2 or not had_connection:
                    self._note_failure(_network(exc))
                    raise MailboxUnavailable(f"邮箱 {self.name}：连接中断（{_network(exc)}）") from exc
                # Servers drop idle connections; that is normal: reconnect once right away.
                log.info("%s: connection lost (%s), reconnecting", self.name, exc)
            except imaplib.IMAP4.error as exc:  # NO/BAD, e.g. "[UNAVAILABLE] try again later"
                raise MailboxUnavailable(
                    f"邮箱 {self.name}：服务器拒绝了操作（服务器原话：{_text(exc)}）"
                ) from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the connection may already be gone; nothing to save
            _shutdown(client)

    # ------------------------------------------------------------ reading

    def fetch_new(
        self, cursor: MailboxCursor, known: Callable[[int], bool] | None = None
    ) -> Iterator[RawMail]:
        """Yield new mail in UID order; a UIDVALIDITY change means a full re-scan.

        While the generator runs, `current_cursor()` answers from this poll's
        SELECT/SEARCH without another round trip, so a `known` callback may
        call it for every UID.
        """
        uidvalidity, uids, top = self._call(lambda c: self._plan(c, cursor))
        self._polling = MailboxCursor(uidvalidity, top)
        try:
            if known is not None:
                uids = [u for u in uids if not known(u)]
            for start in range(0, len(uids), FETCH_BATCH):
                batch = uids[start : start + FETCH_BATCH]
                data = self._call(lambda c, batch=batch: self._fetch(c, batch, uidvalidity))
                if data is None:  # UIDVALIDITY changed under us; the next poll re-scans
                    return
                bodies, big = data
                for uid in batch:
                    if uid in big:
                        raw = self._call(
                            lambda c, uid=uid, info=big[uid]: self._fetch_big(c, uid, info, uidvalidity)
                        )
                        if raw is _STALE:
                            return
                        if raw is None:
                            continue  # expunged since the search
                        when = big[uid].get(b"INTERNALDATE")
                    else:
                        item = bodies.get(uid)
                        if not item or item.get(b"BODY[]") is None:
                            continue  # expunged since the search
                        raw, when = bytes(item.pop(b"BODY[]")), item.get(b"INTERNALDATE")
                    yield RawMail(
                        mailbox=self.name,
                        folder=self.box.folder,
                        uidvalidity=uidvalidity or 0,
                        uid=uid,
                        internaldate=_aware(when),
                        raw=raw,
                    )
                    del raw
                del data, bodies
        finally:
            self._polling = None

    def _plan(self, client: IMAPClient, cursor: MailboxCursor) -> tuple[int | None, list[int], int]:
        self._reselect(client)
        uidvalidity = self._uidvalidity
        last = cursor.last_uid or 0
        if cursor.uidvalidity is not None and uidvalidity is not None and cursor.uidvalidity != uidvalidity:
            log.warning("%s: UIDVALIDITY %s -> %s, re-scanning", self.name, cursor.uidvalidity, uidvalidity)
            last = 0
        # ASCII-only criteria, no CHARSET. "n:*" always matches the highest UID, so filter.
        criteria = "ALL" if last <= 0 else ["UID", f"{last + 1}:*"]
        found = client.search(criteria)
        # "n:*" and ALL both include the highest UID, so max(found) is the top of the mailbox.
        top = max(found, default=0)
        return uidvalidity, sorted(u for u in found if u > last), top

    def _fetch(self, client: IMAPClient, batch: list[int], uidvalidity: int | None):
        """(bodies of the small messages, {uid: size info} of the big ones); None if stale.

        Sizes come first so a big message is never read as one literal.
        """
        if self._uidvalidity != uidvalidity:
            return None
        sizes = client.fetch(batch, ["RFC822.SIZE", "INTERNALDATE"])
        big = {u: info for u, info in sizes.items() if _size(info) > BIG_MESSAGE}
        small = [u for u in batch if u in sizes and u not in big]
        bodies = client.fetch(small, ["BODY.PEEK[]", "INTERNALDATE"]) if small else {}
        return bodies, big

    def _fetch_big(self, client: IMAPClient, uid: int, info: dict, uidvalidity: int | None):
        """One message in CHUNK pieces (BODY.PEEK: never sets \\Seen), as bytes.

        RFC822.SIZE is only a hint: read until the server hands back a short
        piece. Returns None when the message is gone, _STALE on a UIDVALIDITY change.
        """
        if self._uidvalidity != uidvalidity:
            return _STALE  # reconnected to a recreated folder: the next poll re-scans
        size = 0
        # Pieces go to a temporary file and come back in one read: joining them
        # in memory would hold the message twice for a moment.
        with tempfile.TemporaryFile(buffering=0) as spool:
            while True:
                got = client.fetch([uid], [f"BODY.PEEK[]<{size}.{CHUNK}>"]).get(uid) or {}
                piece = got.get(f"BODY[]<{size}>".encode(), got.get(b"BODY[]"))
                if piece is None:
                    if not size:
                        return None
                    break
                spool.write(piece)
                size += len(piece)
                if len(piece) < CHUNK:
                    break
                del piece, got
            if size != _size(info):
                log.info("%s: UID %s is %d bytes, server said %d", self.name, uid, size, _size(info))
            spool.seek(0)
            return spool.readall()

    def current_cursor(self) -> MailboxCursor:
        """(UIDVALIDITY, highest UID present); cached while a fetch_new is running."""
        if self._polling is not None:
            return self._polling

        def op(client: IMAPClient) -> MailboxCursor:
            self._reselect(client)
            top = client.search(["UID", "*"])
            return MailboxCursor(self._uidvalidity, max(top, default=0))

        return self._call(op)

    def check(self) -> str:
        """Login, ID, SELECT and one SEARCH; a Chinese summary for `run.py test-connection`."""

        def op(client: IMAPClient) -> str:
            self._reselect(client)
            client.search(["UID", "*"])
            has_id = "已发送 ID" if client.has_capability("ID") else "服务器未声明 ID"
            idle = "支持 IDLE" if client.has_capability("IDLE") else "不支持 IDLE，将定时轮询"
            return (
                f"登录成功，文件夹“{self.box.folder}”共 {self._exists} 封，"
                f"UIDVALIDITY={self._uidvalidity}；{has_id}；{idle}"
            )

        return self._call(op)

    # ------------------------------------------------------------ after processing

    def mark_processed(self, mail: RawMail) -> None:
        """Move the mail into processed_folder (created if missing); never deletes anything else."""
        target = self.box.processed_folder
        if not target:
            return
        if mail.mailbox != self.name or mail.folder != self.box.folder:
            raise ValueError(f"mail {mail.mailbox}/{mail.folder} does not belong to {self.name}")

        def op(client: IMAPClient) -> None:
            self._reselect(client)
            if (self._uidvalidity or 0) != mail.uidvalidity:
                log.warning("%s: UIDVALIDITY changed; not moving UID %s", self.name, mail.uid)
                return
            if not self._processed_ready:
                if not client.folder_exists(target):
                    client.create_folder(target)
                    try:
                        client.subscribe_folder(target)
                    except imaplib.IMAP4.abort:
                        raise
                    except imaplib.IMAP4.error:
                        pass  # subscription only helps staff see it in their client
                self._processed_ready = True
            try:
                if client.has_capability("MOVE"):
                    client.move([mail.uid], target)
                elif client.has_capability("UIDPLUS"):
                    client.copy([mail.uid], target)
                    client.add_flags([mail.uid], [b"\\Deleted"], silent=True)
                    client.uid_expunge([mail.uid])  # only this UID, never a plain EXPUNGE
                else:
                    # Without UIDPLUS an EXPUNGE could remove mail others flagged: copy only.
                    client.copy([mail.uid], target)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:
                self._processed_ready = False
                raise MailboxUnavailable(
                    f"邮箱 {self.name}：无法把邮件移到“{target}”（服务器原话：{_text(exc)}）"
                ) from exc

        self._call(op)

    # ------------------------------------------------------------ waiting

    def wait_for_new(self, timeout: float) -> bool:
        """IDLE until EXISTS or `timeout`; without IDLE just sleep. Never raises.

        Connection problems are swallowed here (after sleeping out the
        timeout) because the next fetch_new reports them with backoff.
        """
        deadline = self._clock() + max(0.0, timeout)
        if not self.box.idle:
            self._sleep(max(0.0, timeout))
            return False
        try:
            client = self._ensure()
            if not client.has_capability("IDLE"):  # Coremail (163) has no IDLE
                self._sleep(max(0.0, deadline - self._clock()))
                return False
            return self._idle(client, deadline)
        except (MailboxError, *NETWORK_ERRORS, imaplib.IMAP4.error) as exc:
            if not isinstance(exc, MailboxError):
                self._drop()
            log.info("%s: wait_for_new: %s", self.name, exc)
            self._sleep(max(0.0, deadline - self._clock()))
            return False

    def _idle(self, client: IMAPClient, deadline: float) -> bool:
        self._just_selected = False  # after waiting, the next poll must SELECT afresh
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return False
            renew_at = self._clock() + min(remaining, IDLE_RENEW_SECONDS)
            client.idle()
            log.info("%s: IDLE: waiting for new mail", self.name)  # tests wait for this line
            quick_empty = 0
            try:
                while (left := renew_at - self._clock()) > 0:
                    asked = min(left, 30.0)
                    started = self._clock()
                    responses = client.idle_check(timeout=asked)
                    for resp in responses:
                        if len(resp) >= 2 and resp[1] == b"EXISTS":
                            return True
                        if resp and resp[0] == b"BYE":
                            raise imaplib.IMAP4.abort(f"BYE during IDLE: {resp!r}")
                    # imapclient swallows EOF: an empty answer long before the timeout means a dead socket.
                    if not responses and self._clock() - started < asked / 2:
                        quick_empty += 1
                        if quick_empty >= 3:
                            raise EOFError("connection closed during IDLE")
                    else:
                        quick_empty = 0
            finally:
                if self._client is client:
                    try:
                        client.idle_done()
                    except (*NETWORK_ERRORS, imaplib.IMAP4.error):
                        self._drop()


_STALE = object()


def _size(info: dict) -> int:
    try:
        return int(info.get(b"RFC822.SIZE") or 0)
    except (TypeError, ValueError):
        return 0


def _aware(value: object) -> datetime:
    """INTERNALDATE as a timezone-aware datetime (UTC when the server gave none)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    log.warning("message without INTERNALDATE; using now")
    return datetime.now(UTC)


def _no_delay(client: IMAPClient) -> None:
    """imapclient writes one command in several sends; with Nagle + delayed ACK
    each small command then stalls ~40 ms, so disable Nagle."""
    try:
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass


def _shutdown(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.shutdown()
    except (OSError, imaplib.IMAP4.error):
        pass

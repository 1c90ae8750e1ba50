"""Real mail servers on loopback for tests: dovecot (IMAP) and aiosmtpd (SMTP).

Why real servers: the IMAP/SMTP quirks we care about (UIDVALIDITY, IDLE,
MOVE, INTERNALDATE, BODY.PEEK) are only trustworthy against a real server.
Both run unprivileged on a free 127.0.0.1 port inside a temp dir, so tests
need no system daemon and work when pytest runs as root (CI) or not.
"""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from imapclient import IMAPClient

from pipeline.config import Mailbox, Secret, Smtp

INSTALL_HINT = (
    "dovecot 未安装：请运行 `make test`（它会安装 dovecot-imapd），或 apt-get install dovecot-imapd"
)


_handed_out: set[int] = set()


def free_port() -> int:
    """A currently free loopback TCP port, never one this process handed out before
    (the kernel may return the same ephemeral port twice in a row)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_for_port(host: str, port: int, timeout: float, alive=lambda: True) -> bool:
    """Poll until `port` accepts a TCP connection or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return False
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def make_self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost, made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


# ---------------------------------------------------------------- dovecot


def _die_with_parent() -> None:
    """preexec_fn: ask Linux to SIGTERM dovecot if pytest dies without teardown."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def remove_stale_dirs(max_age_s: float = 3600) -> None:
    """Delete temp dirs left by earlier crashed runs whose dovecot is gone.

    A dir whose master.pid is alive belongs to another run (maybe in
    parallel): it is left alone, and so is its process.
    """
    for old in Path(tempfile.gettempdir()).glob("dovecot-test-*"):
        pid_file = old / "run" / "master.pid"
        try:
            if time.time() - old.stat().st_mtime < max_age_s:
                continue
            pid = int(pid_file.read_text().strip()) if pid_file.exists() else 0
            if pid:
                os.kill(pid, 0)
                continue  # still running: not ours to touch
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue
        shutil.rmtree(old, ignore_errors=True)


class DovecotMissing(RuntimeError):
    pass


class Dovecot:
    """A throw-away dovecot instance: own config, base_dir, users and maildirs."""

    host = "127.0.0.1"

    def __init__(self, root: Path | None = None, port: int | None = None, tls: bool = True) -> None:
        binary = dovecot_binary()
        if not binary:
            raise DovecotMissing(INSTALL_HINT)
        self.binary = binary
        if root is None:
            remove_stale_dirs()
        self.root = Path(root or tempfile.mkdtemp(prefix="dovecot-test-"))
        self.port = port or free_port()
        # IMAPS listener with a self-signed certificate (STARTTLS on the plain port too).
        self.tls_port = free_port() if tls else 0
        self.cert_path: Path | None = None
        if tls:
            self.root.mkdir(parents=True, exist_ok=True)
            self.cert_path, self.key_path = make_self_signed(self.root)
        self.proc: subprocess.Popen | None = None
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()
        self._write_config()

    # -- configuration

    def _accounts(self) -> tuple[str, str, int, int]:
        """(login user, internal user, mail uid, mail gid) for this process."""
        if os.geteuid() == 0:
            entry = pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
            return "dovenull", "dovecot", entry.pw_uid, entry.pw_gid
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, os.geteuid(), os.getegid()

    @property
    def conf_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def _write_config(self) -> None:
        login_user, internal_user, uid, gid = self._accounts()
        self.mail_uid, self.mail_gid = uid, gid
        root = self.root
        for sub in ("run", "state", "home", "users"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        (root / "run").chmod(0o755)
        os.chown(root / "home", uid, gid)
        (root / "users").mkdir(exist_ok=True)
        (root / "users").chmod(0o755)
        chroot = "" if os.geteuid() != 0 else "login"
        group = grp.getgrgid(gid).gr_name
        self.conf_path.write_text(
            f"""# generated by tests/mailservers.py
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = dovecot-test-{self.port}
log_path = {self.log_path}
info_log_path = {self.log_path}
{self._ssl_settings()}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {min(uid, 500) if uid else 0}
first_valid_gid = 0
mail_location = maildir:~/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
mail_max_userip_connections = 500
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot = {chroot}
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service anvil {{
  chroot =
  # no per-IP auth penalty: tests log in with wrong passwords on purpose
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
# group of the mail user, for the record: {group}
""",
            encoding="utf-8",
        )

    def _ssl_settings(self) -> str:
        if not self.cert_path:
            return "ssl = no"
        return f"ssl = yes\nssl_cert = <{self.cert_path}\nssl_key = <{self.key_path}"

    def ssl_context(self):
        """A client context that trusts this server's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    # -- lifecycle

    def start(self) -> None:
        if self.proc and self.proc.poll() is None:
            return
        if wait_for_port(self.host, self.port, 0.2):
            raise RuntimeError(f"port {self.port} is already taken by another process")
        self.proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            # PDEATHSIG fires when the creating *thread* exits, so only from the main thread.
            preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,
        )
        if not wait_for_port(self.host, self.port, 15, alive=lambda: self.proc.poll() is None):
            err = b""
            if self.proc.poll() is not None:
                err = self.proc.stderr.read() if self.proc.stderr else b""
            self.stop()
            raise RuntimeError(
                f"dovecot did not start on port {self.port}: {err.decode(errors='replace')}\n"
                f"{self.log_tail()}"
            )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        # Children (imap, auth...) share the session; make sure none linger.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.stderr:
            proc.stderr.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and wait_for_port(self.host, self.port, 0.1):
            time.sleep(0.1)

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # -- accounts and mail

    def add_user(self, user: str, password: str) -> None:
        """Add a login. Each user has its own passwd-file (path from %u): dovecot
        caches a changed shared file for a while, a brand-new path it reads at once."""
        if (
            not user
            or "/" in user
            or user.startswith(".")
            or ":" in user + password
            or "\n" in user + password
        ):
            raise ValueError("user may not contain '/', ':' or newlines")
        with self._lock:
            self._users[user] = password
            path = self.root / "users" / user
            tmp = path.with_name(user + ".new")
            tmp.write_text(f"{user}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
            tmp.chmod(0o644)
            tmp.replace(path)

    def client(self, user: str, password: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(user, password)
        return client

    def append(
        self,
        user: str,
        password: str,
        folder: str,
        raw: bytes,
        internaldate: datetime | None = None,
        flags: tuple = (),
    ) -> int | None:
        """APPEND one message with the given INTERNALDATE; returns its UID (UIDPLUS)."""
        with self.client(user, password) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            resp = c.append(folder, raw, flags=flags, msg_time=internaldate)
        return _appenduid(resp)

    def append_many(self, user: str, password: str, folder: str, raws: list[bytes], chunk: int = 500) -> None:
        """MULTIAPPEND in chunks: fast bulk loading for scale tests and benches."""
        with self.client(user, password) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for i in range(0, len(raws), chunk):
                c.multiappend(folder, raws[i : i + chunk])

    def messages(self, user: str, password: str, folder: str) -> list[bytes]:
        """All message bodies in UID order, read with BODY.PEEK[] (flags untouched)."""
        return [m for _, m, _ in self.messages_with_flags(user, password, folder)]

    def messages_with_flags(self, user: str, password: str, folder: str) -> list[tuple[int, bytes, tuple]]:
        with self.client(user, password) as c:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            if not uids:
                return []
            data = c.fetch(uids, ["BODY.PEEK[]", "FLAGS"])
            return [(u, data[u][b"BODY[]"], data[u][b"FLAGS"]) for u in sorted(data)]

    def create_folder(self, user: str, password: str, folder: str) -> None:
        with self.client(user, password) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)

    def delete_folder(self, user: str, password: str, folder: str) -> None:
        with self.client(user, password) as c:
            c.delete_folder(folder)

    def folders(self, user: str, password: str) -> list[str]:
        with self.client(user, password) as c:
            return [name for _, _, name in c.list_folders()]


def _appenduid(resp) -> int | None:
    text = resp.decode(errors="replace") if isinstance(resp, bytes) else str(resp)
    if "APPENDUID" in text:
        with contextlib.suppress(ValueError, IndexError):
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
    return None


# ---------------------------------------------------------------- SMTP


@dataclass
class Received:
    mail_from: str
    rcpts: list[str]
    data: bytes
    login: str | None


@dataclass
class _Scripted:
    code: int
    text: str | bytes
    count: int
    commands: tuple[str, ...]


class _Handler:
    """aiosmtpd handler: records mail and plays scripted failures."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def _scripted(self, command: str) -> bytes | None:
        with self.server._lock:
            for item in self.server._script:
                if command in item.commands and item.count > 0:
                    item.count -= 1
                    text = item.text if isinstance(item.text, bytes) else item.text.encode()
                    return str(item.code).encode() + b" " + text
        return None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        scripted = self._scripted("MAIL")
        if scripted:
            return scripted
        login = getattr(session.auth_data, "login", None)
        login = login.decode() if isinstance(login, bytes) else login
        if self.server.enforce_from_equals_login and login and address.lower() != login.lower():
            if self.server.from_mismatch_style == "163":
                return "553 Mail from must equal authorized user"
            return "501 mail from address must be same as authorization user"
        if not address:
            return "553 Mail from must equal authorized user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.server._lock:
            unknown = address.lower() in {a.lower() for a in self.server.unknown_recipients}
        if unknown:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        scripted = self._scripted("DATA")
        if scripted:
            return scripted
        login = getattr(session.auth_data, "login", None)
        login = login.decode() if isinstance(login, bytes) else login
        with self.server._lock:
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content), login)
            )
            drop = self.server._drops_after_data > 0
            if drop:
                self.server._drops_after_data -= 1
        if drop:
            # Stored, then the connection is cut before the 250 is written: the
            # client cannot know the mail arrived (a provider's proxy timing out).
            server.transport.abort()
        return "250 OK: queued"


class SmtpServer:
    """aiosmtpd on a free loopback port with AUTH and scriptable replies."""

    host = "127.0.0.1"

    def __init__(
        self, user: str = "sender@example.org", password: str = "secret-code", tls: str | None = None
    ) -> None:
        """`tls`: None (plain), "starttls" (offer STARTTLS) or "smtps" (implicit TLS, like port 465)."""
        if tls not in (None, "starttls", "smtps"):
            raise ValueError(tls)
        self.tls = tls
        self.root = Path(tempfile.mkdtemp(prefix="smtp-test-"))
        self.cert_path: Path | None = None
        if tls:
            self.cert_path, self.key_path = make_self_signed(self.root)
        self.user = user
        self.password = password
        self.port = free_port()
        self.received: list[Received] = []
        self.enforce_from_equals_login = False
        self.from_mismatch_style = "qq"  # "qq" -> 501, "163" -> 553
        self.auth_fail_text: bytes | None = None  # e.g. GBK bytes like QQ's 535
        self.connections = 0
        self._script: list[_Scripted] = []
        self._drops_after_data = 0
        # Addresses the server does not know: RCPT TO them gets 550 5.1.1 (a mistyped address).
        self.unknown_recipients: set[str] = set()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            password = auth_data.password.decode(errors="replace")
            if login == self.user and password == self.password:
                return AuthResult(success=True, auth_data=auth_data)
        if self.auth_fail_text is not None:
            return AuthResult(success=False, handled=False, message=b"535 " + self.auth_fail_text)
        return AuthResult(success=False, handled=False)

    def up(self) -> None:
        if self._controller is not None:
            return
        # aiosmtpd itself sets the deprecated Session.login_data on every AUTH and warns.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        outer = self

        class _Controller(Controller):
            def factory(self):
                with outer._lock:
                    outer.connections += 1
                return SMTP(self.handler, **self.SMTP_kwargs)

        kwargs: dict = {}
        if self.tls:
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(str(self.cert_path), str(self.key_path))
            kwargs = {"ssl_context": server_ctx} if self.tls == "smtps" else {"tls_context": server_ctx}
        self._controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            authenticator=self._authenticator,
            auth_require_tls=False,
            auth_required=False,
            **kwargs,
        )
        self._controller.start()
        with self._lock:
            self.connections = 0  # start() opens one probe connection itself; count real clients only

    start = up

    def down(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    stop = down

    def cleanup(self) -> None:
        self.down()
        shutil.rmtree(self.root, ignore_errors=True)

    def ssl_context(self):
        """A client context that trusts this server's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def fail_next(
        self, code: int, text: str | bytes = "Try again later", count: int = 1, command: str = "MAIL"
    ) -> None:
        """Answer `code text` to the next `count` MAIL (or DATA) commands."""
        with self._lock:
            self._script.append(_Scripted(code, text, count, (command.upper(),)))

    def drop_after_data(self, count: int = 1) -> None:
        """Store the next `count` mails, then close the connection instead of answering 250."""
        with self._lock:
            self._drops_after_data = count

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)


class SentCopyHandler:
    """Wraps the test server's aiosmtpd handler: after the inner handler
    accepts DATA, APPEND the mail to the account's Sent folder before the 250
    goes out, as a provider that keeps copies of sent mail does."""

    def __init__(self, inner, dovecot, user: str, password: str, folder: str = "Sent") -> None:
        self.inner = inner
        self.dovecot, self.user, self.password, self.folder = dovecot, user, password, folder

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def handle_DATA(self, server, session, envelope):
        reply = await self.inner.handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            with IMAPClient(self.dovecot.host, port=self.dovecot.port, ssl=False, timeout=30) as c:
                c.login(self.user, self.password)
                c.append(self.folder, bytes(envelope.original_content))
        return reply


def install_sent_copy(smtp: SmtpServer, dovecot, user: str, password: str) -> None:
    """Make `smtp` file every accepted mail into `user`'s Sent folder on `dovecot`."""
    dovecot.create_folder(user, password, "Sent")
    controller = smtp._controller
    controller.handler = SentCopyHandler(controller.handler, dovecot, user, password)


# ---------------------------------------------------------------- config helpers


def imap_mailbox(server, user: str, password: str, **overrides) -> Mailbox:
    """A `config.Mailbox` for a test account; the password goes in a file, as in production."""
    fd, name = tempfile.mkstemp(dir=_secret_dir(server), suffix=".pw")
    os.close(fd)
    secret = Path(name)
    secret.write_text(password, encoding="utf-8")
    fields = dict(
        name=f"box-{user.split('@')[0]}",
        kind="imap",
        host=server.host,
        port=server.port,
        ssl=False,
        user=user,
        password=Secret(file=str(secret)),
        timeout_seconds=10,
    )
    fields.update(overrides)
    return Mailbox(**fields)


def _secret_dir(server) -> Path:
    """Password files live under the server's temp root, removed with it."""
    path = Path(server.root) / "secrets"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def smtp_settings(server: SmtpServer, **overrides) -> Smtp:
    secret = _secret_dir(server) / "smtp.pw"
    secret.write_text(server.password, encoding="utf-8")
    fields = dict(
        host=server.host,
        port=server.port,
        ssl=False,
        starttls=False,
        user=server.user,
        password=Secret(file=str(secret)),
        from_addr=server.user,
        from_name="测试学会",
        per_minute=6000,
        timeout_seconds=10,
    )
    fields.update(overrides)
    return Smtp(**fields)

"""A tiny IMAP proxy in front of dovecot that behaves like NetEase (163/126).

NetEase answers SELECT/EXAMINE with `NO [UNAVAILABLE] SELECT Unsafe Login.
Please contact kefu@188.com for help` until the client has sent IMAP ID
(research/cn_mail.md §1). The proxy can also hide capabilities (ID, IDLE,
MOVE...) so tests can play Coremail (no IDLE) or an old server (no MOVE)
against a real dovecot behind it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading

UNSAFE = b"NO [UNAVAILABLE] SELECT Unsafe Login. Please contact kefu@188.com for help"
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n$")


def _read_line(f) -> bytes:
    return f.readline(1 << 20)


class ImapProxy:
    """Forward IMAP between a client and an upstream server, editing a few replies."""

    host = "127.0.0.1"

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        require_id: bool = True,
        hide_capabilities: tuple[str, ...] = (),
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.require_id = require_id
        self.hide = tuple(c.upper().encode() for c in hide_capabilities)
        self.commands: list[list[str]] = []  # per connection, command names in order
        self.refused_selects = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
                log: list[str] = []
                self.commands.append(log)
            conn = _Conn(self, client, server, log)
            threading.Thread(target=conn.client_to_server, daemon=True).start()
            threading.Thread(target=conn.server_to_client, daemon=True).start()

    def edit_capabilities(self, line: bytes) -> bytes:
        if not self.hide or b"CAPABILITY" not in line.upper():
            return line
        for cap in self.hide:
            line = re.sub(rb"(?<=[ \[])" + re.escape(cap) + rb"(?=[ \]\r\n])", b"", line, flags=re.I)
        line = re.sub(rb" {2,}", b" ", line)
        return line.replace(b" ]", b"]")


class _Conn:
    def __init__(self, proxy: ImapProxy, client: socket.socket, server: socket.socket, log: list[str]):
        self.proxy = proxy
        self.client = client
        self.server = server
        self.log = log
        self.id_seen = False
        self.write_lock = threading.Lock()

    def _to_client(self, data: bytes) -> None:
        with self.write_lock:
            self.client.sendall(data)

    def _close(self) -> None:
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def client_to_server(self) -> None:
        f = self.client.makefile("rb")
        try:
            while True:
                first = _read_line(f)
                if not first:
                    return
                parts = first.split(None, 3)
                tag = parts[0] if parts else b""
                command = parts[1].upper() if len(parts) > 1 else b""
                if command == b"UID" and len(parts) > 2:
                    command = b"UID " + parts[2].upper()
                if command:
                    self.log.append(command.decode(errors="replace"))
                if command == b"ID":
                    self.id_seen = True
                if self.proxy.require_id and command in (b"SELECT", b"EXAMINE") and not self.id_seen:
                    with self.proxy._lock:
                        self.proxy.refused_selects += 1
                    self._to_client(tag + b" " + UNSAFE + b"\r\n")
                    continue
                # Forward the command, including any literals and their continuation lines.
                line = first
                while True:
                    self.server.sendall(line)
                    m = _LITERAL.search(line)
                    if not m:
                        break
                    remaining = int(m.group(1))
                    while remaining:
                        chunk = f.read(min(remaining, 65536))
                        if not chunk:
                            return
                        self.server.sendall(chunk)
                        remaining -= len(chunk)
                    line = _read_line(f)
                    if not line:
                        return
        except OSError:
            return
        finally:
            self._close()

    def server_to_client(self) -> None:
        f = self.server.makefile("rb")
        try:
            while True:
                line = _read_line(f)
                if not line:
                    return
                self._to_client(self.proxy.edit_capabilities(line))
                m = _LITERAL.search(line)
                while m:
                    remaining = int(m.group(1))
                    while remaining:
                        chunk = f.read(min(remaining, 65536))
                        if not chunk:
                            return
                        self._to_client(chunk)
                        remaining -= len(chunk)
                    line = _read_line(f)
                    if not line:
                        return
                    self._to_client(line)
                    m = _LITERAL.search(line)
        except OSError:
            return
        finally:
            self._close()

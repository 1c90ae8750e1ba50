"""A throw-away PostgreSQL cluster for tests: initdb in a temp dir, pg_ctl on a
free loopback port, removed afterwards. Uses the Debian `postgresql` package's
binaries; runs them as the `postgres` user when the tests run as root (initdb
refuses root), as the current user otherwise."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from mailservers import free_port

INSTALL_HINT = (
    "PostgreSQL 未安装：请运行 `apt-get install -y postgresql`（Debian/Ubuntu），"
    "测试需要 /usr/lib/postgresql/*/bin/initdb 与 pg_ctl"
)


def pg_bindir() -> Path | None:
    """Newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    for initdb in reversed(found):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


class PgCluster:
    host = "127.0.0.1"

    def __init__(self) -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError(INSTALL_HINT)
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        self.user = "postgres" if self._as_postgres else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def start(self) -> None:
        self.root.chmod(0o755)
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            self.user,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        opts = f"-p {self.port} -k {self.root} -c listen_addresses={self.host} -c fsync=off -c max_connections=200"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def create_database(self, name: str) -> str:
        """A fresh database; returns its SQLAlchemy URL (psycopg v3 driver)."""
        self._run(str(self.bindir / "createdb"), "-h", self.host, "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def psql(self, database: str, sql: str) -> None:
        """Run SQL text (a pg_dump file, say) with psql, stopping at the first error."""
        cmd = [str(self.bindir / "psql"), "-h", self.host, "-p", str(self.port), "-U", self.user]
        cmd += ["-d", database, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=120, cwd=self.root)
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed:\n{proc.stdout}\n{proc.stderr}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

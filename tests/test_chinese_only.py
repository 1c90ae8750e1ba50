"""The terminal speaks Chinese only (issue 17.6), as it was found: `[Errno 36] File name
too long: '<900-byte path>'`, `Connection refused` and `database disk image is
malformed` appeared inside Chinese sentences. The real failures are driven here —
a name too long for the disk, servers that refuse the connection (IMAP, SMTP,
PostgreSQL), a damaged SQLite ledger — and every line on the terminal must be
Chinese with no English error text, no errno, no long path; the detail is in the
log. (Servers' replies quoted as 服务器原话 are the one place English may appear:
README, 可靠性保证.)"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from intake_env import Nomination, run, submission, terminal_lines, write_config
from mailservers import free_port

LONG = "推荐表" * 30  # 270 bytes in UTF-8: more than a file name may have (255)
# Words English error texts are made of (errno strings, SQLite, psycopg, imaplib, smtplib).
FORBIDDEN = (
    "Errno",
    "Traceback",
    "File name too long",
    "Connection refused",
    "connection refused",
    "malformed",
    "not a database",
    "btree",
    "error code",
    "Error",
    "failed",
    "No such file",
)
COMMAND = re.compile(
    r"python run\.py[^\u4e00-\u9fff，。；：）]*|pg_(?:dump|restore)[^\u4e00-\u9fff，。；）]*"
)
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b")


def chinese_only(text: str) -> list[str]:
    """Every non-empty line: Chinese, and no English sentence in it (commands to run excepted)."""
    lines = terminal_lines(text)
    for line in lines:
        for word in FORBIDDEN:
            assert word not in line, line
        assert LONG not in line, "the long name goes to the log, not the terminal"
        rest = COMMAND.sub(" ", line)
        assert not ENGLISH_WORDS.search(rest), line
    return lines


def nowhere(tmp: Path) -> tuple[SimpleNamespace, SimpleNamespace]:
    """An IMAP and an SMTP address where nothing listens: connecting is refused."""
    imap = SimpleNamespace(host="127.0.0.1", port=free_port())
    smtp = SimpleNamespace(host="127.0.0.1", port=free_port(), user="intake@society.example.cn", password="x")
    return imap, smtp


def test_a_name_too_long_for_the_disk(tmp_path):
    imap, smtp = nowhere(tmp_path)
    config = write_config(tmp_path, imap, ("u@example.org", "pw"), smtp)
    target = tmp_path / f"{LONG}.sqlite3"

    proc = run(config, "backup", "--to", str(target), check=False)
    assert proc.returncode != 0
    [line] = chinese_only(proc.stderr)
    assert "文件名或路径太长" in line, line

    proc = run(config, "extract", str(tmp_path / f"{LONG}.docx"), check=False)
    assert proc.returncode == 1
    [line] = chinese_only(proc.stderr)
    assert "文件名或路径太长" in line, line
    log = (tmp_path / "data" / "logs" / "intake.log").read_text(encoding="utf-8")
    assert "File name too long" in log, "the detail is kept for whoever investigates"


def test_servers_that_refuse_the_connection(tmp_path):
    imap, smtp = nowhere(tmp_path)
    config = write_config(tmp_path, imap, ("u@example.org", "pw"), smtp)

    proc = run(config, "once", "--quiet", check=False)
    assert proc.returncode == 2
    [line] = chinese_only(proc.stderr)
    assert "无法连接" in line and "连接被拒绝" in line, line

    proc = run(config, "digest", "--send", check=False)
    assert proc.returncode == 5
    [line] = chinese_only(proc.stderr)
    assert "无法连接发信服务器" in line and "连接被拒绝" in line, line

    proc = run(config, "test-connection", check=False)
    assert proc.returncode != 0
    lines = chinese_only(proc.stdout)
    assert sum("连接被拒绝" in line for line in lines) == 2, lines


def test_a_database_server_that_refuses_the_connection(tmp_path):
    imap, smtp = nowhere(tmp_path)
    url = f"postgresql+psycopg://intake@127.0.0.1:{free_port()}/intake"
    config = write_config(tmp_path, imap, ("u@example.org", "pw"), smtp)
    text = config.read_text(encoding="utf-8").replace("sqlite:///data/ledger.sqlite3", url)
    config.write_text(text, encoding="utf-8")
    for command in (("status",), ("check",), ("user", "list")):
        proc = run(config, *command, check=False)
        assert proc.returncode == 4
        [line] = chinese_only(proc.stderr)
        assert "无法连接台账数据库" in line and "连接被拒绝" in line, line


@pytest.mark.parametrize("how", ["header", "page"])
def test_a_damaged_sqlite_ledger(how, tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account
    for i in range(12):
        raw = submission(
            "bjzj@bj.example.cn",
            f"推荐{i}",
            f"zh-{i}@bj",
            nomination=Nomination.sample("北京针灸学会", f"京针{i}"),
        )
        dovecot_server.append(user, password, "INBOX", raw)
    run(config, "once", "--quiet")
    db = tmp_path / "data" / "ledger.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(db, "r+b") as fh:
        if how == "header":
            fh.write(b"this is not a database at all!!")
        else:
            fh.seek(2 * 4096)
            fh.write(os.urandom(4096))
    for command in (
        ("status",),
        ("check",),
        ("once", "--quiet"),
        ("backup", "--to", str(tmp_path / "b.sqlite3")),
    ):
        proc = run(config, *command, check=False)
        assert proc.returncode == 4, (command, proc.stderr)
        [line] = chinese_only(proc.stderr)
        assert "损坏" in line and "rebuild" in line, line
    log = (tmp_path / "data" / "logs" / "intake.log").read_text(encoding="utf-8")
    assert "not a database" in log or "malformed" in log or "btree" in log.lower() or "Page" in log

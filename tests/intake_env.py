"""Build a real installation for end-to-end tests: a config file pointing at the
test dovecot account and aiosmtpd server, and helpers to run `run.py`."""

from __future__ import annotations

import collections
import email
import functools
import json
import os
import subprocess
import sys
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from inprocess import run_main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

from samples import Nomination, article_docx, form_docx, form_xlsx_vertical  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DEADLINE = datetime(2021, 8, 2, 0, 0, tzinfo=TZ)

UNITS = [
    {"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"]},
    {"name": "上海市针灸学会", "domains": ["shzj.example.cn"]},
    {"name": "天津市针灸学会", "addresses": ["tjzj@tj.example.cn"]},
    {"name": "江苏省针灸学会", "addresses": ["jszj@js.example.cn"]},
]


def mail_servers(
    tmp: Path, dovecot, account: tuple[str, str], smtp, *, mailbox: str, from_name: str
) -> tuple[dict, dict]:
    """The `mailboxes` entry and the `smtp` section for the test's dovecot account and SMTP
    server, their passwords written to files in `tmp`."""
    user, password = account
    (tmp / "imap.pw").write_text(password)
    (tmp / "smtp.pw").write_text(smtp.password)
    box = {
        "name": mailbox,
        "kind": "imap",
        "host": dovecot.host,
        "port": dovecot.port,
        "ssl": False,
        "user": user,
        "password": {"file": str(tmp / "imap.pw")},
        "timeout_seconds": 15,
    }
    sender = {
        "host": smtp.host,
        "port": smtp.port,
        "ssl": False,
        "user": smtp.user,
        "password": {"file": str(tmp / "smtp.pw")},
        "from_addr": smtp.user,
        "from_name": from_name,
        "per_minute": 6000,
        # A refusal is tried 3 times as in production, without 2 + 4 s of real waiting.
        "retry_delay_seconds": 0.01,
    }
    return box, sender


def write_config(
    tmp: Path,
    dovecot,
    account: tuple[str, str],
    smtp,
    *,
    units: list[dict] | None = None,
    upstream: dict | None = None,
    level_name: str = "中国针灸学会信息与会员部",
    deadline: datetime = DEADLINE,
    extra_level: dict | None = None,
    extra_smtp: dict | None = None,
) -> Path:
    mailbox, sender = mail_servers(tmp, dovecot, account, smtp, mailbox="报送邮箱", from_name=level_name)
    level = {
        "name": level_name,
        "deadline": deadline.strftime("%Y-%m-%d %H:%M"),
        "staff": ["staff@society.example.cn"],
        "contact": "刘晶晶 010-64089967",
    }
    level.update(extra_level or {})
    data = {
        "campaign": "走好网上群众路线“百佳账号”推选",
        "timezone": "Asia/Shanghai",
        "this_level": level,
        "mailboxes": [mailbox],
        "smtp": {**sender, **(extra_smtp or {})},
        "units": units or UNITS,
        "storage": {"database": "sqlite:///data/ledger.sqlite3"},
    }
    if upstream:
        data["upstream"] = upstream
    path = tmp / "inbox_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run(
    config: Path, *args: str, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess:
    """`run.py <args> --config <config>` in the configuration's folder, in this process
    (tests/inprocess.py: the same main() with a fresh process's state, without its start-up)."""
    proc = run_main([*args, "--config", str(config)], cwd=config.parent, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"run.py {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def run_process(
    config: Path, *args: str, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess:
    """`run.py` as a real child process: for tests about the process itself."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, "--config", str(config)],
        capture_output=True,
        text=True,
        input=input,
        env=env,
        timeout=300,
        cwd=config.parent,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"run.py {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def run_py(config: Path, *args: str, timeout: float = 600, preexec_fn=None) -> subprocess.CompletedProcess:
    """bench/common.run_py for tests: in this process (like run(..., check=False)), or as
    a real process when the test changes the process itself (`preexec_fn`: limits)."""
    if preexec_fn is None:
        return run(config, *args, check=False)
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=timeout,
        cwd=config.parent,
        preexec_fn=preexec_fn,
    )


def terminal_lines(stderr: str) -> list[str]:
    """What staff see on the terminal: Chinese lines, never a traceback or a b'...' reply."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert "b'" not in stderr and 'b"' not in stderr, stderr
    for line in lines:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in line), line
    return lines


def one_chinese_line(stderr: str) -> str:
    lines = terminal_lines(stderr)
    assert len(lines) == 1, stderr
    return lines[0]


def receipts_by_case(smtp) -> collections.Counter:
    """How many receipts each case number got (from the 【回执】 subjects the SMTP server saw)."""
    counts: collections.Counter = collections.Counter()
    for m in smtp.messages():
        subject = str(email.message_from_bytes(m.data, policy=policy.default)["Subject"])
        if subject.startswith("【回执】"):
            counts[subject.removeprefix("【回执】").split()[0]] += 1
    return counts


def export(config: Path) -> list[dict]:
    return json.loads(run(config, "export", "--format", "json").stdout)


# Generated documents, made once per content: python-docx and openpyxl cost ~0.1 s a
# file, and the tests send the same forms and articles many times. (The bytes differ
# only in the zip's member timestamps from one second to the next.)
@functools.lru_cache(maxsize=512)
def _form_bytes(fields: tuple[tuple[str, str], ...], xlsx: bool) -> bytes:
    nomination = Nomination(dict(fields))
    return form_xlsx_vertical(nomination) if xlsx else form_docx(nomination)


@functools.lru_cache(maxsize=64)
def _article_bytes(title: str) -> bytes:
    return article_docx(title)


def submission(
    sender: str,
    subject: str,
    msg_id: str,
    *,
    nomination: Nomination | None = None,
    xlsx: bool = False,
    with_article: bool = True,
    sent: datetime | None = None,
    body: str = "附件是推荐材料，请查收。",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{msg_id}>"
    msg["Date"] = format_datetime(sent or datetime(2021, 7, 20, 9, 0, tzinfo=TZ))
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    if nomination is not None:
        form = _form_bytes(tuple(nomination.fields.items()), xlsx)
        if xlsx:
            msg.add_attachment(form, maintype=XLSX[0], subtype=XLSX[1], filename="推荐表.xlsx")
        else:
            msg.add_attachment(form, maintype=DOCX[0], subtype=DOCX[1], filename="附件1推荐表.docx")
    if with_article:
        msg.add_attachment(
            _article_bytes("图文案例"), maintype=DOCX[0], subtype=DOCX[1], filename="图文案例.docx"
        )
    return msg.as_bytes()

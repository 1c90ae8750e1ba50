"""Shared by the benches and the crash/scale tests: a realistic mixed mailbox.

Why one builder: the crash harness, the scale tests and the throughput bench
must all push the same kinds of mail through the pipeline (accepted, needs
fix, late, unknown sender, auto-replies, duplicate deliveries), so a bug found
by one is reproducible by the others.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from imapclient import IMAPClient

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests", ROOT / "examples"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from intake_env import DEADLINE, DOCX, TZ, write_config  # noqa: E402
from samples import Nomination, article_docx, form_docx, form_xlsx_vertical, picture  # noqa: E402

# Statuses that earn the sender a receipt (intake/steps/answer.py: all but these three).
NO_RECEIPT = {"ignored", "duplicate", "correspondence"}
FINAL = {
    "accepted",
    "needs_fix",
    "late",
    "over_quota",
    "superseded",
    "manual_review",
    "unknown_unit",
    "correspondence",
    "duplicate",
    "ignored",
}


@dataclass
class Planned:
    """One message to deliver and what we know it must become."""

    raw: bytes
    arrival: datetime
    message_id: str
    kind: str  # accepted | needs_fix | late | unknown | auto | duplicate | xlsx | media
    expect: set[str] = field(default_factory=set)  # allowed final statuses


def units(n: int) -> list[dict]:
    """n units, one address each: unit k mails from u{k}@unit{k}.example.cn."""
    return [{"name": f"测试单位{k:03d}", "addresses": [f"u{k}@unit{k}.example.cn"]} for k in range(n)]


# Stand-ins for a unit's name and account in a form built once per kind (_Blobs.form).
_UNIT, _ACCOUNT = "UNIT-STAND-IN", "ACCOUNT-STAND-IN"  # ASCII: openpyxl writes CJK as &#NNNNN;


class _Blobs:
    """A few distinct attachments, built once: generating docx is cheap but not free."""

    def __init__(self) -> None:
        self.article = article_docx("图文案例")
        self.small_article = article_docx("短文", chars=300, pictures=1)
        self.pictures = [picture(f"图{i}", color=c) for i, c in enumerate(("#3a7", "#a37", "#37a"))]
        self.templates: dict[tuple[bool, bool], bytes] = {}

    def form(self, unit: str, account: str, bad: bool, xlsx: bool) -> bytes:
        """The form of `unit` naming `account`: python-docx/openpyxl build each kind of
        form once (~40 ms), and each unit's copy is that file with its name and account
        written in (a few ms; a 300-mail test builds 300 forms)."""
        if (bad, xlsx) not in self.templates:
            extra = {"手机": "022-2345678", "邮编": "3000"} if bad else {}
            nom = Nomination.sample(_UNIT, _ACCOUNT, **extra)
            self.templates[bad, xlsx] = form_xlsx_vertical(nom) if xlsx else form_docx(nom)
        return _written_in(self.templates[bad, xlsx], {_UNIT: unit, _ACCOUNT: account})


def _written_in(package: bytes, swaps: dict[str, str]) -> bytes:
    """An Office file (zip of XML parts) with each stand-in text replaced in every part."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".xml"):
                for old, new in swaps.items():
                    data = data.replace(escape(old).encode(), escape(new).encode())
            dst.writestr(info, data)
    return out.getvalue()


def _mail(
    sender: str,
    subject: str,
    msg_id: str,
    sent: datetime,
    attachments: list[tuple[bytes, str, str, str]],
    headers: dict[str, str] | None = None,
    body: str = "附件是推荐材料，请查收。",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{msg_id}>"
    msg["Date"] = format_datetime(sent)
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    for data, maintype, subtype, name in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
KINDS = (
    "accepted",
    "needs_fix",
    "late",
    "unknown",
    "auto",
    "duplicate",
    "xlsx",
    "media",
    "accepted",
    "needs_fix",
)


def mixed_messages(
    n: int, tag: str = "m", unit_count: int | None = None, first_unit: int = 0
) -> tuple[list[Planned], list[dict]]:
    """n messages cycling through KINDS; returns (plan, units for the config).
    Message i comes from unit first_unit + i (so mailboxes can use disjoint units).

    Each unit sends at most one real submission, so quota rules do not make
    the expected status depend on processing order.
    """
    blobs = _Blobs()
    unit_list = units(unit_count or n)
    plan: list[Planned] = []
    base = DEADLINE - timedelta(days=10)
    originals: list[Planned] = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        if kind == "duplicate" and not originals:
            kind = "accepted"
        unit = unit_list[(first_unit + i) % len(unit_list)]
        sender = unit["addresses"][0]
        arrival = base + timedelta(minutes=i)
        msg_id = f"{tag}-{i}@unit.example.cn"
        article = (blobs.article, *DOCX, "图文案例.docx")
        if kind == "duplicate":
            first = originals[i % len(originals)]
            raw = first.raw.replace(b"Subject:", f"X-Copy: {i}\nSubject:".encode(), 1)
            # With two workers the copy may be read first and become the record: it then
            # gets the status of its own arrival (before the deadline, so never late).
            if_first = {"accepted"} if first.kind == "late" else first.expect
            plan.append(Planned(raw, arrival, first.message_id, kind, {"duplicate", *if_first}))
            continue
        if kind == "auto":
            raw = _mail(
                sender,
                "自动回复：您的来信已收到",
                msg_id,
                arrival,
                [],
                headers={"Auto-Submitted": "auto-replied"},
            )
            plan.append(Planned(raw, arrival, msg_id, kind, {"ignored"}))
            continue
        account = f"账号{tag}{i}"
        if kind == "unknown":
            sender = f"someone{i}@elsewhere.example.com"
            form = (blobs.form("某医院", account, False, False), *DOCX, "推荐表.docx")
            raw = _mail(sender, "推荐表", msg_id, arrival, [form, article])
            plan.append(Planned(raw, arrival, msg_id, kind, {"unknown_unit"}))
            continue
        bad = kind == "needs_fix"
        xlsx = kind == "xlsx"
        form_bytes = blobs.form(unit["name"], account, bad, xlsx)
        form = (form_bytes, *XLSX, "推荐表.xlsx") if xlsx else (form_bytes, *DOCX, "附件1推荐表.docx")
        attachments = [form, article]
        if kind == "media":
            attachments = [form, (blobs.small_article, *DOCX, "图文.docx")] + [
                (p, "image", "png", f"图{j}.png") for j, p in enumerate(blobs.pictures)
            ]
        if kind == "late":
            arrival = DEADLINE + timedelta(hours=1, minutes=i)
        raw = _mail(sender, f"{unit['name']}推荐材料", msg_id, arrival, attachments)
        expect = {
            "accepted": {"accepted"},
            "xlsx": {"accepted"},
            "needs_fix": {"needs_fix"},
            "late": {"late"},
            "media": {"accepted", "needs_fix", "manual_review"},
        }[kind]
        planned = Planned(raw, arrival, msg_id, kind, expect)
        plan.append(planned)
        originals.append(planned)
    return plan, unit_list


def deliver(
    dovecot, user: str, password: str, plan: list[Planned], folder: str = "INBOX", chunk: int = 100
) -> None:
    """MULTIAPPEND with each message's INTERNALDATE (the arrival time the rules use)."""
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=60) as c:
        c.login(user, password)
        if not c.folder_exists(folder):
            c.create_folder(folder)
        for start in range(0, len(plan), chunk):
            c.multiappend(folder, [{"msg": p.raw, "date": p.arrival} for p in plan[start : start + chunk]])


def intake_config(
    tmp: Path,
    dovecot,
    account: tuple[str, str],
    smtp,
    unit_list: list[dict],
    *,
    database: str | None = None,
    smtp_extra: dict | None = None,
    storage_extra: dict | None = None,
    mailbox_extra: dict | None = None,
    extra_mailboxes: list[dict] | None = None,
) -> Path:
    """tests/intake_env.write_config plus what bulk runs need: a high per-sender
    receipt cap (the loop guard would otherwise hold back receipts) and options."""
    path = write_config(tmp, dovecot, account, smtp, units=unit_list)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["smtp"]["max_receipts_per_sender_hour"] = 100000
    data["smtp"]["daily_cap"] = 100000
    data["smtp"].update(smtp_extra or {})
    data["mailboxes"][0].update(mailbox_extra or {})
    data["mailboxes"].extend(extra_mailboxes or [])
    if database:
        data["storage"]["database"] = database
    data["storage"].update(storage_extra or {})
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_py(config: Path, *args: str, timeout: float = 600, preexec_fn=None) -> subprocess.CompletedProcess:
    """Run `run.py` as a child process (so RUSAGE_CHILDREN measures it)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=config.parent,
        preexec_fn=preexec_fn,
    )


def start_py(config: Path, *args: str, text: bool = True) -> subprocess.Popen:
    """Start `run.py` in the background (for tests that disturb it while it runs)."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *args, "--config", str(config)],
        cwd=config.parent,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=text,
    )


def padded(plan: list[Planned], headers: int = 300) -> list[Planned]:
    """The same mail made bigger, so that reading a mailbox spans many FETCH batches."""
    padding = b"X-Padding: " + b"p" * 200 + b"\n"
    return [Planned(padding * headers + p.raw, p.arrival, p.message_id, p.kind, p.expect) for p in plan]


_PEAK_RSS = (
    "import resource, subprocess, sys;"
    "p = subprocess.run(sys.argv[1:], capture_output=True);"
    "sys.stderr.buffer.write(p.stderr[-4000:]);"
    "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss(cmd: list[str], cwd: Path | None = None) -> tuple[int, float, str]:
    """Run cmd under a fresh parent so RUSAGE_CHILDREN is exactly its peak
    (its own forked helpers included): (exit code, peak MB, stderr tail)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, *cmd],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=1800,
    )
    code, kib = proc.stdout.split()[-2:]
    return int(code), int(kib) / 1024, proc.stderr


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.3f} {unit}", flush=True)


__all__ = [
    "DEADLINE",
    "FINAL",
    "NO_RECEIPT",
    "TZ",
    "Planned",
    "bench",
    "deliver",
    "intake_config",
    "mixed_messages",
    "peak_rss",
    "run_py",
    "units",
]

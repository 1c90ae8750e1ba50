"""Load and validate inbox_rules.yaml into typed settings.

Unknown keys, wrong types and inconsistent values are errors naming the key
path and its line, all reported at once, so a typo in the YAML is caught by
`run.py check-config` instead of being ignored. Passwords never live in the
YAML: only the name of an environment variable or a file path that holds them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from ..campaign import FormSpec, ScoringSpec, builtin, form_from_mapping, scoring_from_mapping
from . import checks
from .convert import Converter
from .problems import ConfigError, Problems
from .source import read_yaml


@dataclass
class Secret:
    """Where a password comes from: an environment variable or a file."""

    env: str | None = None
    file: str | None = None

    def resolve(self, key: str) -> str:
        if self.env:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(f"{key}: 环境变量 {self.env} 未设置（请在其中存放邮箱密码或授权码）")
            return value
        if self.file:
            path = Path(self.file).expanduser()
            if not path.is_file():
                raise ConfigError(f"{key}: 密码文件 {self.file} 不存在")
            return path.read_text(encoding="utf-8").strip()
        raise ConfigError(f"{key}: 需要 env（环境变量名）或 file（密码文件路径）")


@dataclass
class ThisLevel:
    name: str  # who runs the intake and signs receipts (a department: 中国针灸学会信息与会员部)
    deadline: datetime
    # When the campaign began (the notice's date): mail that arrived earlier (last year's
    # campaign in the same mailbox) is kept but neither processed as a submission nor answered.
    opens: datetime | None = None
    grace_minutes: int = 0
    quota_per_unit: int = 1
    staff: list[str] = field(default_factory=list)
    contact: str = ""  # shown at the end of every receipt
    digest_time: time = time(8, 0)
    digest_when_unchanged: bool = False
    reminders_days_before: list[int] = field(default_factory=lambda: [3, 1])
    reminder_time: time = time(9, 0)
    alert_after_failed_polls: int = 3
    # The organisation that recommends to the next level (中国针灸学会): the packet, its
    # 推荐函 and its file names speak for it, not for the department. Empty: `name`.
    organisation: str = ""

    @property
    def recommender(self) -> str:
        return self.organisation.strip() or self.name


@dataclass
class Upstream:
    name: str
    addresses: list[str]
    deadline: datetime
    accounts: int = 1
    max_mail_mb: int = 20


@dataclass
class Mailbox:
    """A source of submissions: an IMAP account folder or a local .eml folder."""

    name: str
    kind: str = "imap"  # imap | folder
    host: str = ""
    port: int = 993
    ssl: bool = True
    starttls: bool = False
    user: str = ""
    password: Secret | None = None
    folder: str = "INBOX"
    processed_folder: str | None = None
    path: str = ""  # for kind=folder
    timeout_seconds: int = 60
    idle: bool = True
    poll_minutes: int = 5


@dataclass
class Smtp:
    host: str = ""
    port: int = 465
    ssl: bool = True
    starttls: bool = False
    user: str = ""
    password: Secret | None = None
    from_addr: str = ""
    from_name: str = ""
    per_minute: int = 20
    daily_cap: int = 450
    max_receipts_per_sender_hour: int = 3
    timeout_seconds: int = 60
    # A refused (4xx) or failed connection is tried again at once within a send,
    # after this many seconds, then twice as many (3 tries in all).
    retry_delay_seconds: float = 2.0
    # When set, mail is only written to outbox/ and never sent (demo, dry run).
    dry_run: bool = False
    # After a crash between DATA and the ledger commit, look for the mail in
    # this IMAP mailbox's sent folder before sending it again (QQ/163 keep
    # copies of SMTP-sent mail there when "保存到已发送" is on).
    sent_check_mailbox: str | None = None
    sent_folder: str = "Sent"


@dataclass
class Unit:
    name: str
    addresses: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    quota: int | None = None  # accounts this unit may nominate; default this_level.quota_per_unit


@dataclass
class Materials:
    article_max_chars: int = 1500
    article_min_pictures: int = 3
    video_max_minutes: float = 5.0
    video_formats: list[str] = field(default_factory=lambda: ["mp4"])
    require_materials: bool = True


@dataclass
class Limits:
    max_message_mb: int = 100
    max_attachment_mb: int = 60
    max_unpacked_mb: int = 200
    max_archive_ratio: int = 100
    max_archive_depth: int = 3
    max_archive_members: int = 200
    document_timeout_seconds: int = 60
    # Memory (address space, MB) a document's reader may use beyond the worker's own;
    # OCR that runs out is retried smaller, then left to staff (never "damaged").
    document_memory_mb: int = 2048
    # OCR of one scanned PDF/photo stops looking at further pages after this.
    ocr_budget_seconds: int = 30


@dataclass
class Storage:
    database: str = "sqlite:///data/ledger.sqlite3"
    raw_dir: str = "data/raw"
    files_dir: str = "data/files"
    outbox_dir: str = "outbox"
    reports_dir: str = "outbox/reports"
    # Scratch for LibreOffice and the document sandbox; stale folders are swept at start.
    tmp_dir: str = "data/tmp"


@dataclass
class Web:
    """The staff console: `run.py web`, or alongside the worker in `serve`."""

    enabled: bool = False  # `serve` also runs the console
    host: str = "127.0.0.1"
    port: int = 8080
    # How staff reach the console (e.g. https://intake.example.cn), for the links
    # in digests and sheets; empty = the digest links to http://host:port (console_url).
    base_url: str = ""
    session_hours: int = 12
    login_attempts_per_15min: int = 5


@dataclass
class Config:
    campaign: str
    this_level: ThisLevel
    mailboxes: list[Mailbox]
    units: list[Unit]
    timezone: str = "Asia/Shanghai"
    # The campaign's "now", fixed (演示或核对用, e.g. 2021-08-01 09:00): the console, 催报 and
    # the daily digest all count days to the deadlines from it. Unset: the real clock.
    clock: datetime | None = None
    upstream: Upstream | None = None
    smtp: Smtp = field(default_factory=Smtp)
    # The campaign's form (附件1) and scoring rules (附件2): the built-in ones unless the
    # file defines its own (pipeline/campaign/: `form.fields`, `scoring.items`).
    form: FormSpec = field(default_factory=lambda: builtin().form)
    scoring: ScoringSpec = field(default_factory=lambda: builtin().scoring)
    materials: Materials = field(default_factory=Materials)
    limits: Limits = field(default_factory=Limits)
    storage: Storage = field(default_factory=Storage)
    web: Web = field(default_factory=Web)
    base_dir: Path = field(default=Path("."), metadata={"internal": True})
    # key path → line in the YAML file, so later problems (a missing password) can name the line
    lines: dict[str, int] = field(default_factory=dict, metadata={"internal": True})
    config_file: Path | None = field(default=None, metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        """The campaign's present moment, in its time zone: `clock` when set, else now."""
        if self.clock is not None:
            return self.clock.astimezone(self.tz)
        return datetime.now(self.tz)

    @property
    def console_url(self) -> str:
        """How staff reach the console: web.base_url, else the address `run.py web` listens on
        (a wildcard host is reached on this machine as 127.0.0.1)."""
        if self.web.base_url:
            return self.web.base_url.rstrip("/")
        host = "127.0.0.1" if self.web.host in ("", "0.0.0.0", "::") else self.web.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.web.port}"

    def case_link(self, case_no: str) -> str:
        """Where staff open a case: its console page (never a command: staff do not use a terminal)."""
        return f"{self.console_url}/case/{case_no}"

    def quota_for(self, unit: str | None) -> int:
        """How many accounts `unit` may nominate (its own `quota`, else the level's)."""
        for u in self.units:
            if u.name == unit and u.quota is not None:
                return u.quota
        return self.this_level.quota_per_unit

    def path(self, relative: str) -> Path:
        """Resolve a storage path relative to the config file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def database_url(self) -> str:
        url = self.storage.database
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            return prefix + str(self.path(url[len(prefix) :]).resolve())
        return url


# ---------------------------------------------------------------- loading


def load_config(path: str | Path, *, check_secrets: bool = False) -> Config:
    """Read and check the file; every problem found is in one ConfigError.

    `check_secrets` also reports each password that cannot be found now
    (`check-config` does; commands that never log in do not need passwords).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到配置文件 {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(
            f"配置文件 {path} 不是 UTF-8 编码（可能被保存成了 GBK/ANSI）：请用编辑器“另存为 UTF-8”"
        ) from None
    try:
        doc = read_yaml(text)
    except ConfigError as exc:
        raise ConfigError(problems=exc.problems, path=path) from None
    problems = Problems(doc.lines)
    problems.extend(doc.problems)
    config = _build(doc.data, problems, check_secrets, path.resolve().parent)
    problems.raise_if_any(path)
    assert config is not None  # a config that failed to build has problems
    config.base_dir = path.resolve().parent
    config.lines = doc.lines
    config.config_file = path
    for box in config.mailboxes:
        if box.kind == "folder" and box.path and not Path(box.path).is_absolute():
            box.path = str(config.base_dir / box.path)
    return config


def _build(data: object, problems: Problems, check_secrets: bool, base_dir: Path) -> Config | None:
    if not isinstance(data, dict):
        fix = "从 inbox_rules.yaml 复制一份再修改：每行写“名称: 值”（半角冒号，后面一个空格）"
        if isinstance(data, str) and "：" in data:
            fix = "把全角冒号“：”改成半角冒号“:”加一个空格；" + fix
        problems.add("", "文件的内容应是若干“名称: 值”", fix)
        return None
    zone = ZoneInfo("Asia/Shanghai")
    tz = data.get("timezone")
    if isinstance(tz, str):  # another type is reported by the conversion below
        try:
            zone = ZoneInfo(tz)
        except Exception:
            problems.add("timezone", f"未知的时区 {tz}", "写 Asia/Shanghai（北京时间）")
    forms: list[FormSpec] = []  # the form read first (Config lists it before scoring)

    def read_form(value: object, key: str) -> FormSpec:
        forms.append(form_from_mapping(value, problems.add, base_dir, key))
        return forms[-1]

    def read_scoring(value: object, key: str) -> ScoringSpec:
        return scoring_from_mapping(value, problems.add, key, form=forms[-1] if forms else builtin().form)

    builders = {FormSpec: read_form, ScoringSpec: read_scoring}
    convert = Converter(problems, zone, hints={Secret: checks.secret_not_a_mapping}, builders=builders)
    parts = convert.fields(Config, data, "") or {}
    names = checks.check_mailboxes(problems, parts.get("mailboxes"))
    checks.check_this_level(problems, parts.get("this_level"))
    checks.check_upstream(problems, parts.get("upstream"))
    checks.check_deadlines(problems, parts.get("this_level"), parts.get("upstream"))
    checks.check_units(problems, parts.get("units"))
    smtp = parts.get("smtp") if "smtp" in data else Smtp()  # None: it failed, already reported
    checks.check_smtp(problems, smtp, names)
    if check_secrets:
        checks.secret_problems(problems, parts.get("mailboxes"), parts.get("smtp"))
    return None if problems else Config(**parts)


def resolve_secrets(config: Config) -> None:
    """Fail early, naming every variable or file, when a password is unavailable."""
    problems = Problems(config.lines)
    checks.secret_problems(problems, config.mailboxes, config.smtp)
    problems.raise_if_any(config.config_file)

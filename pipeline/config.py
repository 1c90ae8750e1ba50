"""Load and validate inbox_rules.yaml into typed settings.

Unknown keys and wrong types are errors naming the key path, so a typo in
the YAML is caught by `run.py check-config` instead of being ignored.
Passwords never live in the YAML: only the name of an environment variable
or a file path that holds them.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from .model import FORM_LABELS


class ConfigError(Exception):
    """A configuration problem; the message is Chinese and names the key."""


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
    name: str
    deadline: datetime
    grace_minutes: int = 0
    quota_per_unit: int = 1
    staff: list[str] = field(default_factory=list)
    contact: str = ""  # shown at the end of every receipt
    digest_time: time = time(8, 0)
    digest_when_unchanged: bool = False
    reminders_days_before: list[int] = field(default_factory=lambda: [3, 1])
    reminder_time: time = time(9, 0)
    alert_after_failed_polls: int = 3


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


@dataclass
class FormRules:
    labels: list[str] = field(default_factory=lambda: list(FORM_LABELS))
    required: list[str] = field(default_factory=lambda: list(FORM_LABELS))


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
    # OCR of one scanned PDF/photo stops looking at further pages after this.
    ocr_budget_seconds: int = 30


@dataclass
class Storage:
    database: str = "sqlite:///data/ledger.sqlite3"
    raw_dir: str = "data/raw"
    files_dir: str = "data/files"
    outbox_dir: str = "outbox"
    reports_dir: str = "outbox/reports"


@dataclass
class Config:
    campaign: str
    this_level: ThisLevel
    mailboxes: list[Mailbox]
    units: list[Unit]
    timezone: str = "Asia/Shanghai"
    upstream: Upstream | None = None
    smtp: Smtp = field(default_factory=Smtp)
    form: FormRules = field(default_factory=FormRules)
    materials: Materials = field(default_factory=Materials)
    limits: Limits = field(default_factory=Limits)
    storage: Storage = field(default_factory=Storage)
    base_dir: Path = field(default=Path("."), metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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


def load_config(path: str | Path) -> Config:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到配置文件 {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"配置文件 {path} 不是有效的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"配置文件 {path} 的顶层应是键值对")
    tz = data.get("timezone", "Asia/Shanghai")
    try:
        zone = ZoneInfo(str(tz))
    except Exception as exc:
        raise ConfigError(f"timezone: 未知的时区 {tz}") from exc
    config = _build(Config, data, "", zone)
    config.base_dir = path.resolve().parent
    for box in config.mailboxes:
        if box.kind == "folder" and box.path and not Path(box.path).is_absolute():
            box.path = str(config.base_dir / box.path)
    _check(config)
    return config


def _build(cls: type, data: object, where: str, zone: ZoneInfo):
    if not isinstance(data, dict):
        raise ConfigError(f"{where or '顶层'}: 应是键值对，实际是 {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{_join(where, unknown[0])}: 未知的配置项（可用：{'、'.join(fields)}）")
    kwargs = {}
    for name, f in fields.items():
        key = _join(where, name)
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{key}: 缺少必填项")
            continue
        kwargs[name] = _convert(hints[name], data[name], key, zone)
    return cls(**kwargs)


def _convert(hint, value, key: str, zone: ZoneInfo):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, key, zone)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: 应是列表")
        (item,) = typing.get_args(hint)
        return [_convert(item, v, f"{key}[{i}]", zone) for i, v in enumerate(value)]
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key, zone)
    if hint is datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace(" ", "T"))
            except ValueError as exc:
                raise ConfigError(f"{key}: 日期时间格式应为 YYYY-MM-DD HH:MM") from exc
        if not isinstance(value, datetime):
            raise ConfigError(f"{key}: 应是日期时间，如 2021-08-02 17:00")
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if hint is time:
        if isinstance(value, int):  # YAML 1.1 reads 08:00 as sexagesimal minutes
            return time(value // 60, value % 60)
        try:
            return time.fromisoformat(str(value))
        except ValueError as exc:
            raise ConfigError(f"{key}: 时间格式应为 HH:MM") from exc
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: 应是 true 或 false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: 应是整数")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: 应是数字")
        return float(value)
    if hint is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{key}: 应是文本")
        return str(value)
    raise ConfigError(f"{key}: 无法识别的类型")


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _check(config: Config) -> None:
    """Cross-field checks that types alone cannot express."""
    names = set()
    for i, box in enumerate(config.mailboxes):
        key = f"mailboxes[{i}]"
        if box.name in names:
            raise ConfigError(f"{key}.name: 邮箱名称 {box.name} 重复")
        names.add(box.name)
        if box.kind not in ("imap", "folder"):
            raise ConfigError(f"{key}.kind: 只能是 imap 或 folder")
        if box.kind == "imap":
            for attr in ("host", "user"):
                if not getattr(box, attr):
                    raise ConfigError(f"{key}.{attr}: IMAP 邮箱必须填写")
            if box.password is None:
                raise ConfigError(f"{key}.password: 需要 env 或 file（密码不能写在配置文件里）")
        elif not box.path:
            raise ConfigError(f"{key}.path: 本地文件夹来源必须填写 path")
    for label in config.form.required:
        if label not in FORM_LABELS:
            raise ConfigError(f"form.required: 未知字段 {label}")
    if len(config.form.labels) != len(FORM_LABELS):
        raise ConfigError("form.labels: 应列出推荐表的 15 个栏目")
    seen: dict[str, str] = {}
    for i, unit in enumerate(config.units):
        for addr in unit.addresses + [f"@{d}" for d in unit.domains]:
            low = addr.lower()
            if low in seen:
                raise ConfigError(f"units[{i}]: 地址 {addr} 同时属于 {seen[low]} 和 {unit.name}")
            seen[low] = unit.name
    if config.smtp.sent_check_mailbox and config.smtp.sent_check_mailbox not in names:
        raise ConfigError(f"smtp.sent_check_mailbox: 没有名为 {config.smtp.sent_check_mailbox} 的邮箱")
    if not config.smtp.dry_run:
        if not config.smtp.host or not config.smtp.from_addr:
            raise ConfigError("smtp: 需要 host 与 from_addr（或设 dry_run: true 只写入 outbox）")
        if config.smtp.user and config.smtp.password is None:
            raise ConfigError("smtp.password: 需要 env 或 file")
        if config.smtp.user and config.smtp.from_addr.lower() != config.smtp.user.lower():
            raise ConfigError(
                f"smtp.from_addr: 发件地址 {config.smtp.from_addr} 必须与登录账号 {config.smtp.user} 相同"
                "（QQ、163 等邮箱会拒收，返回 501/553）"
            )


def resolve_secrets(config: Config) -> None:
    """Fail early, naming the variable, when a password is unavailable."""
    for i, box in enumerate(config.mailboxes):
        if box.password:
            box.password.resolve(f"mailboxes[{i}].password")
    if config.smtp.password and not config.smtp.dry_run:
        config.smtp.password.resolve("smtp.password")

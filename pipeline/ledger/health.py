"""Is this ledger fit to run on? Integrity, emptiness, and agreement with the journal.

Why at every start: a damaged SQLite file otherwise surfaces as a
121-line SQLAlchemy traceback, or not at all (a bad page deep in the file
passes until the query that reads it); an emptied ledger beside a full raw
store makes the program answer every unit again. Each check is cheap
(PRAGMA quick_check, a look at the journal's last lines) and dialect-aware:
PostgreSQL has no quick_check, it gets a connect and a look for the tables.

Never open() the ledger file itself in a process that talks to it through
SQLite: closing any descriptor of a file drops every POSIX lock the process
holds on it, and another process may then checkpoint and delete the WAL
under our feet (committed transactions lost). SQLite reads the header itself
and answers "file is not a database".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Set
from datetime import datetime, tzinfo
from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..config import Config
from .errors import (
    RESTORE_HINT,
    LedgerBehind,
    LedgerDamaged,
    LedgerEmpty,
    RebuildUnfinished,
    StaffWorkBehind,
    short_db_error,
)
from .journal import CLAIMS, OUTBOX, STAFF, Journal
from .outbox_journal import journal_is_ahead
from .schema import Base, KeyValueRow, MessageRow, OutboxRow, StaffEntryRow

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
REBUILDING = "rebuild:started"


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def describe_url(url: str) -> str:
    """Where the ledger is, for messages: a path, or host/database without credentials."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
        return (
            f"{u.get_backend_name()}://{u.host or ''}{':' + str(u.port) if u.port else ''}/{u.database or ''}"
        )
    except Exception:
        return "（数据库地址无法解析）"


def integrity_problems(engine: Engine, full: bool = False) -> list[str]:
    """[] when healthy; else what the database says is wrong (first few lines).

    SQLite: PRAGMA quick_check (page structure, milliseconds for a ledger of
    thousands of mails) or integrity_check (also every index entry). PostgreSQL:
    the server keeps its own pages; we check that we reach it and see our tables.
    """
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                pragma = "integrity_check" if full else "quick_check"
                rows = [r[0] for r in conn.execute(text(f"PRAGMA {pragma}(20)"))]
                if rows == ["ok"]:
                    return []
                lines = [" ".join(x.split()) for r in rows for x in str(r).splitlines()]
                lines = [x for x in lines if x and not x.startswith("***")]
                log.warning("ledger %s failed %s: %s", engine.url.database, pragma, lines)
                return [
                    f"数据页或索引损坏（{'完整' if full else '快速'}检查发现 {len(lines)} 处问题，详见日志）"
                ]
            present = set(inspect(conn).get_table_names())
            missing = sorted(set(Base.metadata.tables) - present)
            return [f"缺少数据表 {name}" for name in missing]
    except SQLAlchemyError as exc:
        log.warning("ledger integrity check failed: %s", exc)
        return [short_db_error(exc)]


def ledger_counts(engine: Engine) -> tuple[int, int]:
    """(message rows, outbox rows)."""
    with engine.connect() as conn:
        messages = conn.scalar(select(func.count()).select_from(MessageRow)) or 0
        outbox = conn.scalar(select(func.count()).select_from(OutboxRow)) or 0
    return messages, outbox


def refuse_if_rebuilding(engine: Engine) -> None:
    with engine.connect() as conn:
        started = conn.scalar(select(KeyValueRow.value).where(KeyValueRow.key == REBUILDING))
    if started:
        raise RebuildUnfinished(
            f"台账重建尚未完成（开始于 {started}）：请再次运行 python run.py rebuild，完成前不要运行 once 或 serve。"
        )


def _eml_files(root: Path, skip: Set[Path] = frozenset()) -> Iterator[Path]:
    """Mail this configuration wrote there: <root>/<folder>/<name>.eml, one level down
    (the raw store's <sha[:2]>/, the outbox's <kind>/) — never deeper, so another
    configuration's folders inside it (the demo's outbox/demo/ in the live outbox/)
    are not taken for this one's mail."""
    if not root.is_dir():
        return
    for path in root.glob("*/*.eml"):
        if path.parent not in skip and path.is_file():
            yield path


def refuse_if_empty(config: Config, engine: Engine, journal: Journal) -> None:
    """An empty ledger is only right on a first start: nothing in the raw store,
    the outbox or the journal. Otherwise the ledger was deleted or emptied, and
    running on would process (and answer) every message again."""
    messages, outbox = ledger_counts(engine)
    if messages or outbox:
        return
    raw_dir = config.path(config.storage.raw_dir)
    out_dir = config.path(config.storage.outbox_dir)
    reports = config.path(config.storage.reports_dir)
    if journal.is_empty() and next(_eml_files(raw_dir), None) is None:
        if next(_eml_files(out_dir, {reports}), None) is None:
            return
    claims = sum(1 for _ in journal.read(CLAIMS))
    raw = sum(1 for _ in _eml_files(raw_dir))
    written = sum(1 for _ in _eml_files(out_dir, {reports}))
    evidence = "、".join(
        part
        for part in (
            f"原始邮件库 {raw_dir} 中有 {raw} 封邮件" if raw else "",
            f"认领记录 {journal.path(CLAIMS)} 中有 {claims} 条" if claims else "",
            f"发件箱 {out_dir} 中有 {written} 封已写出的邮件" if written else "",
        )
        if part
    )
    raise LedgerEmpty(
        f"台账（{describe_url(config.database_url)}）是空的，但{evidence}：台账可能被删除、清空或换成了新库。"
        f"照常运行会把这些邮件当作新邮件重新处理，并给每个单位再发一次回执，因此程序已停止。{RESTORE_HINT}"
    )


def refuse_if_behind(engine: Engine, journal: Journal) -> None:
    """The journal's last lines are facts the ledger once held. A ledger that lacks
    them was restored from an older backup (or replaced): running on would fetch
    and answer the newer mail again, or resend mail that went out."""
    claim = journal.last(CLAIMS)
    out = journal.last(OUTBOX)
    with engine.connect() as conn:
        if claim is not None:
            row = conn.execute(
                select(MessageRow.mailbox, MessageRow.uid, MessageRow.uidvalidity).where(
                    MessageRow.id == claim.get("id")
                )
            ).first()
            if row is None or (row.mailbox, row.uid, row.uidvalidity) != (
                claim.get("mailbox"),
                claim.get("uid"),
                claim.get("uidvalidity"),
            ):
                raise LedgerBehind(
                    _behind_message(f"邮箱 {claim.get('mailbox')} 第 {claim.get('uid')} 封邮件的认领")
                )
        if out is not None:
            row = conn.execute(
                select(OutboxRow.state, OutboxRow.recipients).where(OutboxRow.dedup_key == out.get("key"))
            ).first()
            if row is None or journal_is_ahead(row.state, row.recipients, out):
                raise LedgerBehind(_behind_message(f"外发邮件“{out.get('subject') or out.get('key')}”的记录"))


# Journal entries a replay tried and could not apply (kv key prefix + entry id -> why):
# known and reported, so they do not stop every start; every replay tries them again.
UNAPPLIED = "staff-journal:unapplied:"
_KIND_ZH = {
    "decision": "决定",
    "correction": "更正",
    "reply": "回复",
    "score": "评分",
    "account": "控制台账号变更",
    "unit_reply": "单位回复更正",
    "reply_change": "处理单位回复的修改",
    "unit_address": "移除单位的发件地址",
}
_ACTION_ZH = {
    "accept": "受理",
    "return": "退回补正",
    "reject": "不予受理",
    "withdraw": "撤回",
    "allow-late": "允许逾期",
    "assign": "指定单位",
    "select": "选定上报",
    "unselect": "取消选定",
    "answered": "标记已回复",
    "dismiss": "无需处理",
    "forget_address": "移除单位的发件地址",
}
# The kinds staff/journal.replay applies (each claims its id in the ledger with its change).
REPLAYED_KINDS = frozenset(_KIND_ZH)
_ACCOUNT_OP_ZH = {"add": "添加", "reset": "重设密码", "remove": "停用", "password": "修改密码"}


def missing_staff_entries(engine: Engine, journal: Journal, *, full: bool = False) -> list[dict]:
    """Staff-journal entries this ledger does not hold (nor knows it cannot apply).

    At every start only the journal's last 64 KB are compared (a ledger restored from
    an older backup lacks the newest entries); `full` (check, restore) reads it all.
    """
    records = list(journal.read(STAFF)) if full else journal.tail(STAFF)
    wanted = {
        r["id"]: r
        for r in records
        if isinstance(r.get("id"), str) and r["id"] and r.get("kind") in REPLAYED_KINDS
    }
    if not wanted:
        return []
    held: set[str] = set()
    ids = list(wanted)
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            held.update(conn.scalars(select(StaffEntryRow.id).where(StaffEntryRow.id.in_(chunk))))
            keys = [UNAPPLIED + i for i in chunk]
            held.update(
                k.removeprefix(UNAPPLIED)
                for k in conn.scalars(select(KeyValueRow.key).where(KeyValueRow.key.in_(keys)))
            )
    return [r for i, r in wanted.items() if i not in held]


def describe_entry(entry: dict, tz: tzinfo | None = None) -> str:
    """One staff-journal entry in a few Chinese words: when (local time), who, what."""
    try:
        when = f"{datetime.fromisoformat(str(entry.get('at'))).astimezone(tz):%Y-%m-%d %H:%M}"
    except ValueError:
        when = ""
    kind = entry.get("kind", "")
    who = entry.get("by") or entry.get("reviewer") or ""
    what = _KIND_ZH.get(kind, "处理")
    if kind == "decision" and entry.get("action") in _ACTION_ZH:
        what = _ACTION_ZH[entry["action"]]
    if kind == "correction" and entry.get("checked"):
        what = "核对无误"
    if kind == "account":
        what = f"账号“{entry.get('name', '')}”{_ACCOUNT_OP_ZH.get(entry.get('op', ''), '变更')}"
    elif entry.get("case_no"):
        what += f"（{entry['case_no']}）"
    return " ".join(x for x in (when, who, what) if x)


def refuse_if_staff_behind(
    engine: Engine, journal: Journal, *, full: bool = False, tz: tzinfo | None = None
) -> None:
    """Staff work the journal holds and the ledger lacks (an older backup restored, or a
    replaced database): running on would undo it — a removed account could sign in
    again, a rejected case show as accepted."""
    missing = missing_staff_entries(engine, journal, full=full)
    if not missing:
        return
    count = f" {len(missing)} 条" if full else ""
    raise StaffWorkBehind(
        f"台账缺少{count}最近的工作人员处理记录（最近一条：{describe_entry(missing[-1], tz)}）："
        "台账可能是从较早的备份恢复的，或被换成了别的库。照常运行会让这些处理（如停用账号、不予受理、更正）失效，"
        "因此程序已停止。请运行 python run.py rebuild 补齐（只补充缺少的记录，不会发送任何邮件）。"
    )


def _behind_message(what: str) -> str:
    return (
        f"台账缺少最近的{what}：台账可能是从较早的备份恢复的，或被换成了别的库。"
        "照常运行会把之后收到的邮件重新处理、把已发出的邮件再发一次，因此程序已停止。"
        "请运行 python run.py rebuild 补齐（只补充缺少的记录，不会重复发信），然后再运行。"
    )


def raise_if_damaged(engine: Engine, where: str, full: bool = False) -> None:
    problems = integrity_problems(engine, full)
    if problems:
        detail = "；".join(problems[:3])
        raise LedgerDamaged(f"台账（{where}）检查未通过：{detail}。{RESTORE_HINT}")

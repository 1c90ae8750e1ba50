"""Checks across fields that types alone cannot express, all recorded in one pass.

Each check takes the parts that were built (a part that failed to convert is
None and its checks are skipped) and records problems with a Chinese fix.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path

from .problems import Problems

# The mailbox kinds `kind:` may name; each is a module of pipeline/mailbox/ listed in
# mailbox/sources.py KINDS (tests/test_config.py checks the two agree).
MAILBOX_KINDS = ("imap", "folder")

# What separates two addresses that were typed into one list item.
_SEPARATORS = re.compile(r"[，,；;、\s]+")
_PASSWORD_ENV = {"mailboxes": "INTAKE_IMAP_PASSWORD", "smtp": "INTAKE_SMTP_PASSWORD"}


def address_problem(value: str, name_fix: str) -> tuple[str, str] | None:
    """Why `value` is not one e-mail address (message, fix), or None when it is.

    `name_fix` is the fix when no `@` was written at all (usually a person's name).
    """
    parts = [p for p in _SEPARATORS.split(value.strip()) if p]
    if len(parts) > 1 and sum("@" in p for p in parts) > 1:
        sep = next((c for c in value if c in "，；、"), None)
        joined = f"（中间是全角“{sep}”）" if sep else ""
        items = ", ".join(parts)
        return f"“{value}”是几个地址连在了一起{joined}", f"每个地址单独一项，用半角逗号分开：[{items}]"
    try:
        address = Address(addr_spec=value.strip())
        ok = bool(address.username) and "." in address.domain
    except Exception:  # the parser raises several types for malformed input
        ok = False
    if ok:
        return None
    if "@" not in value:
        return f"“{value}”不是邮箱地址", name_fix
    return (
        f"“{value}”不是有效的邮箱地址",
        "只写地址本身（如 a@example.cn）：半角字符、不带姓名和尖括号，@ 后是完整的域名",
    )


def check_address_list(problems: Problems, key: str, addresses: list[str] | None, name_fix: str) -> None:
    for i, addr in enumerate(addresses or []):
        if addr is None:
            continue
        found = address_problem(addr, name_fix)
        if found:
            problems.add(f"{key}[{i}]", *found)


def check_this_level(problems: Problems, level) -> None:
    if level is not None:
        check_address_list(
            problems,
            "this_level.staff",
            level.staff,
            "staff 写工作人员的邮箱地址（接收每日汇总、警告和催报抄送），例如 liujingjing@society.example.cn；"
            "姓名和电话写在 this_level.contact 中",
        )


def check_upstream(problems: Problems, upstream) -> None:
    if upstream is not None:
        check_address_list(
            problems,
            "upstream.addresses",
            upstream.addresses,
            "写上级的收件邮箱地址，例如 xuanchuanchu@cast.org.cn",
        )


def check_deadlines(problems: Problems, level, upstream) -> None:
    if (
        level is not None
        and level.opens is not None
        and level.deadline is not None
        and level.opens >= level.deadline
    ):
        problems.add(
            "this_level.opens",
            f"活动开始时间 {level.opens:%Y-%m-%d %H:%M} 不早于报送截止 {level.deadline:%Y-%m-%d %H:%M}",
            "opens 写通知发出的日期（此前到达的邮件不处理、不回复），应早于 this_level.deadline；不需要时删去这一行",
        )
    if level is None or upstream is None or level.deadline is None or upstream.deadline is None:
        return
    ours = level.deadline + timedelta(minutes=level.grace_minutes or 0)
    if upstream.deadline <= ours:
        problems.add(
            "upstream.deadline",
            f"上报上级的截止时间 {upstream.deadline:%Y-%m-%d %H:%M} 不晚于本级报送截止 {ours:%Y-%m-%d %H:%M}"
            + ("（含宽限）" if level.grace_minutes else ""),
            "upstream.deadline 是上级要求本级上报的截止时间，应晚于 this_level.deadline（各单位报送截止）："
            "核对通知中的两个日期",
        )


def check_mailboxes(problems: Problems, mailboxes) -> set[str] | None:
    """The mailbox names; None when some mailbox could not be read (names unknown)."""
    if mailboxes is None or None in mailboxes:
        return None
    names: set[str] = set()
    for i, box in enumerate(mailboxes):
        key = f"mailboxes[{i}]"
        if box.name in names:
            problems.add(f"{key}.name", f"邮箱名称 {box.name} 重复", "每个邮箱起一个不同的名称")
        names.add(box.name)
        if box.kind not in MAILBOX_KINDS:
            problems.add(f"{key}.kind", f"只能是 {' 或 '.join(MAILBOX_KINDS)}", "收件邮箱写 kind: imap")
        elif box.kind == "imap":
            for attr, example in (("host", "imap.qq.com"), ("user", "1187093@qq.com")):
                if not getattr(box, attr):
                    problems.add(f"{key}.{attr}", "IMAP 邮箱必须填写", f"例如 {attr}: {example}")
            if box.password is None and not problems.has(f"{key}.password"):
                problems.add(f"{key}.password", "缺少密码的来源", password_fix("mailboxes"))
        elif not box.path:
            problems.add(f"{key}.path", "本地文件夹来源必须填写 path", "例如 path: demo_mailbox")
    return names


def check_units(problems: Problems, units) -> None:
    seen: dict[str, str] = {}
    for i, unit in enumerate(units or []):
        if unit is None:
            continue
        check_address_list(
            problems,
            f"units[{i}].addresses",
            unit.addresses,
            "写该单位发件用的邮箱地址，例如 bjzj@bjzj.example.cn；整个域名都算本单位时写在 domains 中",
        )
        for j, domain in enumerate(unit.domains or []):
            if domain and (domain.startswith("@") or "." not in domain or _SEPARATORS.search(domain)):
                problems.add(
                    f"units[{i}].domains[{j}]",
                    f"“{domain}”不是域名",
                    "只写 @ 后面的部分，例如 shzj.example.cn；多个域名分成多项",
                )
        for addr in [a for a in unit.addresses if a] + [f"@{d}" for d in unit.domains if d]:
            low = addr.lower()
            if low in seen and seen[low] != unit.name:
                problems.add(
                    f"units[{i}]",
                    f"地址 {addr} 同时属于 {seen[low]} 和 {unit.name}",
                    "一个地址（或域名）只能属于一个单位：删去其中一处",
                )
            seen.setdefault(low, unit.name)


def check_smtp(problems: Problems, smtp, mailbox_names: set[str] | None) -> None:
    if smtp is None:
        return
    known = mailbox_names is not None
    if known and smtp.sent_check_mailbox and smtp.sent_check_mailbox not in mailbox_names:
        problems.add(
            "smtp.sent_check_mailbox",
            f"没有名为 {smtp.sent_check_mailbox} 的邮箱",
            f"写 mailboxes 中某个邮箱的 name：{'、'.join(sorted(mailbox_names)) or '（还没有邮箱）'}",
        )
    if smtp.from_addr and not problems.has("smtp.from_addr"):
        found = address_problem(smtp.from_addr, "写发件邮箱地址，与 smtp.user 相同，例如 1187093@qq.com")
        if found:
            problems.add("smtp.from_addr", *found)
    if smtp.dry_run:
        return
    if not smtp.host or not smtp.from_addr:
        problems.add(
            "smtp",
            "需要 host 与 from_addr",
            "填写发件服务器和发件地址（如 host: smtp.qq.com、from_addr: 1187093@qq.com），或设 dry_run: true 只写入 outbox",
        )
    if smtp.user and smtp.password is None and not problems.has("smtp.password"):
        problems.add("smtp.password", "缺少密码的来源", password_fix("smtp"))
    same_login = not smtp.user or not smtp.from_addr or smtp.from_addr.lower() == smtp.user.lower()
    if not same_login and not problems.has("smtp.from_addr"):
        problems.add(
            "smtp.from_addr",
            f"发件地址 {smtp.from_addr} 必须与登录账号 {smtp.user} 相同（QQ、163 等邮箱会拒收，返回 501/553）",
            f"把 from_addr 改成 {smtp.user}",
        )


def password_fix(section: str) -> str:
    env = _PASSWORD_ENV[section]
    return (
        f"密码（授权码）不写在配置文件里。写成 password: {{env: {env}}}，"
        f"运行前执行 export {env}='邮箱授权码'；或写成 password: {{file: /path/to/密码文件}}"
    )


def secret_not_a_mapping(key: str, value: object) -> tuple[str, str]:
    """`password: abc123` — almost always a pasted password; never echo it."""
    section = "smtp" if key.startswith("smtp") else "mailboxes"
    if isinstance(value, str):
        return "密码不能直接写在配置文件里", password_fix(section)
    return "应写成 {env: 环境变量名} 或 {file: 密码文件路径}", password_fix(section)


def secret_problems(problems: Problems, mailboxes, smtp) -> None:
    """Every password that cannot be found now, named by key and variable."""
    for i, box in enumerate(mailboxes or []):
        if box is not None and box.password is not None:
            _check_secret(problems, f"mailboxes[{i}].password", box.password, "mailboxes")
    if smtp is not None and smtp.password is not None and not smtp.dry_run:
        _check_secret(problems, "smtp.password", smtp.password, "smtp")


def _check_secret(problems: Problems, key: str, secret, section: str) -> None:
    if secret.env:
        if os.environ.get(secret.env) is None:
            problems.add(
                key,
                f"环境变量 {secret.env} 未设置（其中应存放邮箱密码或授权码）",
                f"运行前执行 export {secret.env}='邮箱授权码'（cron 中运行时写在 crontab 里或改用 file:）",
            )
    elif secret.file:
        if not Path(secret.file).expanduser().is_file():
            problems.add(
                key, f"密码文件 {secret.file} 不存在", "把授权码写进这个文件（只写授权码一行），或改正路径"
            )
    else:
        problems.add(key, "需要 env（环境变量名）或 file（密码文件路径）", password_fix(section))

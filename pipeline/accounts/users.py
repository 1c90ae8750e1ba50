"""Console accounts: add, reset a password, disable, list; journaled so a rebuild gives them back.

The CLI (`run.py user …`) and the console's accounts page both call these.
The journal entry holds the argon2 hash, never the password. A disabled
account is enabled again only by an explicit reset (`user reset`, or an
administrator in the console).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from ..config import Config
from ..ledger import Ledger, UserRow, WebSessionRow, utcnow
from ..ledger import staff_journal as journal
from . import passwords
from .errors import AccountError
from .roles import ROLE_ZH, Role, may, role_zh


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    def may(self, permission: str) -> bool:
        """Whether this account may do `permission` (roles.GRANTS)."""
        return may(self.role, permission)

    @property
    def role_zh(self) -> str:
        return role_zh(self.role)


@dataclass(frozen=True)
class Account:
    """One line of the account list."""

    name: str
    role: str
    active: bool

    @property
    def role_zh(self) -> str:
        return role_zh(self.role)


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = " 或 ".join(f"{r.value}（{ROLE_ZH[r]}）" for r in Role)
        raise AccountError(f"角色只能是 {choices}。") from None


def add_user(ledger: Ledger, name: str, role: str, password: str, config: Config | None = None) -> User:
    """Create an account; journaled (hash only) when `config` is given, so a rebuild restores it."""
    name = name.strip()
    if not name:
        raise AccountError("请给出姓名（登录名）。")
    if len(name) > 100:
        raise AccountError("姓名（登录名）最多 100 个字符。")
    role = _role(role).value
    passwords.check_rules(password)
    entry_id = journal.new_id()
    with ledger.session() as s:
        if s.scalar(select(UserRow).where(UserRow.name == name)) is not None:
            raise AccountError(f"已有名为“{name}”的账号；改密码请用 user reset。")
        row = UserRow(
            name=name,
            role=role,
            password_hash=passwords.hash_password(password),
            active=True,
            created_at=utcnow(),
            password_changed_at=utcnow(),
        )
        s.add(row)
        journal.claim(s, entry_id)
        s.flush()
        user, state = User(row.id, row.name, row.role), _account_state(row)
    _journal(config, "add", entry_id, state)
    return user


def reset_password(ledger: Ledger, name: str, password: str, config: Config | None = None) -> None:
    """A new password (the account is enabled again); it is signed out everywhere."""
    passwords.check_rules(password)
    entry_id = journal.new_id()
    with ledger.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise AccountError(f"没有名为“{name}”的账号。")
        row.password_hash = passwords.hash_password(password)
        row.password_changed_at = utcnow()
        row.active = True
        s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))
        journal.claim(s, entry_id)
        state = _account_state(row)
    _journal(config, "reset", entry_id, state)


def remove_user(ledger: Ledger, name: str, config: Config | None = None) -> None:
    """Disable (the audit log keeps the name); its sessions end at once."""
    entry_id = journal.new_id()
    with ledger.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise AccountError(f"没有名为“{name}”的账号。")
        row.active = False
        s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))
        journal.claim(s, entry_id)
        state = _account_state(row)
    _journal(config, "remove", entry_id, state)


def _account_state(row: UserRow) -> dict:
    """What a rebuild needs to give the account back: never the password, only its argon2 hash."""
    return {"name": row.name, "role": row.role, "password_hash": row.password_hash, "active": row.active}


def _journal(config: Config | None, op: str, entry_id: str, state: dict) -> None:
    if config is not None:
        journal.record(config, "account", entry_id, op=op, **state)


def restore_account(ledger: Ledger, entry: dict, entry_id: str) -> None:
    """Replay one journaled account change (run.py rebuild): the account as it was after it."""
    with ledger.session() as s:
        if not journal.claim(s, entry_id):
            raise journal.AlreadyApplied(entry_id)
        row = s.scalar(select(UserRow).where(UserRow.name == entry["name"]))
        if row is None:
            row = UserRow(name=entry["name"], created_at=utcnow())
            s.add(row)
        row.role = entry["role"]
        row.password_hash = entry["password_hash"]
        row.active = bool(entry.get("active", True))
        row.password_changed_at = utcnow()


def list_users(ledger: Ledger) -> list[Account]:
    with ledger.session() as s:
        return [Account(r.name, r.role, r.active) for r in s.scalars(select(UserRow).order_by(UserRow.id))]

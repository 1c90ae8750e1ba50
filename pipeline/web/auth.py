"""Console accounts, sign-in sessions, CSRF tokens and login rate limits.

- Passwords are hashed with argon2id (argon2-cffi); the password itself is
  never stored or logged.
- A session is a random token in an HttpOnly cookie; the ledger keeps only
  its SHA-256 with an expiry, so every worker sees it and signing out, a
  password reset or removing the account ends it at once.
- Every form carries the session's CSRF token; a POST without it is refused.
- Failed sign-ins are counted per account name and per address; after
  `login_attempts_per_15min` failures in 15 minutes sign-in is refused for
  that name / address until the window passes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select

from ..config import Config
from ..errors import UserFacingError
from ..ledger import Ledger, LoginAttemptRow, UserRow, WebSessionRow, utcnow
from ..staff import journal

ROLES = {"staff": "工作人员", "reviewer": "评审专家"}
MIN_PASSWORD = 8
WINDOW = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verified against when the name is unknown, so timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(UserFacingError):
    """A console-account problem; Chinese message."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def role_zh(self) -> str:
        return ROLES.get(self.role, self.role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符。")
    if password.strip() != password:
        raise AccountError("密码首尾不能有空格。")


# ---------------------------------------------------------------- accounts


def add_user(ledger: Ledger, name: str, role: str, password: str, config: Config | None = None) -> User:
    """Create an account; journaled (hash only) when `config` is given, so a rebuild restores it."""
    name = name.strip()
    if not name:
        raise AccountError("请给出姓名（登录名）。")
    if role not in ROLES:
        raise AccountError(f"角色只能是 {' 或 '.join(f'{k}（{v}）' for k, v in ROLES.items())}。")
    check_password_rules(password)
    entry_id = journal.new_id()
    with ledger.session() as s:
        if s.scalar(select(UserRow).where(UserRow.name == name)) is not None:
            raise AccountError(f"已有名为“{name}”的账号；改密码请用 user reset。")
        row = UserRow(
            name=name,
            role=role,
            password_hash=_hasher.hash(password),
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
    check_password_rules(password)
    entry_id = journal.new_id()
    with ledger.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise AccountError(f"没有名为“{name}”的账号。")
        row.password_hash = _hasher.hash(password)
        row.password_changed_at = utcnow()
        row.active = True
        s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))  # sign out everywhere
        journal.claim(s, entry_id)
        state = _account_state(row)
    _journal(config, "reset", entry_id, state)


def remove_user(ledger: Ledger, name: str, config: Config | None = None) -> None:
    """Deactivate (the audit log keeps the name); sessions end at once."""
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


def list_users(ledger: Ledger) -> list[tuple[str, str, bool]]:
    with ledger.session() as s:
        return [(r.name, r.role, r.active) for r in s.scalars(select(UserRow).order_by(UserRow.id))]


# ---------------------------------------------------------------- sign-in


def login_blocked(ledger: Ledger, name: str, address: str, limit: int) -> bool:
    since = utcnow() - WINDOW
    with ledger.session() as s:
        by_name = s.scalar(
            select(func.count(LoginAttemptRow.id)).where(
                LoginAttemptRow.name == name, LoginAttemptRow.at >= since
            )
        )
        by_addr = s.scalar(
            select(func.count(LoginAttemptRow.id)).where(
                LoginAttemptRow.address == address, LoginAttemptRow.at >= since
            )
        )
    return (by_name or 0) >= limit or (by_addr or 0) >= limit * 4


def authenticate(ledger: Ledger, name: str, password: str, address: str) -> User | None:
    """The user, or None (and the failure is counted)."""
    with ledger.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name.strip(), UserRow.active.is_(True)))
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            ok = _hasher.verify(stored, password) and row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            s.add(LoginAttemptRow(at=utcnow(), name=name.strip()[:100], address=address[:100]))
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.name == row.name))
        return User(row.id, row.name, row.role)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def start_session(ledger: Ledger, user: User, hours: int) -> tuple[str, Session]:
    """A new session; returns (cookie token, session)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = utcnow()
    with ledger.session() as s:
        s.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        s.add(
            WebSessionRow(
                id=_digest(token),
                user_id=user.id,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return token, Session(user, csrf)


def load_session(ledger: Ledger, token: str | None) -> Session | None:
    if not token:
        return None
    with ledger.session() as s:
        row = s.get(WebSessionRow, _digest(token))
        if row is None or row.expires_at <= utcnow():
            return None
        user = s.get(UserRow, row.user_id)
        if user is None or not user.active:
            return None
        return Session(User(user.id, user.name, user.role), row.csrf)


def end_session(ledger: Ledger, token: str | None) -> None:
    if token:
        with ledger.session() as s:
            s.execute(delete(WebSessionRow).where(WebSessionRow.id == _digest(token)))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)

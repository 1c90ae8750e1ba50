"""Every password check, each inside the attempt limit (limiter.py).

Signing in and changing one's own password both check a password; both go
through `check_password`, so neither can be used to guess without limit.
"""

from __future__ import annotations

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, UserRow
from . import limiter, passwords
from .errors import AccountError, TooManyAttempts
from .users import User, reset_password

DEFAULT_LIMIT = 5


def check_password(
    ledger: Ledger, name: str, password: str, address: str, limit: int = DEFAULT_LIMIT
) -> User | None:
    """The active account `name` if `password` is its password, else None (the check is counted).

    Raises TooManyAttempts, without checking, once the account or the client
    `address` has used up its checks for the last 15 minutes.
    """
    name = name.strip()
    if not limiter.reserve(ledger, name, address, limit):
        raise TooManyAttempts()
    with ledger.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name, UserRow.active.is_(True)))
        stored = row.password_hash if row is not None else None
    if not passwords.verify(stored, password):
        return None
    with ledger.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name, UserRow.active.is_(True)))
        if row is None:  # disabled while we checked
            return None
        if passwords.needs_rehash(row.password_hash):
            row.password_hash = passwords.hash_password(password)
        user = User(row.id, row.name, row.role)
    limiter.forget(ledger, name)
    return user


def change_own_password(
    ledger: Ledger,
    user: User,
    current: str,
    new: str,
    address: str,
    config: Config | None = None,
    limit: int = DEFAULT_LIMIT,
) -> None:
    """A signed-in person changes their password; the current one is checked within the limit."""
    passwords.check_rules(new)  # a new password that cannot be used costs no attempt
    if check_password(ledger, user.name, current, address, limit) is None:
        raise AccountError("当前密码不正确。")
    reset_password(ledger, user.name, new, config)

"""Signed-in browsers: a random token in an HttpOnly cookie, only its SHA-256 in the ledger.

Kept in the ledger (not in a signed cookie) so every console process sees it,
and signing out, a password reset or disabling the account ends it at once.
Each session has its own CSRF token, which every form of its pages carries.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from ..ledger import Ledger, UserRow, WebSessionRow, utcnow
from .users import User


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    """The live session of this cookie token, or None (expired, signed out, account disabled)."""
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

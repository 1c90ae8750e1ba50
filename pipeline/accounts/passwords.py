"""Passwords: argon2id hashes (argon2-cffi), never the password itself.

`verify` is the one place a password is checked; callers reach it only
through signin.py, which holds the attempt limit around it.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import AccountError

MIN_PASSWORD = 8
HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so the time taken does not tell which names exist."""
    return HASHER.hash(secrets.token_hex(16))


def check_rules(password: str) -> None:
    """Refuse a password staff should not use, in Chinese."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符。")
    if password.strip() != password:
        raise AccountError("密码首尾不能有空格。")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: an unknown account, checked against a dummy)."""
    try:
        return HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)

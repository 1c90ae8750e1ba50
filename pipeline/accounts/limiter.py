"""How many passwords may be tried: per account name and per client, in any 15 minutes.

Why a reservation: an argon2 check takes tens of milliseconds, so counting
failures *after* the check let 60 parallel sign-ins for one account all pass
the count before any failure was written (20–25 passwords were checked
against a limit of 5). Here each check is written down *before* it is made,
in a transaction that holds a lock per account and per client while it
counts and writes, so however many requests arrive at once (in one console
process or several sharing the ledger), at most `limit` checks of one
account's password start in any 15 minutes.

The lock: on PostgreSQL a transaction-level advisory lock per key (account,
client); on SQLite the database's write lock, taken by the transaction's
first statement (a purge of expired attempts), which serialises every
reservation. A successful sign-in clears its account's count.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ..ledger import Ledger, LoginAttemptRow, utcnow

WINDOW = timedelta(minutes=15)
# One client address may try this many times the per-account limit (an office behind one NAT
# shares an address; one account is what a guesser aims at).
PER_CLIENT = 4


def _advisory_key(key: str) -> int:
    """A signed 64-bit number for pg_advisory_xact_lock."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _lock(s: Session, name: str, address: str) -> None:
    """Hold, until the transaction ends, the lock that makes count-then-write atomic."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        for key in sorted((f"account:{name}", f"client:{address}")):  # one order: no deadlock
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _advisory_key(key)})
    # Both dialects: drop attempts older than the window. On SQLite this first write takes the
    # database's write lock before anything is counted (later reservations wait for it).
    s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < utcnow() - WINDOW))


def reserve(ledger: Ledger, name: str, address: str, limit: int) -> bool:
    """Count one password check for `name` from `address` before it is made.

    False (and nothing counted) when the account has had `limit` checks in the
    last 15 minutes, or the client `limit` × PER_CLIENT: the caller must then
    not check the password at all.
    """
    name, address = name.strip()[:100], address[:100]
    with ledger.session() as s:
        _lock(s, name, address)
        since = utcnow() - WINDOW
        by_name = s.scalar(
            select(func.count(LoginAttemptRow.id)).where(
                LoginAttemptRow.name == name, LoginAttemptRow.at >= since
            )
        )
        by_client = s.scalar(
            select(func.count(LoginAttemptRow.id)).where(
                LoginAttemptRow.address == address, LoginAttemptRow.at >= since
            )
        )
        if (by_name or 0) >= limit or (by_client or 0) >= limit * PER_CLIENT:
            return False
        s.add(LoginAttemptRow(at=utcnow(), name=name, address=address))
    return True


def forget(ledger: Ledger, name: str) -> None:
    """The right password was given: the account's count starts again."""
    with ledger.session() as s:
        s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.name == name.strip()[:100]))

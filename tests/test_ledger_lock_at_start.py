"""A ledger file locked by another process at start is waited for, never called damaged.

Found in CI: two `once` started together on one SQLite ledger under load; the second
ran out of SQLite's busy timeout while the first migrated, and was told its ledger
"可能已损坏" (exit 4). The lock here is held by this test's own connection.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

import pytest

from pipeline.ledger import migrate
from pipeline.ledger.errors import LedgerBusy, LedgerDamaged
from pipeline.ledger.open import connect


@pytest.fixture
def held_lock(tmp_path, monkeypatch):
    """A fresh ledger file whose write lock another connection holds (mid-transaction)."""
    monkeypatch.setattr(migrate, "SQLITE_BUSY_SECONDS", 0.05)
    path = tmp_path / "ledger.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE being_migrated (a)")
    yield f"sqlite:///{path}", other
    other.close()


def test_a_lock_that_stays_is_said_as_busy_not_damage(held_lock):
    url, _other = held_lock
    with pytest.raises(LedgerBusy) as refused:
        connect(url, lock_wait=0)
    assert not isinstance(refused.value, LedgerDamaged)
    assert "锁住" in str(refused.value) and "损坏" not in str(refused.value)


def test_start_waits_for_the_lock_and_then_opens(held_lock):
    url, other = held_lock
    waiting = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "locked by another process" in record.getMessage():
                waiting.set()

    handler = Seen()
    log = logging.getLogger("pipeline.ledger.open")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    result: dict = {}

    def start() -> None:
        try:
            result["ledger"] = connect(url, lock_wait=600)
        except Exception as exc:  # reported by the assertion below
            result["error"] = exc

    try:
        thread = threading.Thread(target=start)
        thread.start()
        assert waiting.wait(120), "connect never reported waiting for the lock"
        other.execute("ROLLBACK")  # the other process finishes
        thread.join(120)
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    assert "error" not in result, result.get("error")
    ledger = result["ledger"]
    with ledger.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head()
    ledger.engine.dispose()

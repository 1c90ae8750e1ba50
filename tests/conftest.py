"""Fixtures that start real mail servers (dovecot, aiosmtpd) on loopback."""

from __future__ import annotations

import itertools
import secrets

import pytest
from browser import browser  # noqa: F401  (Playwright + Debian chromium, session-wide)
from mailservers import INSTALL_HINT, Dovecot, SmtpServer, dovecot_binary
from pg import INSTALL_HINT as PG_INSTALL_HINT
from pg import PgCluster, pg_bindir

_user_numbers = itertools.count(1)


def _dovecot():
    if not dovecot_binary():
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = Dovecot()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def dovecot_server():
    """One dovecot for the whole session; tests isolate themselves by user."""
    yield from _dovecot()


@pytest.fixture
def private_dovecot():
    """A dovecot of one's own, for tests that stop or restart the server."""
    yield from _dovecot()


@pytest.fixture
def imap_account(dovecot_server) -> tuple[str, str]:
    """A fresh (user, password) on the session dovecot."""
    user = f"u{next(_user_numbers)}-{secrets.token_hex(4)}@example.org"
    password = secrets.token_urlsafe(12)
    dovecot_server.add_user(user, password)
    return user, password


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.up()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def pg_cluster():
    """One throw-away PostgreSQL for the session; tests isolate themselves by database."""
    if pg_bindir() is None:
        pytest.fail(PG_INSTALL_HINT, pytrace=False)
    cluster = PgCluster()
    cluster.start()
    yield cluster
    cluster.stop()

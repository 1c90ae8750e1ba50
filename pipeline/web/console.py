"""What every console request shares: the configuration, the ledger, the page renderer."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ..config import Config
from ..ledger import KeyValueRow, Ledger
from .render import Renderer

FLASH_KEY = "web:flash_key"  # kv: the key one-time messages are signed with (all console processes)


class Console:
    """Per-app state (one per `create_app`), reached from a request by `http.console(request)`."""

    def __init__(self, config: Config, ledger: Ledger | None = None):
        self.config = config
        self.ledger = ledger or Ledger(config.database_url)
        self.render = Renderer(config)
        self.flash_key = _flash_key(self.ledger)

    def now(self) -> datetime:
        """The campaign's now (config `clock` when set), the same the digest and 催报 use."""
        return self.config.now()

    @property
    def login_limit(self) -> int:
        return self.config.web.login_attempts_per_15min

    def send_now(self, keys: list[str]) -> str:
        """Send what an action just queued and say, in one Chinese clause, what happened to
        each mail (the worker retries what fails)."""
        from ..outbox import send_now

        outcomes = send_now(self.ledger, self.config, keys)
        return "；".join(o.describe(self.config.tz) for o in outcomes) or "邮件已写入发件箱。"


def _flash_key(ledger: Ledger) -> bytes:
    """The ledger's key for one-time messages, made by the first console that needs it, so
    a message signed by one console process (`serve`) reads in another (`web`)."""
    value = ledger.get_kv(FLASH_KEY)
    if value is None:
        try:
            with ledger.session() as s:
                s.add(KeyValueRow(key=FLASH_KEY, value=secrets.token_hex(32)))
        except IntegrityError:  # another console made it first: use theirs
            pass
        value = ledger.get_kv(FLASH_KEY)
    return bytes.fromhex(value or "")

"""What every console request shares: the configuration, the ledger, the page renderer."""

from __future__ import annotations

from datetime import datetime

from ..config import Config
from ..ledger import Ledger
from .render import Renderer


class Console:
    """Per-app state (one per `create_app`), reached from a request by `http.console(request)`."""

    def __init__(self, config: Config, ledger: Ledger | None = None):
        self.config = config
        self.ledger = ledger or Ledger(config.database_url)
        self.render = Renderer(config)

    def now(self) -> datetime:
        return datetime.now(self.config.tz)

    @property
    def login_limit(self) -> int:
        return self.config.web.login_attempts_per_15min

    def send_now(self, keys: list[str]) -> str:
        """Send what an action just queued and say, in one Chinese clause, what happened to
        each mail (the worker retries what fails)."""
        from ..outbox import send_now

        outcomes = send_now(self.ledger, self.config, keys)
        return "；".join(o.describe(self.config.tz) for o in outcomes) or "邮件已写入发件箱。"

"""Jinja2 for the console pages (templates/web/), autoescaped: everything that
came from a mail is inert text on every page."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import Config
from ..reports.views import UnitState, fmt_size, fmt_time
from ..templating import TEMPLATE_DIR

STATE_CLASS = {
    UnitState.MISSING.value: "bad",
    UnitState.NEEDS_FIX.value: "warn",
    UnitState.REVIEW.value: "warn",
    UnitState.LATE.value: "bad",
    UnitState.REJECTED.value: "mute",
    UnitState.ACCEPTED.value: "good",
    UnitState.SELECTED.value: "good",
}
STATUS_CLASS = {
    "accepted": "good",
    "needs_fix": "warn",
    "manual_review": "warn",
    "late": "bad",
    "over_quota": "bad",
    "unknown_unit": "bad",
    "rejected": "mute",
    "superseded": "mute",
    "withdrawn": "mute",
    "duplicate": "mute",
    "ignored": "mute",
    "correspondence": "info",
}


def _time(value: datetime | None) -> str:
    return fmt_time(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(round(seconds))
    return f"{whole // 60}分{whole % 60:02d}秒" if whole >= 60 else f"{whole}秒"


class Renderer:
    def __init__(self, config: Config):
        self.config = config
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATE_DIR / "web")),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(time=_time, size=fmt_size, duration=_duration)
        self.env.globals.update(
            campaign=config.campaign,
            level_name=config.this_level.name,
            state_class=STATE_CLASS,
            status_class=STATUS_CLASS,
            has_upstream=config.upstream is not None,
        )

    def page(self, name: str, **context) -> str:
        html = self.env.get_template(name).render(**context)
        return html.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from bad mail

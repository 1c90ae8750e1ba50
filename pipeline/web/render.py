"""Jinja2 for the console pages (templates/web/), autoescaped: everything that
came from a mail is inert text on every page."""

from __future__ import annotations

from datetime import datetime

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket

from ..campaign import FormSpec, Kind, ScoringSpec
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


def scoring_summary(scoring: ScoringSpec) -> str:
    """ "群众性 60 分（3 项各 20 分）、创新性 20 分（2 项各 10 分）…": the rules in one line."""
    parts = []
    for group, items in scoring.groups:
        points = {i.points for i in items}
        each = f"{len(items)} 项各 {points.pop()} 分" if len(points) == 1 else f"{len(items)} 项"
        parts.append(f"{group} {sum(i.points for i in items)} 分（{each}）")
    return "、".join(parts) + "。" if parts else ""


def link_label(form: FormSpec) -> str:
    """The field holding the nominee's address on the web (账号ID/网页链接), or ""."""
    found = form.of_kind(Kind.URL)
    return found[0] if found else ""


class CompiledOnce(BytecodeCache):
    """Each page compiled once per process, whichever console renders it first.

    Every Renderer builds its own Environment (its globals are its installation's),
    so a process that serves several installations (the test suite builds one per
    test) compiled every page again for each. A template is found by name and by
    its source's checksum (jinja2's Bucket), so a page edited on disk is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self._code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


# Shared by every Renderer: they all compile the same way (the options below are fixed).
_COMPILED = CompiledOnce()


class Renderer:
    def __init__(self, config: Config):
        self.config = config
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATE_DIR / "web")),
            bytecode_cache=_COMPILED,
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
            # The campaign's form and scoring rules: pages name fields only through these.
            form=config.form,
            identity=config.form.identity_label,
            noun=config.form.noun,  # 账号 (账号名称), 作品 (作品名称)…
            link_label=link_label(config.form),
            scoring=config.scoring,
            scoring_summary=scoring_summary(config.scoring),
        )

    def page(self, name: str, **context) -> str:
        html = self.env.get_template(name).render(**context)
        return html.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from bad mail

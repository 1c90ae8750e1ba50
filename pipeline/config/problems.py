"""Configuration problems, each with its line in the YAML file and a fix.

Staff fix inbox_rules.yaml by hand; one `check-config` run should show every
mistake at once, each pointing at its line and saying what to write instead,
rather than one mistake per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake: where (key path, line), what is wrong, what to write instead."""

    key: str  # key path such as "this_level.staff[0]"; "" for the file as a whole
    message: str
    fix: str = ""
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based; given for YAML syntax errors

    def render(self) -> str:
        where = ""
        if self.line:
            where = f"第 {self.line} 行" + (f"第 {self.column} 列" if self.column else "") + "  "
        what = f"{self.key}: {self.message}" if self.key else self.message
        return where + what + (f"\n    改法：{self.fix}" if self.fix else "")


class ConfigError(Exception):
    """A configuration problem; the message is Chinese and names the key.

    Raised either with one sentence (`ConfigError("找不到配置文件 …")`) or
    with every problem found in one pass (`problems`), rendered one per line.
    """

    def __init__(self, message: str = "", problems: Sequence[ConfigProblem] = (), path: Path | None = None):
        self.problems = list(problems)
        self.path = path
        if not message:
            name = f"配置文件 {path}" if path else "配置文件"
            body = "\n".join("  " + p.render().replace("\n", "\n  ") for p in self.problems)
            message = f"{name} 有 {len(self.problems)} 处需要修改：\n{body}"
        super().__init__(message)


def parent_key(key: str) -> str:
    """`a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``."""
    cut = max(key.rfind("."), key.rfind("["))
    return key[:cut] if cut > 0 else ""


class Problems:
    """Collects problems during one pass; looks up each key's line."""

    def __init__(self, lines: dict[str, int] | None = None):
        self.lines = lines or {}
        self.items: list[ConfigProblem] = []

    def line_of(self, key: str) -> int | None:
        """The key's own line, else the nearest enclosing key's (a missing key)."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = parent_key(key)
        return None

    def add(self, key: str, message: str, fix: str = "") -> None:
        self.items.append(ConfigProblem(key, message, fix, self.line_of(key)))

    def has(self, key: str) -> bool:
        """Whether a problem was already recorded at or under `key` (to skip its consequences)."""
        return any(p.key == key or p.key.startswith((key + ".", key + "[")) for p in self.items)

    def extend(self, problems: Sequence[ConfigProblem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self, path: Path | None) -> None:
        if self.items:
            ordered = sorted(self.items, key=lambda p: (p.line or 0, p.column or 0))
            raise ConfigError(problems=ordered, path=path)

    def __bool__(self) -> bool:
        return bool(self.items)

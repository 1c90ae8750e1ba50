"""Turn parsed YAML into the typed settings dataclasses, recording every mistake.

A wrong value is recorded (key, Chinese message, fix) and conversion goes on,
so one `check-config` run lists all of them. A field that failed keeps its
default; an object missing a required field becomes None, and the checks
that would need it are skipped rather than reporting a consequence twice.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import types
import typing
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from .problems import Problems

# For classes where "not a mapping" deserves its own explanation (a pasted
# password under `password:`): cls → (key, value) → (message, fix).
NotMappingHint = Callable[[str, object], tuple[str, str]]

# Sample values shown in "缺少必填项" fixes; other keys point at the shipped file.
EXAMPLES = {
    "campaign": "走好网上群众路线“百佳账号”推选",
    "deadline": "2021-08-02 00:00",
    "addresses": "[xuanchuanchu@cast.org.cn]",
}

_MISSING = object()


# For types that read their own section (a campaign's `form:`): (value, key) → the object.
Builder = Callable[[object, str], object]


@functools.cache
def _type_hints(cls: type) -> dict[str, object]:
    """A settings class's field types, evaluated once per process: every command loads the
    configuration (most twice), and evaluating the annotations was half of a load (the
    demo's configuration: 2.3 ms a load, 1.2 with them kept)."""
    return typing.get_type_hints(cls)


class Converter:
    def __init__(
        self,
        problems: Problems,
        zone: ZoneInfo,
        hints: dict[type, NotMappingHint] | None = None,
        builders: dict[type, Builder] | None = None,
    ):
        self.problems = problems
        self.zone = zone
        self.hints = hints or {}
        self.builders = builders or {}

    def build(self, cls: type, data: object, where: str):
        """An instance of `cls`, or None when `data` cannot make one (recorded)."""
        kwargs = self.fields(cls, data, where)
        if kwargs is None:
            return None
        missing = [f.name for f in _public_fields(cls) if f.name not in kwargs and _required(f)]
        return None if missing else cls(**kwargs)

    def fields(self, cls: type, data: object, where: str) -> dict | None:
        """The converted fields present in `data`; problems recorded for the rest."""
        if not isinstance(data, dict):
            self._not_a_mapping(cls, data, where)
            return None
        hints = _type_hints(cls)
        fields = {f.name: f for f in _public_fields(cls)}
        for name in data:
            if name not in fields:
                self._unknown(_join(where, str(name)), str(name), list(fields))
        kwargs = {}
        for name, f in fields.items():
            key = _join(where, name)
            if name not in data:
                if _required(f):
                    self.problems.add(key, "缺少必填项", _add_fix(where, name))
                continue
            value = self.convert(hints[name], data[name], key)
            if value is not _MISSING:
                kwargs[name] = value
        return kwargs

    def convert(self, hint, value, key: str):
        """The converted value, or _MISSING when it is wrong (recorded)."""
        if hint in self.builders:
            return self.builders[hint](value, key)
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            if value is None:
                return None
            (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
            return self.convert(inner, value, key)
        if origin is list:
            if not isinstance(value, list):
                return self._wrong(key, "应是列表", "写成 [第一项, 第二项]，或每项一行、以“- ”开头")
            (item,) = typing.get_args(hint)
            items = [self.convert(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
            return [None if v is _MISSING else v for v in items]
        if dataclasses.is_dataclass(hint):
            built = self.build(hint, value, key)
            return _MISSING if built is None else built
        if hint is datetime:
            return self._datetime(value, key)
        if hint is time:
            if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 08:00 as minutes
                return time(value // 60, value % 60)
            try:
                return time.fromisoformat(str(value))
            except ValueError:
                return self._wrong(key, "时间格式应为 HH:MM", '写成带引号的时间，例如 "08:00"')
        if hint is bool:
            if isinstance(value, bool):
                return value
            return self._wrong(key, "应是 true 或 false", "写 true（是）或 false（否）")
        if hint is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            return self._wrong(key, "应是整数", "写阿拉伯数字，例如 10（不写单位、不用中文数字）")
        if hint is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            return self._wrong(key, "应是数字", "写阿拉伯数字，例如 5 或 2.5（不写单位）")
        if hint is str:
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return str(value)
            return self._wrong(key, "应是文本", "直接写文字；含冒号、# 等符号时用引号括起来")
        return self._wrong(key, "无法识别的类型", "")

    def _datetime(self, value, key: str):
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace(" ", "T"))
            except ValueError:
                return self._wrong(key, "日期时间格式应为 YYYY-MM-DD HH:MM", "例如 2021-08-02 17:00")
        if not isinstance(value, datetime):
            return self._wrong(key, "应是日期时间", "例如 2021-08-02 17:00")
        return value if value.tzinfo else value.replace(tzinfo=self.zone)

    def _wrong(self, key: str, message: str, fix: str):
        self.problems.add(key, message, fix)
        return _MISSING

    def _not_a_mapping(self, cls: type, value: object, where: str) -> None:
        if cls in self.hints:
            message, fix = self.hints[cls](where, value)
        else:
            message = f"应是若干“名称: 值”（键值对），实际是{_describe(value)}"
            fix = f"在 {where or '文件顶层'} 下面另起一行，缩进两个空格，逐项写“名称: 值”"
            if isinstance(value, str) and "：" in value:
                fix = "把全角冒号“：”改成半角冒号“:”加一个空格；" + fix
        self.problems.add(where, message, fix)

    def _unknown(self, key: str, name: str, allowed: list[str]) -> None:
        typed = name.strip(" \u3000：:－-").lower()
        close = [a for a in allowed if typed and typed in a]  # a shortened name: quota → quota_per_unit
        if len(close) != 1:
            close = difflib.get_close_matches(typed, allowed, n=1, cutoff=0.6)
        if any(c in name for c in "：\u3000－"):
            fix = "这一项里有全角符号（全角冒号“：”、全角空格或“－”）：改成半角，冒号后加一个空格"
        elif close:
            fix = f"是不是 {close[0]}？"
        else:
            fix = f"检查拼写和缩进；这里可用的项：{'、'.join(allowed)}"
        self.problems.add(key, "未知的配置项", fix)


def _add_fix(where: str, name: str) -> str:
    place = where or "文件顶层"
    if name in EXAMPLES:
        return f"在 {place} 下添加一行 “{name}: {EXAMPLES[name]}”"
    return f"在 {place} 下添加 {name}（写法见随程序提供的 inbox_rules.yaml）"


def _describe(value: object) -> str:
    if value is None:
        return "空的（冒号后什么也没写）"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, str):
        return "一段文字"
    return f"“{value}”"


def _public_fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name

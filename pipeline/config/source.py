"""Read inbox_rules.yaml keeping each key's line, and explain YAML mistakes in Chinese.

PyYAML reports a tab or a full-width colon as English parser text that points
at the line *after* the mistake; staff need the line to edit and what to type
instead. The document is composed once (yaml nodes carry `start_mark`) and
constructed from the same nodes, so data and line numbers always agree.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import yaml

from .problems import ConfigError, ConfigProblem

log = logging.getLogger(__name__)


@dataclass
class YamlDocument:
    data: object
    lines: dict[str, int] = field(default_factory=dict)  # key path → 1-based line
    problems: list[ConfigProblem] = field(default_factory=list)  # duplicate keys


# libyaml's loader where PyYAML was built with it (~10x faster: every command reads the
# configuration); a document it refuses is parsed again by the pure-Python loader, whose
# error texts _EXPLAIN knows.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> YamlDocument:
    """Parse `text`; a syntax error raises ConfigError explaining every likely cause."""
    try:
        node, data = _compose(_FAST_LOADER, text)
    except yaml.YAMLError:
        try:
            node, data = _compose(yaml.SafeLoader, text)
        except yaml.YAMLError as exc:
            log.debug("YAML error: %s", exc)
            raise ConfigError(problems=syntax_problems(text, exc)) from None
    doc = YamlDocument(data)
    if node is not None:
        _walk(node, "", doc, set())
    return doc


def _compose(loader_class: type, text: str) -> tuple[yaml.Node | None, object]:
    """The document's node tree (with line marks) and the data built from it."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: str, doc: YamlDocument, seen: set[int]) -> None:
    if id(node) in seen:  # an alias (`*name`) repeats a node: its lines are already known
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = f"{path}.{key_node.value}" if path else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key_node.value in first_line:
                doc.problems.append(
                    ConfigProblem(
                        key,
                        f"与第 {first_line[key_node.value]} 行重复（后写的会覆盖前面的）",
                        "同一项只保留一处：删除或合并其中一处",
                        line,
                    )
                )
            else:
                first_line[key_node.value] = line
            doc.lines[key] = line  # the later one wins, as in the data
            _walk(value_node, key, doc, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = f"{path}[{i}]"
            doc.lines[key] = item.start_mark.line + 1
            _walk(item, key, doc, seen)


# ------------------------------------------------------------ syntax errors

TAB_FIX = "YAML 只能用空格缩进：把 Tab 换成空格（与同一层的其他行对齐，通常每层 2 个空格）"
FULLWIDTH_COLON_FIX = "把全角冒号“：”改成半角冒号“:”，冒号后加一个空格，例如 “name: 中国针灸学会”"
NO_SPACE_FIX = "冒号后面要有一个空格，例如 “name: 中国针灸学会”，不是 “name:中国针灸学会”"

# A key (keys are ASCII here) followed by a full-width colon: `  name： 学会`,
# `- name：学会`, `{env：X}`; a value such as `contact: 电话：010` is fine.
_FULLWIDTH_KEY = re.compile(r"(?:^\s*(?:-\s+)?|[{,]\s*)[A-Za-z_][A-Za-z0-9_-]*\s*：")
# A plain key glued to its value: `name:学会` (not `08:00`, not `sqlite:///…`).
_GLUED_KEY = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w-]*:(?=[^\s/:])")


def _code(line: str) -> str:
    """The line without a trailing `# comment` (good enough for hints)."""
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0]


def likely_mistakes(text: str) -> list[ConfigProblem]:
    """Tabs, full-width colons and glued `key:value` lines, each with its line and column."""
    found = []
    for no, raw in enumerate(text.splitlines(), 1):
        code = _code(raw)
        if "\t" in code:
            found.append(ConfigProblem("", "这一行有制表符（Tab）", TAB_FIX, no, code.index("\t") + 1))
        if _FULLWIDTH_KEY.search(code):
            found.append(ConfigProblem("", "用了全角冒号“：”", FULLWIDTH_COLON_FIX, no, code.index("：") + 1))
        elif _GLUED_KEY.match(code):
            found.append(ConfigProblem("", "冒号后面缺少空格", NO_SPACE_FIX, no, code.index(":") + 2))
    return found


# problem text of PyYAML → (what is wrong, how to fix); first match wins
_EXPLAIN: list[tuple[str, str, str]] = [
    ("'\\t'", "这一行有制表符（Tab）", TAB_FIX),
    (
        "mapping values are not allowed",
        "这里不能出现冒号",
        '值里含有“: ”时把整个值用引号括起来（如 contact: "电话: 010-64089967"）；'
        "或检查这一行与上一行的缩进是否对齐",
    ),
    ("could not find expected ':'", "缺少冒号", "每一项写成“名称: 值”：半角冒号，冒号后加一个空格"),
    ("expected <block end>", "缩进不一致", "同一层的项目左边要对齐（只用空格），检查这一行和上面几行的缩进"),
    (
        "expected <block mapping start>",
        "缩进不一致",
        "同一层的项目左边要对齐（只用空格），检查这一行和上面几行的缩进",
    ),
    (
        "quoted scalar",
        "引号没有配对",
        "引号要成对出现，并且用半角引号 \" 或 '；检查这一行开始的引号在哪里结束",
    ),
    (
        "flow sequence",
        "方括号里的列表格式不对",
        "列表写成 [a@example.cn, b@example.cn]：半角方括号、半角逗号，结尾的 ] 不能漏",
    ),
    (
        "flow mapping",
        "花括号里的格式不对",
        "写成 {env: INTAKE_IMAP_PASSWORD}：半角花括号，冒号后加一个空格，结尾的 } 不能漏",
    ),
]


def syntax_problems(text: str, exc: yaml.YAMLError) -> list[ConfigProblem]:
    """Explain a YAML error: the likely mistakes found in the text, else the parser's own position."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = f"{getattr(exc, 'problem', '') or ''} {getattr(exc, 'context', '') or ''}"
    found = likely_mistakes(text)
    if found:
        # The parser stops at the line after a full-width colon or a glued key;
        # when it stopped next to a mistake we found, that mistake explains it.
        near = {p.line for p in found}
        stop = _previous_content_line(text, mark.line + 1) if mark else None
        lines = {mark.line + 1 if mark else None, stop, context_mark.line + 1 if context_mark else None}
        if near & lines or "'\\t'" in problem:
            return found
    message, fix = "YAML 格式错误", "对照 inbox_rules.yaml 原来的写法检查这一行：冒号、缩进、引号、括号"
    for needle, what, how in _EXPLAIN:
        if needle in problem:
            message, fix = what, how
            break
    if context_mark is not None:
        if "could not find expected ':'" in problem or "quoted scalar" in problem:
            mark = context_mark  # the key without a colon / the unclosed quote, not where parsing stopped
        elif "flow" in problem:
            message += f"（从第 {context_mark.line + 1} 行第 {context_mark.column + 1} 列的括号开始）"
    where = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return [*found, ConfigProblem("", message, fix, *where)]


def _previous_content_line(text: str, line: int) -> int | None:
    """The nearest line before `line` that is neither blank nor only a comment."""
    lines = text.splitlines()
    for no in range(min(line - 1, len(lines)), 0, -1):
        if _code(lines[no - 1]).strip():
            return no
    return None

"""argparse in Chinese: usage, section headings, -h, and its error messages.

argparse builds every message with gettext (`argparse._` and
`argparse.ngettext`). While one of our parsers is constructed, parses or
formats help, those two names are swapped for a lookup in MESSAGES (msgid →
Chinese with the same %-placeholders) and put back afterwards, so nothing
else in the process is affected. The msgids are the same on Python 3.11–3.13;
one that a later Python changes falls back to English instead of failing.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

MESSAGES = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "optional arguments": "选项",  # Python < 3.10
    "subcommands": "命令",
    "show this help message and exit": "显示帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(heading)s:": "%(heading)s：",
    " (default: %(default)s)": "（默认：%(default)s）",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s：警告：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
    "expected one argument": "后面需要一个值",
    "expected at most one argument": "后面最多一个值",
    "expected at least one argument": "后面至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "需要以下参数之一：%s",
    "ignored explicit argument %r": "多余的值 %r",
    "unexpected option string: %s": "多余的选项：%s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "argument '%(argument_name)s' is deprecated": "参数“%(argument_name)s”已不再使用",
    "option '%(option)s' is deprecated": "选项“%(option)s”已不再使用",
    "command '%(parser_name)s' is deprecated": "命令“%(parser_name)s”已不再使用",
}
PLURAL_MESSAGES = {("expected %s argument", "expected %s arguments"): "后面需要 %s 个值"}


def _gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return PLURAL_MESSAGES.get((singular, plural), singular if n == 1 else plural)


@contextmanager
def chinese_messages() -> Iterator[None]:
    """argparse's gettext answers in Chinese inside the block (re-entrant)."""
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _gettext, _ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """Wrap by terminal columns; break between CJK characters or at spaces."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if display_width(line + char) > width and line.strip():
                cut = line.rfind(" ")
                if cut > 0 and line[cut + 1 :].isascii() and not char.isspace():
                    lines.append(line[:cut].rstrip())
                    line = line[cut + 1 :]
                else:
                    lines.append(line.rstrip())
                    line = ""
                if char.isspace():
                    continue
            line += char
        lines.append(line.rstrip())
    return lines


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps descriptions and epilogs as written (tables, examples); wraps and
    aligns argument help by display width, as argparse counts characters."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(" ".join(text.split()), width)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:  # make room for the widest invocation in columns
            columns = display_width(self._format_action_invocation(action)) + self._current_indent
            self._action_max_length = max(self._action_max_length, columns)

    def _format_action(self, action: argparse.Action) -> str:
        text = super()._format_action(action)
        invocation = self._format_action_invocation(action)
        extra = display_width(invocation) - len(invocation)
        first, newline, rest = text.partition("\n")
        head = " " * self._current_indent + invocation
        padding = first[len(head) :]
        if extra > 0 and first.startswith(head) and padding.startswith(" " * (extra + 2)):
            first = head + padding[extra:]  # "--config 配置文件" is 4 columns wider than its length
        return first + newline + rest

    def format_help(self) -> str:
        # Python < 3.13 writes section headings with an ASCII colon ("选项:").
        return _HEADING.sub(lambda m: m[1] + "：", super().format_help())


_HEADING = re.compile(r"^([^\s\x00-\x7f][^\n]*?):$", re.M)


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own text and error messages are Chinese."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        with chinese_messages():
            super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        with chinese_messages():
            return super().add_subparsers(**kwargs)

    def parse_args(self, *args, **kwargs):
        with chinese_messages():
            return super().parse_args(*args, **kwargs)

    def parse_known_args(self, *args, **kwargs):
        with chinese_messages():
            return super().parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        with chinese_messages():
            return super().format_usage()

    def format_help(self) -> str:
        with chinese_messages():
            return super().format_help()

    def _print_message(self, message: str, file=None) -> None:
        # Help written to a pipe whose reader has gone (`run.py -h | head -3`): the argparse
        # of Python 3.11.7 ignores the failed write, that of Debian 12's 3.11.2 raised
        # BrokenPipeError (a traceback, exit status 1). Ignore it on every version; main
        # then sends what is still buffered to /dev/null, as for any closed stdout.
        try:
            super()._print_message(message, file)
        except (AttributeError, OSError):
            pass

    def error(self, message: str) -> NoReturn:
        """Usage, the error in Chinese, and where to read more; exit status 2."""
        with chinese_messages():
            self.print_usage(sys.stderr)
            self.exit(2, f"{self.prog}：错误：{message}\n查看说明：python {self.prog} -h\n")

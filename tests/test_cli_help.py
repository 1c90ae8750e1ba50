"""`run.py` help and argument errors are Chinese; `decide` accepts Chinese action names."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from inprocess import run_main

from pipeline.cli.parser import COMMANDS, DECIDE_ACTIONS, build_parser

ROOT = Path(__file__).resolve().parent.parent

# argparse's own English, as the issue quotes it
ENGLISH = [
    "usage:",
    "options:",
    "positional arguments",
    "show this help message and exit",
    "invalid choice",
    "choose from",
    "the following arguments are required",
    "unrecognized arguments",
    "expected one argument",
    "error:",
]


def run_py(*args: str) -> subprocess.CompletedProcess:
    """`python run.py ARGS` in the project folder (in this process: tests/inprocess.py)."""
    return run_main(list(args), cwd=ROOT, env={**os.environ, "COLUMNS": "100"})


def assert_no_english(text: str) -> None:
    for phrase in ENGLISH:
        assert phrase not in text, phrase


def test_main_help_is_chinese():
    proc = run_py("-h")
    assert proc.returncode == 0
    assert proc.stdout.startswith("用法：run.py [-h] [--config 配置文件] [-v] 命令 ...")
    assert "选项：" in proc.stdout and "命令：" in proc.stdout
    assert "  -h, --help         显示帮助并退出" in proc.stdout
    for name, (help_text, _) in COMMANDS.items():
        assert f"    {name}" in proc.stdout and help_text in proc.stdout
    assert_no_english(proc.stdout)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_a_description_with_an_example(command):
    proc = run_py(command, "-h")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"用法：run.py {command} [-h]")
    description = COMMANDS[command][1]
    assert description.splitlines()[0] in proc.stdout
    assert "例如：" in proc.stdout and f"python run.py {command}" in proc.stdout
    assert_no_english(proc.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stauts"], "run.py：错误：参数 命令：无效的选择：'stauts'（可选：'check-config', "),
        ([], "run.py：错误：缺少参数：命令"),
        (["decide"], "run.py decide：错误：缺少参数：动作, 受理编号"),
        (
            ["decide", "同意", "TJ-1"],
            "run.py decide：错误：参数 动作：“同意”不是可用的动作（可选：受理、退回补正、",
        ),
        (
            ["export", "--format", "pdf"],
            "run.py export：错误：参数 --format：无效的选择：'pdf'（可选：'json', 'xlsx'）",
        ),
        (["remind", "--days", "三"], "run.py remind：错误：参数 --days：天数应是 0 或正整数"),
        (["status", "--bogus"], "run.py：错误：无法识别的参数：--bogus"),
        (["status", "--config"], "run.py status：错误：参数 --config：后面需要一个值"),
    ],
)
def test_argument_errors_are_chinese(args, message):
    proc = run_py(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("用法：run.py")
    assert message in proc.stderr
    assert proc.stderr.rstrip().endswith("-h")  # where to read more
    assert_no_english(proc.stderr)


def test_decide_help_explains_every_action_in_both_languages():
    proc = run_py("decide", "-h")
    lines = proc.stdout.splitlines()
    for name, words, what in DECIDE_ACTIONS:
        pattern = rf"  {re.escape('、'.join(words))} +{re.escape(name)} +{re.escape(what)}"
        assert [line for line in lines if re.fullmatch(pattern, line)], (name, proc.stdout)


@pytest.mark.parametrize(("alias", "action"), [(w, n) for n, words, _ in DECIDE_ACTIONS for w in (n, *words)])
def test_every_decide_alias_parses_to_its_canonical_action(alias, action):
    args = build_parser().parse_args(["decide", alias, "TJ-20210801-0007"])
    assert args.action == action and args.case == "TJ-20210801-0007"


def test_the_alias_table_is_unambiguous():
    words = [w for name, aliases, _ in DECIDE_ACTIONS for w in (name, *aliases)]
    assert len(words) == len(set(words))

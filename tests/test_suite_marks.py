"""The `slow` list in conftest.py names only what exists: a renamed test or file
left in it would silently move a slow test into `make test-fast`, and one
dropped from it would not be noticed at all."""

from __future__ import annotations

import ast
from pathlib import Path

import conftest

TESTS = Path(__file__).resolve().parent


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _fixtures() -> set[str]:
    names = set()
    for path in TESTS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                "fixture" in ast.unparse(d) for d in node.decorator_list
            ):
                names.add(node.name)
    return names


def test_every_slow_file_exists():
    assert [name for name in conftest.SLOW_FILES if not (TESTS / name).is_file()] == []


def test_every_slow_test_exists_in_its_file():
    missing = [
        f"{name}::{test}"
        for name, tests in conftest.SLOW_TESTS.items()
        for test in tests
        if not (TESTS / name).is_file() or test not in _functions(TESTS / name)
    ]
    assert missing == []


def test_every_slow_fixture_is_defined():
    assert sorted(set(conftest.SLOW_FIXTURES) - _fixtures()) == []


def test_single_slow_tests_are_not_in_slow_files():
    assert sorted(set(conftest.SLOW_TESTS) & set(conftest.SLOW_FILES)) == []


def test_every_file_in_the_running_order_exists():
    assert [name for name in conftest.COSTLIEST_FIRST if not (TESTS / name).is_file()] == []

"""The console's pages are compiled once per process, not once per console built in it
(the test suite builds one per installation), and a page edited on disk is compiled again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from pipeline.config import load_config
from pipeline.web import render
from pipeline.web.render import CompiledOnce, Renderer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from source, in order."""
    seen: list[str] = []
    real = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        seen.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", counting)
    return seen


def test_a_second_console_in_the_process_compiles_no_page(compiles, monkeypatch):
    monkeypatch.setattr(render, "_COMPILED", CompiledOnce())  # none compiled by earlier tests
    config = load_config(ROOT / "inbox_rules.yaml")
    first, second = Renderer(config), Renderer(config)
    context = {"user": None, "csrf": "", "path": "/login", "next": "/", "error": ""}
    html = first.page("login.html", login_csrf="t1", **context)
    assert "t1" in html and "login.html" in compiles and "base.html" in compiles
    done = len(compiles)
    again = second.page("login.html", login_csrf="t2", **context)
    assert len(compiles) == done  # loaded from what the first console compiled
    assert "t2" in again and again.replace("t2", "t1") == html  # the second console's own context


def test_an_edited_page_is_compiled_again(tmp_path, compiles):
    shared = CompiledOnce()
    page = tmp_path / "page.html"
    page.write_text("版本一 {{ n }}", encoding="utf-8")

    def env() -> Environment:
        return Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=shared)

    first = env()
    assert first.get_template("page.html").render(n=1) == "版本一 1"
    assert env().get_template("page.html").render(n=2) == "版本一 2"
    assert compiles == ["page.html"]

    page.write_text("版本二 {{ n }}", encoding="utf-8")
    stat = page.stat()
    os.utime(page, (stat.st_atime, stat.st_mtime + 5))  # as an editor's save a moment later
    assert first.get_template("page.html").render(n=3) == "版本二 3"  # the loader sees the change
    assert env().get_template("page.html").render(n=4) == "版本二 4"  # and a new console its new code
    assert compiles == ["page.html", "page.html"]

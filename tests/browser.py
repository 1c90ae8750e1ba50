"""Playwright (Python) driving Debian's Chromium: screenshots are artifacts to look at.

Playwright's own browser download cannot work here, so the system binary is
used: Debian's chromium-headless-shell, the same Chromium built for headless use,
which is what Playwright itself runs headless (`make test` installs it beside
chromium). A page cost 0.6 CPU-seconds in it and 1.5 in the full chromium, whose
headless mode is the whole browser without a window. INTAKE_TEST_CHROMIUM names
another binary (e.g. /usr/bin/chromium). Screenshots go to
test-artifacts/screenshots/ at the repository root.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = (
    os.environ.get("INTAKE_TEST_CHROMIUM")
    or shutil.which("chromium-headless-shell")
    or "/usr/bin/chromium-headless-shell"
)
# Chromium would otherwise try Google's services at every start (no network here).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DESKTOP = 1280
PHONE = 375


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"找不到 {CHROMIUM}：请运行 make test（会安装 Debian 的 chromium-headless-shell 软件包）",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def new_page(browser, width: int, height: int = 900):
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN"
    )
    return context.new_page()


# Screenshots are JPEG: as legible to the eye, and Chromium encodes a tall page's JPEG in
# 0.2-0.35 CPU-s where its PNG took 0.3-0.6 (measured 2026-12-07 on a 120-paragraph page).
SHOT_QUALITY = 85


def shoot(page, name: str) -> Path:
    """A full-page screenshot once every picture has loaded. Lazy pictures are loaded
    first: a full-page capture would otherwise measure the page before they load and
    cut off its bottom by their height."""
    page.evaluate(
        "() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })"
    )
    # Page images of Office originals are made when asked for: wait for them, not a fixed time.
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=180_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.jpg"
    page.screenshot(path=str(path), full_page=True, quality=SHOT_QUALITY)
    return path


def sideways_overflow(page) -> int:
    """Pixels the page is wider than the viewport (0 = no sideways scrolling)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
    )

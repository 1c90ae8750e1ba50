"""Scans that are scenery in a test, read once per test run.

conftest.py makes one folder per run, shared by its workers. Inside `shared_readings()`
a scan's finished OCR reading is kept there by content (documents/read_cache.py), so the
next test reading the same file with the same limits and form gets the same Document
without recognising it again. Tests about reading itself (its budget, memory, sandbox,
kills) never use it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from pipeline.documents import read_cache

FOLDER = "INTAKE_TEST_SHARED_READINGS"  # set by conftest.pytest_configure


@contextlib.contextmanager
def shared_readings() -> Iterator[None]:
    folder = os.environ.get(FOLDER)
    if not folder:
        yield
        return
    os.environ[read_cache.ENV] = folder
    try:
        yield
    finally:
        os.environ.pop(read_cache.ENV, None)

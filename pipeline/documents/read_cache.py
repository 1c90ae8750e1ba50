"""OCR results kept by content, only where asked for (INTAKE_READ_CACHE=<folder>).

Recognising a scan costs seconds; the same file read again with the same code,
form and limits gives the same Document. The test suite sets this for installations
where a scan is only part of the scenery (the console's test installations all hold
the same stamped scan), so each worker does not recognise it again. Nothing sets it
in production: a unit's file is read once at intake and its reading kept in the ledger.

The key covers everything the reading depends on: the file's bytes and name, the
limits, the campaign's form, and the source of this package (a changed reader is a
new key). Only readings that finished are kept, never a machine running short.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from ..campaign import FormSpec, builtin
from ..config import Limits
from ..model import Document

ENV = "INTAKE_READ_CACHE"


def _folder() -> Path | None:
    value = os.environ.get(ENV, "")
    return Path(value) if value else None


@functools.cache
def _source_fingerprint() -> str:
    """The readers' own code: a cached reading of older code is not this code's."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key(data: bytes, name: str, limits: Limits, form: FormSpec | None) -> str:
    """No form is the built-in one (as read_document takes it)."""
    digest = hashlib.sha256()
    for part in (_source_fingerprint(), name, repr(limits), repr(form or builtin().form)):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def load(data: bytes, name: str, limits: Limits, form: FormSpec | None) -> Document | None:
    """The kept reading of this file, or None (no cache asked for, or not read yet)."""
    folder = _folder()
    if folder is None:
        return None
    path = folder / f"{key(data, name, limits, form)}.pickle"
    try:
        doc = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return doc if isinstance(doc, Document) else None


def store(data: bytes, name: str, limits: Limits, form: FormSpec | None, doc: Document) -> None:
    """Keep a finished reading (atomically: workers sharing the folder read whole files)."""
    folder = _folder()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(doc, fh)
    os.replace(tmp, folder / f"{key(data, name, limits, form)}.pickle")

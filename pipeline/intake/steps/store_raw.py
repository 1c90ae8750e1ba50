"""存原件: keep every raw message before anything reads it (nothing may be lost)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ...config import Config
from ..state import MailState
from ..step import Step


def owner_only(path: str, flags: int) -> int:
    """open() opener: the stores hold phone numbers and addresses (mode 0600)."""
    return os.open(path, flags, 0o600)


def keep_raw(config: Config, raw: bytes) -> tuple[str, Path]:
    """The raw message, content-addressed, readable by the service user only."""
    digest = hashlib.sha256(raw).hexdigest()
    folder = config.path(config.storage.raw_dir) / digest[:2]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{digest}.eml"
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            with open(tmp, "wb", opener=owner_only) as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)  # disk full: leave no half-written copy
            raise
    return digest, path


def run(state: MailState) -> None:
    """A fetched mail is written to the raw store (before it is claimed: the claim
    names the copy); a resumed claim loads the copy kept when it was fetched."""
    if state.raw is None:
        state.raw = Path(state.raw_path).read_bytes()
        return
    state.raw_sha256, path = keep_raw(state.config, state.raw)
    state.raw_path = str(path)


STEP = Step("store_raw", "保存原始邮件", "keep the raw message in the raw store (or load the kept copy)", run)

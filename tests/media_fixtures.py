"""Tiny real videos made with ffmpeg (Debian ffmpeg), for classification and materials tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_video(path: Path, seconds: float = 2) -> bytes:
    """A test-pattern video of `seconds`; the container follows the file extension."""
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi",
            "-i", f"testsrc=duration={seconds}:size=64x48:rate=5",
            "-pix_fmt", "yuv420p", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path.read_bytes()

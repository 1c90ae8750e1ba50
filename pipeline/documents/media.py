"""Facts about videos and pictures the materials check needs.

Video duration comes from ffprobe (Debian ffmpeg) on a temporary file,
because an MP4 whose moov atom sits at the end cannot be probed from a
pipe; mutagen is the fallback for MP4 when ffprobe is missing or fails.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from .sniff import IMAGE, VIDEO, sniff

PROBE_TIMEOUT = 30


@dataclass(frozen=True)
class VideoInfo:
    container: str  # sniffed subtype: mp4, mov, avi, mkv, ...
    duration_seconds: float | None
    width: int | None = None
    height: int | None = None
    has_video_stream: bool = True


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def video_info(data: bytes, timeout: float = PROBE_TIMEOUT) -> VideoInfo | None:
    """Container and duration of a video, or None when `data` is not one."""
    sniffed = sniff(data)
    if sniffed.kind != VIDEO:
        return None
    probed = _ffprobe(data, timeout)
    if probed is not None:
        return VideoInfo(sniffed.subtype, *probed)
    return VideoInfo(sniffed.subtype, _mutagen_duration(data))


def _ffprobe(data: bytes, timeout: float) -> tuple[float | None, int | None, int | None, bool] | None:
    exe = shutil.which("ffprobe")
    if not exe:
        return None
    with tempfile.NamedTemporaryFile(suffix=".bin") as tmp:
        tmp.write(data)
        tmp.flush()
        try:
            done = subprocess.run(
                [
                    exe,
                    "-v",
                    "error",
                    "-show_entries",
                    "format=duration:stream=codec_type,width,height,duration",
                    "-of",
                    "json",
                    tmp.name,
                ],
                capture_output=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    if done.returncode != 0:
        return None
    try:
        info = json.loads(done.stdout)
    except ValueError:
        return None
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    duration = _float((info.get("format") or {}).get("duration"))
    if duration is None and video is not None:
        duration = _float(video.get("duration"))
    width = video.get("width") if video else None
    height = video.get("height") if video else None
    return duration, width, height, video is not None


def _mutagen_duration(data: bytes) -> float | None:
    try:
        from mutagen.mp4 import MP4

        info = MP4(io.BytesIO(data)).info
        return float(info.length) if info is not None else None
    except Exception:
        return None


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def image_info(data: bytes) -> ImageInfo | None:
    """Format and size of a picture, or None when Pillow cannot open it."""
    if sniff(data).kind != IMAGE:
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return ImageInfo((img.format or "").lower(), img.width, img.height)
    except Exception:
        return None

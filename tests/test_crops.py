"""The console's crops of a scanned original (web/crops.py): a case page asks for up to 15
crops of one file at once, so the decoded page is kept for the next crop of the same
file and no other; each crop is a JPEG of the frame's size with the value's box drawn in."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from pipeline.model import PageBox
from pipeline.web import crops

WIDTH, HEIGHT = 1654, 2339  # A4 at 200 dpi


def _scan(path: Path, shade: int) -> Path:
    """A grey page with a dark bar where each value would be (a JPEG as a scanner writes it)."""
    page = Image.new("RGB", (WIDTH, HEIGHT), (shade, shade, shade))
    draw = ImageDraw.Draw(page)
    for i in range(15):
        draw.rectangle((300, 400 + i * 100, 900, 440 + i * 100), fill=(20, 20, 20))
    page.save(path, "JPEG", quality=90)
    return path


def _box(i: int) -> PageBox:
    return PageBox(page=1, x=300, y=400 + i * 100, w=600, h=40, page_width=WIDTH, page_height=HEIGHT)


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """The file names crops._page decoded, in order; the kept pages start empty."""
    monkeypatch.setattr(crops, "_kept", type(crops._kept)())
    seen: list[str] = []
    real = crops._page

    def counting(data: bytes, name: str, box: PageBox):
        seen.append(name)
        return real(data, name, box)

    monkeypatch.setattr(crops, "_page", counting)
    return seen


def test_the_crops_of_one_page_decode_it_once(tmp_path, decodes):
    scan = _scan(tmp_path / "a.jpg", 230)
    for i in range(15):
        page = crops._decoded("sha-a", scan, "扫描件.jpg", _box(i))
        picture = Image.open(io.BytesIO(crops.crop_jpeg(page, _box(i))))
        frame = crops.crop_frame(_box(i))
        assert picture.format == "JPEG" and picture.size == frame.size
        # The box is drawn in: its top edge, in the frame's scale, is the outline's orange.
        edge_y = round((_box(i).y - frame.area[1]) * frame.scale)
        r, g, b = picture.convert("RGB").getpixel((picture.width // 2, edge_y))
        assert r > 150 and g < 120 and b < 80, (r, g, b)
    assert decodes == ["扫描件.jpg"]


def test_another_file_is_never_given_a_kept_page(tmp_path, decodes):
    light = _scan(tmp_path / "light.jpg", 240)
    dark = _scan(tmp_path / "dark.jpg", 120)
    first = crops._decoded("sha-light", light, "扫描件.jpg", _box(0))
    second = crops._decoded("sha-dark", dark, "扫描件.jpg", _box(0))
    assert first.getpixel((50, 50))[0] > 200 and second.getpixel((50, 50))[0] < 150
    assert len(decodes) == 2


def test_only_the_last_pages_up_to_a_size_are_kept(tmp_path, decodes, monkeypatch):
    scans = [_scan(tmp_path / f"{i}.jpg", 200 + i) for i in range(3)]
    for i, scan in enumerate(scans):
        crops._decoded(f"sha-{i}", scan, f"{i}.jpg", _box(0))
    crops._decoded("sha-0", scans[0], "0.jpg", _box(0))  # the oldest was let go
    crops._decoded("sha-2", scans[2], "2.jpg", _box(0))  # the newest is kept
    assert decodes == ["0.jpg", "1.jpg", "2.jpg", "0.jpg"]

    monkeypatch.setattr(crops, "KEEP_PIXELS", WIDTH * HEIGHT - 1)  # a page too big to keep
    big = _scan(tmp_path / "big.jpg", 210)
    crops._decoded("sha-big", big, "big.jpg", _box(0))
    crops._decoded("sha-big", big, "big.jpg", _box(1))
    assert decodes[-2:] == ["big.jpg", "big.jpg"]


class _ReportingLock:
    """A lock that reports (sets `waited`) when a caller has to wait for it."""

    def __init__(self, waited: threading.Event) -> None:
        self._lock = threading.Lock()
        self.waited = waited

    def __enter__(self):
        if not self._lock.acquire(blocking=False):
            self.waited.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def test_crops_asked_for_at_once_decode_the_page_once(tmp_path, monkeypatch):
    """The browser asks for the crops in view together: while the first request decodes
    the page, the second waits for it instead of decoding the page again."""
    scan = _scan(tmp_path / "a.jpg", 230)
    monkeypatch.setattr(crops, "_kept", type(crops._kept)())
    second_reported = threading.Event()  # waiting for the lock, or decoding itself
    monkeypatch.setattr(crops, "_kept_lock", _ReportingLock(second_reported))
    seen: list[str] = []
    real = crops._page
    results = {}

    def second() -> None:
        results["second"] = crops._decoded("sha-a", scan, "扫描件.jpg", _box(1))

    def decoding(data: bytes, name: str, box: PageBox):
        seen.append(threading.current_thread().name)
        if len(seen) == 1:  # the first request: the second arrives while it decodes
            worker.start()
            second_reported.wait()
        else:
            second_reported.set()
        return real(data, name, box)

    worker = threading.Thread(target=second, name="second")
    monkeypatch.setattr(crops, "_page", decoding)
    first = crops._decoded("sha-a", scan, "扫描件.jpg", _box(0))
    worker.join()
    assert seen == [threading.current_thread().name]
    assert results["second"] is first

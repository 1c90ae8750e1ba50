"""The piece of a scanned original around one value (issue 19): what staff compare a
value read by OCR with, shown beside it on the case page.

The box comes from the attachment's facts in the ledger (recorded at intake by
documents/ocr_confidence.py, in pixels of the page as decoded), never from the
request; the file is the stored original, found through its ledger row
(web/previews.stored_file). The page is decoded the way OCR decoded it (a photo
turned upright by its EXIF orientation, a PDF page rendered to the box's page
size), the box widened by a margin and drawn in, and the piece scaled to fit
MAX_SIZE. Crops are cached beside the page previews, owner-only.

A case page asks for up to 15 crops of one file at once, so the last decoded pages are
kept (`_decoded`): a scanned PDF's page was rendered 15 times, 0.7 of the 2 CPU-seconds
the 15 took. Crops are JPEG like the page previews: an optimised PNG took ~80 ms of
CPU each (1.2 s for 15 crops of a 200-dpi scan) where the JPEG takes under 1 ms, and
weighs a quarter as much on a phone (25 KB against 107 KB for a
value of a 200-dpi scan; measured 2026-12-08).
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..documents.sniff import sniff
from ..model import PageBox

MAX_SIZE = (900, 360)  # pixels: a crop is a strip around one value, never a whole page
MAX_PAGE_PIXELS = 80_000_000  # a page larger than this is not decoded for a crop
MARGIN = 0.6  # of the box's height, on every side (at least MIN_MARGIN page pixels)
MIN_MARGIN = 16
OUTLINE = (217, 72, 15)  # the same orange as the highlight over the page
QUALITY = 85  # as the page previews (previews._save_jpeg)
KEEP_PAGES, KEEP_PIXELS = 2, 12_000_000  # decoded pages kept for the next crops (_decoded)

_kept: OrderedDict[tuple, object] = OrderedDict()
_kept_lock = threading.Lock()


def stored_box(stored: object) -> PageBox | None:
    """A value's box from an attachment's facts (documents' PageBox as stored), or None
    if it is not a sane box: never trusted further than that."""
    if not isinstance(stored, dict):
        return None
    try:
        values = {k: stored[k] for k in PageBox.__dataclass_fields__}
    except KeyError:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values.values()):
        return None
    box = PageBox(**values)
    inside = 0 <= box.x < box.page_width and 0 <= box.y < box.page_height
    if box.page < 1 or box.w <= 0 or box.h <= 0 or not inside:
        return None
    if box.page_width * box.page_height > MAX_PAGE_PIXELS:
        return None
    return box


def _page(data: bytes, name: str, box: PageBox):
    """The page `box` lies on, as OCR decoded it, at the box's page size (PIL RGB)."""
    from PIL import Image, ImageOps

    found = sniff(data, name)
    if found.kind == "pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            if box.page > len(pdf):
                return None
            page = pdf[box.page - 1]
            scale = box.page_width / (page.get_width() or 595)
            image = page.render(scale=scale).to_pil()
            page.close()
        finally:
            pdf.close()
    elif found.kind == "image":
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            pass
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PAGE_PIXELS:
            return None
        frames = getattr(image, "n_frames", 1)
        if box.page > frames:
            return None
        image.seek(box.page - 1)
        image = ImageOps.exif_transpose(image)
    else:
        return None
    image = image.convert("RGB")
    if image.size != (box.page_width, box.page_height):
        image = image.resize((box.page_width, box.page_height), Image.BILINEAR)
    return image


@dataclass(frozen=True)
class CropFrame:
    """Where a crop is cut from its page (pixels) and the size it is shown at, known from
    the box alone: the case page gives the picture its size before it loads, so nothing
    shifts under the pointer when it arrives."""

    area: tuple[int, int, int, int]  # left, top, right, bottom on the page
    scale: float
    size: tuple[int, int]  # width, height of the picture


def crop_frame(box: PageBox) -> CropFrame:
    """The piece of the page around `box` (with a margin), scaled to fit MAX_SIZE."""
    margin = max(MIN_MARGIN, round(box.h * MARGIN))
    left, top = max(0, box.x - margin), max(0, box.y - margin)
    right = min(box.page_width, box.x + box.w + margin)
    bottom = min(box.page_height, box.y + box.h + margin)
    width, height = right - left, bottom - top
    scale = min(1.0, MAX_SIZE[0] / width, MAX_SIZE[1] / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return CropFrame((left, top, right, bottom), scale, size)


def _decoded(sha256: str, path: Path, name: str, box: PageBox):
    """The page `box` lies on, as _page decodes it. The last few pages up to KEEP_PIXELS
    (a 300-dpi A4 scan is 8.7 M pixels, ~26 MB) are kept for the next crops of the same
    file; `sha256` names the stored file's content. One page is decoded at a time: the
    browser asks for the crops in view all at once, and each would otherwise decode the
    same page before the first was kept."""
    key = (sha256, name, box.page, box.page_width, box.page_height)
    with _kept_lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
        page = _page(path.read_bytes(), name, box)
        if page is not None and page.width * page.height <= KEEP_PIXELS:
            _kept[key] = page
            while len(_kept) > KEEP_PAGES:
                _kept.popitem(last=False)
        return page


def crop_jpeg(page, box: PageBox) -> bytes:
    """A JPEG of `page` (PIL RGB, at the box's page size) around `box`, the box drawn in."""
    from PIL import Image, ImageDraw

    frame = crop_frame(box)
    left, top, _, _ = frame.area
    scale = frame.scale
    piece = page.crop(frame.area)
    if piece.size != frame.size:
        piece = piece.resize(frame.size, Image.LANCZOS)
    draw = ImageDraw.Draw(piece)
    x0, y0 = (box.x - left) * scale, (box.y - top) * scale
    draw.rectangle((x0, y0, x0 + box.w * scale, y0 + box.h * scale), outline=OUTLINE, width=2)
    out = io.BytesIO()
    piece.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def cached_crop(config: Config, sha256: str, path: Path, name: str, box: PageBox) -> Path | None:
    """The crop's JPEG, made once per file and box (the box is part of the name)."""
    root = config.path(config.storage.files_dir).parent / "preview" / sha256
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    dest = root / f"crop-{box.page}-{box.x}-{box.y}-{box.w}-{box.h}-{box.page_width}.jpg"
    if dest.is_file():
        return dest
    page = _decoded(sha256, path, name, box)
    if page is None:
        return None
    picture = crop_jpeg(page, box)
    # A file of its own (0600) per request: the page and a second request may ask at once.
    fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(picture)
    os.replace(tmp, dest)
    return dest

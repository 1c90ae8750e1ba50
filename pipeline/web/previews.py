"""Show a unit's original file in the page: as images of its pages.

Word/WPS/Excel files are turned into PDF by LibreOffice (the warm converter
when it can, a one-shot `soffice --convert-to pdf` otherwise), PDFs are
rendered page by page with pypdfium2, photos and scans are shown upright
(EXIF orientation) and scaled. Results are cached by the file's SHA-256
under data/preview/, owner-only, so each file is rendered once.

Files are only ever found through their ledger row (never a path from the
request), and must lie inside the attachment store: `stored_file` refuses
anything else, symlinks included.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..documents.sniff import sniff

log = logging.getLogger(__name__)

MAX_PAGES = 12
PAGE_WIDTH = 1100  # pixels: sharp on a desktop, scaled down by the browser on a phone
OFFICE_KINDS = {"docx", "xlsx", "doc", "xls", "rtf", "odt", "ods", "html", "pptx", "ppt"}
_lock = threading.Lock()


@dataclass
class Preview:
    pages: int  # images available (0: not previewable)
    note: str = ""  # Chinese: why there is no preview / that pages were cut


def stored_file(config: Config, path: str | None) -> Path | None:
    """The stored attachment at `path` if it is a regular file inside the store."""
    if not path:
        return None
    root = os.path.realpath(config.path(config.storage.files_dir))
    candidate = Path(path)
    if candidate.is_symlink():
        return None
    real = os.path.realpath(candidate)
    if os.path.commonpath([root, real]) != root or not os.path.isfile(real):
        return None
    return Path(real)


def _cache_dir(config: Config, sha256: str) -> Path:
    root = config.path(config.storage.files_dir).parent / "preview"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root / sha256


def page_path(config: Config, sha256: str, page: int) -> Path | None:
    path = _cache_dir(config, sha256) / f"p{page}.jpg"
    return path if path.is_file() else None


def _save_jpeg(image, dest: Path) -> None:
    from PIL import Image

    image = image.convert("RGB")
    if image.width > PAGE_WIDTH:
        image = image.resize((PAGE_WIDTH, round(image.height * PAGE_WIDTH / image.width)), Image.LANCZOS)
    tmp = dest.with_suffix(".tmp")
    with open(tmp, "wb", opener=lambda p, f: os.open(p, f, 0o600)) as fh:
        image.save(fh, "JPEG", quality=85)
    tmp.replace(dest)


def _image_pages(data: bytes, out: Path) -> int:
    from PIL import Image, ImageOps

    try:
        import pillow_heif  # noqa: F401  (registers HEIC when installed)

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    with Image.open(io.BytesIO(data)) as img:
        img.seek(0)
        _save_jpeg(ImageOps.exif_transpose(img), out / "p1.jpg")
    return 1


def _pdf_pages(data: bytes, out: Path) -> tuple[int, int]:
    """(pages rendered, pages in the file)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        total = len(pdf)
        for i in range(min(total, MAX_PAGES)):
            page = pdf[i]
            width = page.get_width() or 595
            bitmap = page.render(scale=PAGE_WIDTH / width)
            _save_jpeg(bitmap.to_pil(), out / f"p{i + 1}.jpg")
            page.close()
        return min(total, MAX_PAGES), total
    finally:
        pdf.close()


def office_to_pdf(data: bytes, ext: str, timeout: float = 90) -> bytes | None:
    """One-shot LibreOffice conversion to PDF: a private profile in an owner-only scratch
    folder, run in a lifeline process group (it dies with us), killed on timeout."""
    from ..documents.convert import seed_profile, soffice_convert_to
    from ..documents.scratch import Workdir

    if shutil.which("soffice") is None:
        return None
    work = Workdir("preview")
    try:
        job = work.path
        src = job / f"source.{ext}"
        src.write_bytes(data)
        seed_profile(job / "profile")
        if not soffice_convert_to([src], "pdf", job, job / "profile", job / "tmp", timeout):
            log.warning("preview conversion timed out")
            return None
        out = job / "source.pdf"
        return out.read_bytes() if out.is_file() else None
    finally:
        work.close()


def build_preview(config: Config, sha256: str, path: Path, name: str) -> Preview:
    """Render (once) the pages of one stored file; later calls read the cache."""
    out = _cache_dir(config, sha256)
    meta = out / "meta.json"
    if meta.is_file():
        info = json.loads(meta.read_text(encoding="utf-8"))
        return Preview(info["pages"], info.get("note", ""))
    with _lock:  # one conversion at a time: LibreOffice and big PDFs are heavy
        if meta.is_file():
            info = json.loads(meta.read_text(encoding="utf-8"))
            return Preview(info["pages"], info.get("note", ""))
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = path.read_bytes()
        found = sniff(data, name)
        pages, note = 0, ""
        try:
            if found.kind == "image":
                pages = _image_pages(data, out)
            elif found.kind == "pdf":
                pages, total = _pdf_pages(data, out)
                if total > pages:
                    note = f"共 {total} 页，这里显示前 {pages} 页；完整内容请下载原件。"
            elif found.kind in OFFICE_KINDS or found.subtype in ("wps", "et"):
                ext = found.subtype if found.subtype in ("wps", "et") else found.kind
                pdf = office_to_pdf(data, ext)
                if pdf is None:
                    note = "未能转换为页面图像，请下载原件查看。"
                else:
                    pages, total = _pdf_pages(pdf, out)
                    if total > pages:
                        note = f"共 {total} 页，这里显示前 {pages} 页；完整内容请下载原件。"
            elif found.kind == "video":
                note = "视频：可在页面中播放或下载。"
            else:
                note = "此类文件不能在页面中显示，请下载查看。"
        except Exception as exc:  # a broken file: say so, never a server error
            log.warning("preview of %s failed: %s", name, exc)
            pages, note = 0, "文件无法显示（可能已损坏或加密），请下载原件查看。"
        # Written last and atomically: another worker sees either no meta or a whole one.
        tmp = meta.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"pages": pages, "note": note}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(meta)
        return Preview(pages, note)

"""Turn any attachment's bytes into a Document, or say in Chinese why not.

`read_document` is the one entry point. It sniffs magic bytes (never the
extension), refuses encrypted and oversized files up front, converts legacy
formats with the warm LibreOffice converter, runs every parser in a forked
child with a memory cap and a deadline (isolate.py), and OCRs scans.
It never raises for bad input: problems are itemized on the Document with
stable codes: encrypted, corrupt, too_large, timeout, unsupported_format,
scan, conversion_failed (plus the readers' own finer codes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from ..campaign import FormSpec
from ..config import Limits
from ..model import Document, Problem
from . import read_cache
from . import sniff as kinds
from .classify import classify_attachment
from .convert import SOURCES, Converter, default_converter
from .encryption import office_is_encrypted
from .errors import DocumentError
from .form_labels import labels_shown
from .isolate import IsolationError, run_isolated
from .materials import check_materials
from .sniff import Sniffed

log = logging.getLogger(__name__)

__all__ = [
    "read_document",
    "classify_attachment",
    "check_materials",
    "Converter",
    "default_converter",
    "DocumentError",
]

MB = 1024 * 1024
ISOLATE = True  # set False to debug readers in-process

# Reader codes that mean the same thing to a sender as ours.
_CODE_ALIASES = {
    "not_zip": "corrupt",
    "missing_part": "corrupt",
    "not_pdf": "corrupt",
    "not_wordml": "corrupt",
    "zip_bomb": "too_large",
}


def read_document(
    name: str,
    data: bytes,
    limits: Limits | None = None,
    converter: Converter | None = None,
    form: FormSpec | None = None,
) -> Document:
    """Read one attachment; never raises for bad input. `form` is the campaign's form
    (None: the built-in 附件1): OCR looks for its labels to find the form's page."""
    limits = limits or Limits()
    try:
        return _read(name, data, limits, converter, form)
    except Exception:  # a bug must not lose the whole message
        log.exception("read_document failed for %r", name)
        return _problem_doc(name, "unknown", "corrupt", _msg_corrupt(name))


def _read(
    name: str, data: bytes, limits: Limits, converter: Converter | None, form: FormSpec | None
) -> Document:
    if len(data) > limits.max_attachment_mb * MB:
        return _problem_doc(
            name,
            "unknown",
            "too_large",
            f"附件“{name}”超过 {limits.max_attachment_mb} MB，无法处理，请压缩图片或拆分后重新发送",
        )
    found = kinds.sniff(data, name)
    kind = found.kind
    if kind == kinds.CORRUPT:
        return _problem_doc(name, found.label, "corrupt", _msg_corrupt(name))
    if kind == kinds.ENCRYPTED or (kind in (kinds.DOC, kinds.XLS) and office_is_encrypted(data)):
        return _problem_doc(name, found.label, "encrypted", _msg_encrypted(name))
    if kind == kinds.DOCX:
        return _relabel(_parse(_read_docx, data, name, limits), found)
    if kind == kinds.XLSX:
        return _relabel(_parse(_read_xlsx, data, name, limits), found)
    if kind == kinds.WORDML:
        return _relabel(_parse(_read_wordml, data, name, limits), found)
    if kind in (kinds.DOC, kinds.RTF, kinds.HTML, kinds.ODT):
        return _via_converter(name, data, found, "docx", limits, converter)
    if kind == kinds.XLS:
        first = _parse(_read_xls, data, name, limits)
        if not any(p.code == "xls_unreadable" for p in first.problems):
            return _relabel(first, found)
        return _via_converter(name, data, found, "xlsx", limits, converter)
    if kind == kinds.ODS:
        return _via_converter(name, data, found, "xlsx", limits, converter)
    if kind == kinds.PDF:
        return _read_pdf_or_ocr(name, data, limits, form)
    if kind == kinds.IMAGE:
        return _read_image(name, data, found, limits, form)
    if kind == kinds.VIDEO:
        return _read_video(name, data, found)
    return _problem_doc(name, found.label or "unknown", "unsupported_format", _msg_unsupported(name, found))


# ------------------------------------------------------------ readers (run in the child)


def _read_docx(data: bytes, name: str, limits: Limits) -> Document:
    from .docx_reader import read_docx

    return read_docx(data, name, limits)


def _read_wordml(data: bytes, name: str, limits: Limits) -> Document:
    from .wordml_reader import read_wordml

    return read_wordml(data, name, limits)


def _read_xlsx(data: bytes, name: str, limits: Limits) -> Document:
    from .xlsx_reader import read_xlsx

    return read_xlsx(data, name, limits)


def _read_xls(data: bytes, name: str, limits: Limits) -> Document:
    from .xlsx_reader import read_xls_book

    return read_xls_book(data, name)


def _read_pdf(data: bytes, name: str, limits: Limits) -> Document:
    from .encryption import pdf_needs_password
    from .pdf_reader import read_pdf

    # pdfplumber reports a password-protected PDF as a generic failure.
    if pdf_needs_password(data):
        raise DocumentError("encrypted", _msg_encrypted(name))
    return read_pdf(data, name, limits)


def _ocr_pdf(
    data: bytes, name: str, limits: Limits, form: FormSpec | None = None, lean: bool = False
) -> Document:
    from .ocr import ocr_pdf

    return ocr_pdf(data, name, limits, form=form, lean=lean)


def _ocr_image(
    data: bytes, name: str, limits: Limits, form: FormSpec | None = None, lean: bool = False
) -> Document:
    from .ocr import ocr_image

    return ocr_image(data, name, limits, form=form, lean=lean)


def _guarded(func: Callable[..., Document], data: bytes, name: str, limits: Limits) -> tuple:
    """Child side: DocumentError does not pickle, so pass (code, message) back."""
    try:
        return ("ok", func(data, name, limits))
    except DocumentError as exc:
        return ("error", exc.code, exc.message)


def _isolated(func: Callable[..., Document], data: bytes, name: str, limits: Limits) -> tuple:
    timeout = float(limits.document_timeout_seconds)
    if ISOLATE:
        memory = limits.document_memory_mb  # address space beyond the worker's own
        return run_isolated(_guarded, func, data, name, limits, timeout=timeout, memory_mb=memory)
    return _guarded(func, data, name, limits)


def _scan(
    func: Callable[..., Document], data: bytes, name: str, limits: Limits, fmt: str, form: FormSpec | None
) -> Document:
    """OCR in the sandbox. The machine running short (memory, time, the engine
    failing) is never the file's fault: a second try reads smaller pages, and
    when that fails too the file goes to staff unread (never "damaged"). Only a
    file no decoder opens is reported as damaged. A finished reading may be kept
    by content where asked for (read_cache.py)."""
    from .ocr_confidence import unread_problem

    kept = read_cache.load(data, name, limits, form)
    if kept is not None:
        return kept
    for lean in (False, True):
        try:
            result = _isolated(partial(func, form=form, lean=lean), data, name, limits)
        except IsolationError as exc:
            log.warning(
                "OCR of %r ran short (%s), %s", name, exc, "left to staff" if lean else "trying smaller"
            )
            continue
        except Exception as exc:  # MemoryError, ONNX Runtime's std::bad_alloc, an engine bug
            log.warning("OCR of %r failed (%r), %s", name, exc, "left to staff" if lean else "trying smaller")
            continue
        if result[0] == "ok":
            read_cache.store(data, name, limits, form, result[1])
            return result[1]
        _, code, message = result
        return _problem_doc(name, fmt, _CODE_ALIASES.get(code, code), f"附件“{name}”{message}")
    return Document(
        file=name,
        format=fmt,
        is_scan=True,
        problems=[unread_problem(name, "系统暂时未能自动识别（文件本身没有问题）")],
    )


def _parse(func: Callable[..., Document], data: bytes, name: str, limits: Limits) -> Document:
    """Run a reader isolated; any failure becomes a Document with one Problem."""
    try:
        result = _isolated(func, data, name, limits)
    except IsolationError as exc:
        if exc.reason == "timeout":
            return _problem_doc(
                name,
                "unknown",
                "timeout",
                f"附件“{name}”处理超时（超过 {limits.document_timeout_seconds} 秒），"
                "文件可能过大或结构异常，请另存为新文件后重新发送",
            )
        if exc.reason == "memory":
            return _problem_doc(
                name,
                "unknown",
                "too_large",
                f"附件“{name}”内容过大或过于复杂，无法处理，请精简或另存后重新发送",
            )
        log.warning("reader crashed on %r: %s", name, exc)
        return _problem_doc(name, "unknown", "corrupt", _msg_corrupt(name))
    except Exception as exc:  # reader bug or unexpected library error
        log.warning("reader failed on %r: %r", name, exc)
        return _problem_doc(name, "unknown", "corrupt", _msg_corrupt(name))
    if result[0] == "ok":
        return result[1]
    _, code, message = result
    return _problem_doc(name, "unknown", _CODE_ALIASES.get(code, code), message)


# ------------------------------------------------------------ routes


def _via_converter(
    name: str, data: bytes, found: Sniffed, target: str, limits: Limits, converter: Converter | None
) -> Document:
    src_ext = {
        kinds.DOC: "doc",
        kinds.RTF: "rtf",
        kinds.HTML: "html",
        kinds.ODT: "odt",
        kinds.ODS: "ods",
    }.get(found.kind, "xls")
    assert SOURCES[src_ext] == target
    conv = converter or default_converter()
    try:
        converted = _convert_with_fallback(conv, name, data, src_ext, target)
    except DocumentError as exc:
        return _problem_doc(name, found.label, exc.code, f"附件“{name}”{exc.message}")
    reader = _read_docx if target == "docx" else _read_xlsx
    doc = _parse(reader, converted, name, limits)
    return _relabel(doc, found)


def _convert_with_fallback(conv: Converter, name: str, data: bytes, src_ext: str, target: str) -> bytes:
    """The warm converter first; on a failure, a one-shot soffice before giving up.

    A timeout is final: the one-shot would spend the same time again.
    """
    try:
        return conv.convert(data, src_ext, target)
    except DocumentError as exc:
        if exc.code != "conversion_failed" or not conv.use_uno:
            raise  # without UNO the warm path already was a one-shot soffice
        first = exc
    log.info(
        "warm conversion of %r failed (%s); trying a one-shot soffice", name, getattr(first, "detail", "")
    )
    try:
        return conv.convert_oneshot(data, src_ext, target)
    except DocumentError as exc:
        log.info("one-shot conversion of %r failed too: %s", name, getattr(exc, "detail", exc.code))
        raise first from exc


# The text reader's notes that OCR replaces: no text, and "only the first 60 pages"
# (OCR counts its own pages and says once how many it looked at).
_SUPERSEDED_BY_OCR = ("pdf_no_text", "pdf_truncated")


def _read_pdf_or_ocr(name: str, data: bytes, limits: Limits, form: FormSpec | None) -> Document:
    doc = _parse(_read_pdf, data, name, limits)
    if not any(p.code == "pdf_no_text" for p in doc.problems):
        return _relabel(doc, Sniffed(kinds.PDF, "pdf"))
    scanned = _scan(_ocr_pdf, data, name, limits, "pdf", form)
    scanned.format = "pdf"
    scanned.problems = [p for p in doc.problems if p.code not in _SUPERSEDED_BY_OCR] + scanned.problems
    if not scanned.is_scan:  # a file the scan reader could not open: the reader's own words
        return scanned
    scanned.image_count = doc.image_count
    _drop_scan_notice_unless_form(scanned, form)
    return scanned


def _read_image(name: str, data: bytes, found: Sniffed, limits: Limits, form: FormSpec | None) -> Document:
    if found.subtype not in kinds.OCR_IMAGES:
        return Document(file=name, format=found.label)  # e.g. GIF: a picture we do not OCR
    doc = _scan(_ocr_image, data, name, limits, found.label, form)
    if not doc.is_scan:
        return doc  # unreadable picture: the problem says so
    doc.format = found.label
    _drop_scan_notice_unless_form(doc, form)
    return doc


def _read_video(name: str, data: bytes, found: Sniffed) -> Document:
    from .media import video_info

    info = video_info(data)
    return Document(file=name, format=found.label, duration_seconds=info.duration_seconds if info else None)


def _drop_scan_notice_unless_form(doc: Document, form: FormSpec | None) -> None:
    """Only a scan that shows the form gets the "scan" notice; a case
    picture or a scanned article is just that (doc.is_scan still says OCR)."""
    if not _looks_like_form(doc, form):
        doc.problems = [p for p in doc.problems if p.code != "scan"]


def _looks_like_form(doc: Document, form: FormSpec | None) -> bool:
    """Two of the form's labels are enough to tell the sender their form was OCR'd."""
    if doc.form_seen:
        return True
    try:
        return len(labels_shown(doc, form)) >= 2
    except Exception:
        log.exception("label lookup failed on OCR text of %r", doc.file)
        return True  # keep the scan notice rather than hide it


# ------------------------------------------------------------ helpers


def _relabel(doc: Document, found: Sniffed) -> Document:
    """Report the sniffed format (wps, et, doc...) rather than the reader's."""
    doc.format = found.label
    return doc


def _problem_doc(name: str, fmt: str, code: str, message: str) -> Document:
    return Document(file=name, format=fmt, problems=[Problem(None, code, message)])


def _msg_encrypted(name: str) -> str:
    return f"附件“{name}”已加密（设置了打开密码），请发送未加密的副本"


def _msg_corrupt(name: str) -> str:
    return f"附件“{name}”无法打开（文件已损坏或不完整），请重新导出后发送"


def _msg_unsupported(name: str, found: Sniffed) -> str:
    what = {
        kinds.PPTX: "演示文稿",
        kinds.PPT: "演示文稿",
        kinds.OFD: "OFD 版式文件",
        kinds.AUDIO: "音频文件",
        kinds.ARCHIVE: "压缩包",
    }.get(found.kind, "无法识别的格式")
    return f"附件“{name}”是{what}，系统无法读取其中的推荐表，请将推荐表另存为 Word（.docx）或 Excel（.xlsx）后发送"

"""Data shared between pipeline stages.

Every stage takes and returns these plain dataclasses, so stages can be
tested alone and data flows one way:
mailbox -> message -> documents -> form -> rules -> ledger -> outbox/reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """Final status of a message/submission; `.zh` is what users read."""

    ACCEPTED = "accepted"
    NEEDS_FIX = "needs_fix"
    LATE = "late"
    OVER_QUOTA = "over_quota"
    SUPERSEDED = "superseded"
    MANUAL_REVIEW = "manual_review"
    UNKNOWN_UNIT = "unknown_unit"
    CORRESPONDENCE = "correspondence"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"

    @property
    def zh(self) -> str:
        return STATUS_ZH[self]


# Statuses that hold one of a unit's quota places (and can be superseded by a
# corrected version of the same account).
QUOTA_STATUSES: frozenset[Status] = frozenset({Status.ACCEPTED, Status.NEEDS_FIX, Status.MANUAL_REVIEW})

STATUS_ZH: dict[Status, str] = {
    Status.ACCEPTED: "已受理",
    Status.NEEDS_FIX: "需补正",
    Status.LATE: "逾期",
    Status.OVER_QUOTA: "超出名额",
    Status.SUPERSEDED: "已被更正版本替换",
    Status.MANUAL_REVIEW: "待人工核对",
    Status.UNKNOWN_UNIT: "发件人不在名单",
    Status.CORRESPONDENCE: "来信（非报送）",
    Status.DUPLICATE: "重复投递",
    Status.IGNORED: "已忽略（自动回复/退信/群发）",
    Status.WITHDRAWN: "已撤回",
    Status.REJECTED: "不予受理",
}


# The problem codes that only say a form is a scan (staff check it once; nothing for the
# unit to fix): rules.catalog's scan notes, "scan_unclear" with its request for a clearer copy.
SCAN_NOTES = frozenset({"scan", "scan_unclear"})


@dataclass(frozen=True)
class Problem:
    """One itemized problem; `message` is the Chinese sentence a receipt shows."""

    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message}


# ---------------------------------------------------------------- mailbox


@dataclass
class RawMail:
    """One message as fetched from a source, before any parsing."""

    mailbox: str  # config name of the mailbox
    folder: str
    uidvalidity: int
    uid: int
    internaldate: datetime  # timezone-aware; the arrival time we trust
    raw: bytes


# ---------------------------------------------------------------- message


class AttachmentKind(StrEnum):
    FORM = "推荐表"
    ARTICLE = "图文案例"
    PICTURE = "图片"
    VIDEO = "视频"
    ARCHIVE = "压缩包"
    OTHER = "其他"


@dataclass
class Attachment:
    """A file pulled out of a message (possibly from a forward or an archive)."""

    name: str  # sanitized file name, safe to put on disk
    data: bytes
    content_type: str = "application/octet-stream"
    # Where it came from, e.g. "附件.zip/表格/推荐表.docx" or "转发邮件1/推荐表.docx".
    origin: str = ""
    raw_name: bytes | None = None  # the undecoded name bytes, for audit
    defects: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class BigAttachmentLink:
    """A huge attachment delivered as a download link (QQ 超大附件, 163, 百度网盘)."""

    provider: str  # "qq", "163", "baidu", ...
    url: str
    name: str | None = None
    expires: str | None = None  # as given by the provider, human readable


@dataclass
class ParsedMessage:
    """MIME stage output: envelope, decoded text and attachments."""

    message_id: str  # without <>; synthesized from a content hash if absent
    subject: str
    from_addr: str  # lower-cased addr-spec
    from_name: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    date_header: datetime | None = None  # informative only; never trusted
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    body_text: str = ""
    # What the sender wrote in this mail: body_text without the quoted mail and the
    # signature (message/quotes.py); a reply's "栏目：内容" lines are read from it only.
    new_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    big_links: list[BigAttachmentLink] = field(default_factory=list)
    automatic: str | None = None  # reason when auto-reply/bounce/list mail
    defects: list[str] = field(default_factory=list)
    # Problems with attachments we could not open (encrypted archive, bomb...)
    problems: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class PageBox:
    """Where something lies on a scanned page or photo: the 1-based page and a box in
    pixels of that page as decoded (a photo after its EXIF turn, a PDF page rendered
    at 200 dpi), with the page's size so it can be scaled to any rendering."""

    page: int
    x: int
    y: int
    w: int
    h: int
    page_width: int
    page_height: int

    def percent(self) -> dict[str, float]:
        """The box as percentages of its page: how a highlight is placed over a page
        image of any size or zoom."""
        return {
            "left": round(100 * self.x / self.page_width, 3),
            "top": round(100 * self.y / self.page_height, 3),
            "width": round(100 * self.w / self.page_width, 3),
            "height": round(100 * self.h / self.page_height, 3),
        }

    def as_dict(self) -> dict:
        return {
            "page": self.page,
            "x": self.x,
            "y": self.y,
            "w": self.w,
            "h": self.h,
            "page_width": self.page_width,
            "page_height": self.page_height,
        }


@dataclass
class Cell:
    """One real (not repeated) cell of a table; spans are explicit.

    Cells read by OCR also say how sure the recogniser was (its lowest line
    score, None when the cell held no ink), what their geometry showed (`flags`:
    a stamp over the text, ink cut off at the border ...; documents/ocr_cells.py)
    and where they lie on the original page (`box`)."""

    row: int  # 0-based top row
    col: int  # 0-based left column
    text: str
    row_span: int = 1
    col_span: int = 1
    confidence: float | None = None
    flags: tuple[str, ...] = ()
    box: PageBox | None = None


@dataclass
class Table:
    """A table or sheet; `name` is how staff find it ("表格2", "Sheet1")."""

    name: str
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Document:
    """The one model every reader produces (like docling's backends)."""

    file: str
    format: str  # docx, xlsx, pdf, doc, wps, xls, et, image, ...
    tables: list[Table] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    image_count: int = 0  # pictures embedded in the document
    is_scan: bool = False  # text came from OCR
    # OCR saw the form on a page (its labels, or its title over a ruled table) even if
    # the values cannot be paired with their labels: the form stage then hands it to
    # staff as an unread form rather than tell the unit no form was sent.
    form_seen: bool = False
    duration_seconds: float | None = None  # for videos
    problems: list[Problem] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = list(self.paragraphs)
        for table in self.tables:
            parts.extend(c.text for c in table.cells)
        return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------- form


@dataclass
class FormResult:
    """The 15 fields located in a Document, with where each value came from.

    `score` (form/judge.py) says how surely the document is the 推荐表: 0 for
    anything else, and then `fields` are all "" and `sources` empty. Among
    the candidate documents of one mail, the highest score is the form.
    """

    file: str
    fields: dict[str, str]  # every label of the campaign's form (config.form.labels), "" when absent
    sources: dict[str, str] = field(default_factory=dict)  # label -> "表格1 第3行第2列"
    labels_found: int = 0  # field labels seen in the document, whether or not it is the form
    is_scan: bool = False
    problems: list[Problem] = field(default_factory=list)
    score: float = 0.0
    # Read from a scan: the labels whose values a person must check (form order), and
    # where each value lies on the original page (label -> PageBox.as_dict()), for the
    # crop staff see beside it (documents/ocr_confidence.py).
    uncertain: list[str] = field(default_factory=list)
    boxes: dict[str, dict] = field(default_factory=dict)
    # Why each uncertain value must be checked (label -> codes of ocr_confidence.doubts,
    # or "unread_scan"), so the console can say so beside it.
    doubts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.score > 0

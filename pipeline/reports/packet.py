"""The packet for the next level: what 科协 needs and nothing else.

The zip holds, per selected nominee, a folder "{n}_{its name}" (the form's
identity field, 账号名称 in the built-in 附件1) with the one filled form, e.g.
推荐表.docx (the campaign's blank form filled with the values staff accepted,
corrections included), the unit's own form when it sent a scan or PDF of it
(推荐表_单位原件.pdf: the stamped original) and the case materials, plus
推荐账号汇总表.xlsx with one row per nominee and the organisation's 推荐函.docx
(the recommender is the organisation, `level_name`; the stamp place is left). Staff data stays home: no other
units, no problems or internal notes, no senders or Message-IDs. The
manifest (hashes, source Message-IDs, decisions) is written beside the zip
for staff (上报清单_{level}.json), not put in it.

Mail systems cap message size, so the packet is split into numbered parts
(推荐材料_{level}_1of2.zip ...) that each fit `max_mail_bytes`; a single file
is never split, and a file larger than the limit goes alone in its part and
is flagged. The 推荐函, the 汇总表 and the forms come first, so part 1 always holds them.

`max_mail_bytes` is the largest zip size on disk. Mail attachments grow by
about 4/3 in base64, so pass roughly 0.7 x the receiving mailbox's limit.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from ..campaign import FormSpec, builtin
from ..errors import describe
from ..model import AttachmentKind
from .form_docx import render_form_docx
from .recommendation import LETTER_NAME, Nominee, build_recommendation_docx
from .summary import build_packet_summary
from .views import BEIJING, SubmissionView, account_name, fmt_size, iso_beijing

log = logging.getLogger(__name__)

MANIFEST_NAME = "上报清单"
LINKS_NAME = "超大附件链接.txt"
# A form sent as one of these is the unit's original (a stamped scan, a phone photo, a PDF):
# it goes up beside the filled form, named 推荐表_单位原件.<ext>.
SCAN_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".heic"})
ORIGINAL_KIND = "单位原件（盖章扫描件）"
MAX_NAME_CHARS = 80
_CHUNK = 1024 * 1024
# Already-compressed formats: storing them is faster and the size is exact.
_STORED_EXT = {
    ".zip", ".7z", ".rar", ".gz", ".bz2", ".xz", ".mp4", ".mov", ".m4v", ".avi", ".mkv", ".flv", ".wmv",
    ".mp3", ".m4a", ".aac", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".docx", ".xlsx", ".pptx",
    ".docm", ".xlsm", ".wps", ".et", ".pdf",
}  # fmt: skip
_WINDOWS_RESERVED = (
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)
_FORBIDDEN = set('/\\:*?"<>|')


@dataclass
class Packet:
    zip_paths: list[Path]
    manifest: dict
    oversize: list[str] = field(default_factory=list)  # paths in zip of files bigger than the limit
    problems: list[str] = field(default_factory=list)  # Chinese sentences for staff
    manifest_path: Path | None = None  # kept at home for staff, not in the zip


@dataclass
class _Entry:
    arcname: str
    source: Path
    sha256: str
    size: int
    message_id: str | None = None
    unit: str | None = None
    received: str | None = None
    kind: str = ""
    part: int = 0
    oversize: bool = False

    @property
    def stored(self) -> bool:
        return PurePosixPath(self.arcname).suffix.lower() in _STORED_EXT

    def estimate(self) -> int:
        """Upper bound of the bytes this member adds to a zip (headers, zip64 extras, deflate worst case)."""
        name = len(self.arcname.encode("utf-8"))
        data = (
            self.size
            if self.stored
            else self.size + (self.size >> 12) + (self.size >> 14) + (self.size >> 25) + 13
        )
        return data + 2 * name + 200


@dataclass(frozen=True)
class LetterInfo:
    """What the organisation's 推荐函 says besides the nominees."""

    upstream: str  # whom it is addressed to
    campaign: str  # 《…》 or “…”: the campaign as the notice names it
    contact: str = ""
    describe: tuple[str, ...] = ()  # the fields that describe each nominee after its name


def safe_name(name: str, fallback: str = "未命名") -> str:
    """One path component that is safe in a zip and on Windows/macOS/Linux (no traversal, no reserved names)."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?", filtered next
    text = "".join("_" if (ch in _FORBIDDEN or ord(ch) < 32 or ord(ch) == 127) else ch for ch in text)
    text = " ".join(text.split()).strip(" .")
    if not text:
        text = fallback
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = text, ""
    if stem.upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    if len(stem) > MAX_NAME_CHARS:
        stem = stem[:MAX_NAME_CHARS]
    return f"{stem}.{ext}" if ext else stem


def _unique(name: str, taken: set[str]) -> str:
    """Avoid two members with the same name (case-insensitive, as on Windows)."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}({n}).{ext}" if ext else f"{stem}({n})"
    taken.add(candidate.lower())
    return candidate


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _part_base(level: str) -> str:
    return f"推荐材料_{safe_name(level, '本级')}"


def _part_names(level: str, count: int) -> list[str]:
    base = _part_base(level)
    if count <= 1:
        return [f"{base}.zip"]
    return [f"{base}_{i}of{count}.zip" for i in range(1, count + 1)]


def account_folder(index: int, view: SubmissionView, form: FormSpec | None = None) -> str:
    """The folder of the index-th (1-based) nominee in the packet."""
    form = form or builtin().form
    return safe_name(f"{index}_{account_name(view, form)}", f"{index}_{form.noun}")


def form_file_name(form: FormSpec | None = None) -> str:
    """The filled form's name in each folder: 推荐表.docx (the form's title)."""
    return safe_name(f"{(form or builtin().form).title}.docx", "推荐表.docx")


def summary_name(form: FormSpec | None = None) -> str:
    """The packet's sheet: 推荐账号汇总表.xlsx (账号: what the campaign nominates)."""
    return safe_name(f"推荐{(form or builtin().form).noun}汇总表.xlsx", "推荐汇总表.xlsx")


def _collect(
    selected: list[SubmissionView], work: Path, form: FormSpec, problems: list[str]
) -> tuple[list[_Entry], list[dict]]:
    """Fill each nominee's form and gather its materials, hashing each file once.

    Returns the entries (the filled forms first, so they land in part 1) and, per
    nominee, what the 汇总表 and the manifest say about it.
    """
    form_name = form_file_name(form)
    forms: list[_Entry] = []
    materials: list[_Entry] = []
    accounts: list[dict] = []
    for index, view in enumerate(selected, start=1):
        unit = view.unit or "未识别单位"
        folder = account_folder(index, view, form)
        received = iso_beijing(view.arrival)
        common = {"message_id": view.message_id, "unit": unit, "received": received}
        taken: set[str] = {form_name.lower()}
        account_dir = work / f"account{index}"
        account_dir.mkdir()
        form_path = account_dir / form_name
        files: list[str] = []
        form_file = None
        try:
            filled = render_form_docx(view.fields, unit, form, form_path)
        except Exception as exc:  # a broken template must not lose the materials
            log.exception("the form of %s could not be rendered", view.case_no)
            problems.append(f"{unit}（{view.case_no}）的{form.title}未能生成（{describe(exc)}，详见日志）。")
        else:
            if filled.unplaced:
                problems.append(
                    f"{unit}（{view.case_no}）：空白{form.title}中找不到栏目"
                    f"{'、'.join(f'“{label}”' for label in filled.unplaced)}的填写位置，"
                    f"这些内容未填入{form_name}（见{summary_name(form)}），请核对空白表格。"
                )
            sha, size = _hash_file(form_path)
            form_file = f"{folder}/{form_name}"
            forms.append(_Entry(form_file, form_path, sha, size, kind=form.title, **common))
            files.append(form_file)
        for att in view.attachments:
            original = att.kind == AttachmentKind.FORM and Path(att.name).suffix.lower() in SCAN_SUFFIXES
            if att.kind == AttachmentKind.FORM and not original:
                continue  # the filled form above is the one form of this nominee
            source = Path(att.path) if att.path else None
            if source is None or not source.is_file():
                problems.append(
                    f"{unit}（{view.case_no}）的附件“{att.name}”在存储中找不到，未放入材料包，请核对。"
                )
                continue
            sha, size = _hash_file(source)
            if att.sha256 and sha != att.sha256.lower():
                problems.append(
                    f"{unit}（{view.case_no}）的附件“{att.name}”与收到时的内容不一致（校验值不同），请核对。"
                )
            if original:
                # The unit's own form as sent (a stamped scan or PDF): the original beside our filled copy.
                name = f"{form.title}_单位原件{Path(att.name).suffix.lower()}"
                arcname = f"{folder}/{_unique(safe_name(name, '单位原件'), taken)}"
                forms.append(_Entry(arcname, source, sha, size, kind=ORIGINAL_KIND, **common))
                files.append(arcname)
                continue
            arcname = f"{folder}/{_unique(safe_name(att.name, '附件'), taken)}"
            materials.append(_Entry(arcname, source, sha, size, kind=att.kind, **common))
            files.append(arcname)
        if view.big_links:
            links = account_dir / LINKS_NAME
            links.write_text(
                "以下材料以超大附件链接形式发送，未包含在本材料包中，请在有效期内下载：\n"
                + "\n".join(view.big_links)
                + "\n",
                encoding="utf-8",
            )
            sha, size = _hash_file(links)
            arcname = f"{folder}/{_unique(LINKS_NAME, taken)}"
            materials.append(_Entry(arcname, links, sha, size, kind="超大附件链接", **common))
            files.append(arcname)
        accounts.append(
            {
                "folder": folder,
                "unit": unit,
                form.identity_label: view.fields.get(form.identity_label, ""),
                "case_no": view.case_no,
                "message_id": view.message_id,
                "sender": view.sender,
                "received": received,
                "files": files,
                "form_file": form_file,
                "big_links": list(view.big_links),
                "decisions": list(view.decisions),
            }
        )
    return forms + materials, accounts


def _plan(entries: list[_Entry], capacity: int) -> int:
    """Assign parts in order (next fit); returns the number of parts. Oversize files go alone."""
    part, used = 1, 0
    for entry in entries:
        cost = entry.estimate()
        if used and used + cost > capacity:
            part, used = part + 1, 0
        entry.part = part
        used += cost
        if cost > capacity:
            entry.oversize = True
            part, used = part + 1, 0
    return max((e.part for e in entries), default=1)


def _manifest(
    level: str,
    generated: datetime,
    entries: list[_Entry],
    accounts: list[dict],
    parts: list[str],
    problems: list[str],
    max_bytes: int,
) -> dict:
    return {
        "level": level,
        "generated_at": iso_beijing(generated),
        "max_mail_bytes": max_bytes,
        "parts": parts,
        "accounts": accounts,
        "files": [
            {
                "path": e.arcname,
                "sha256": e.sha256,
                "size": e.size,
                "message_id": e.message_id,
                "unit": e.unit,
                "received": e.received,
                "kind": e.kind,
                "part": e.part,
                "part_file": parts[e.part - 1],
                "oversize": e.oversize,
            }
            for e in entries
        ],
        "problems": problems,
    }


def _zipinfo(name: str, when: datetime, stored: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    # zipfile sets the UTF-8 flag (0x800) itself for every non-ASCII name; ASCII names read the same either way.
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_part(path: Path, members: list[_Entry], when: datetime) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        for entry in members:
            with (
                entry.source.open("rb") as src,
                zf.open(
                    _zipinfo(entry.arcname, when, entry.stored), "w", force_zip64=entry.size > 0x7FFFFFFF
                ) as dst,
            ):
                shutil.copyfileobj(src, dst, _CHUNK)
    tmp.replace(path)


def build_packet(
    selected: list[SubmissionView],
    out_dir: Path,
    *,
    level_name: str,
    max_mail_bytes: int,
    form: FormSpec | None = None,
    letter: LetterInfo | None = None,
) -> Packet:
    """Build the packet zip(s) in `out_dir` for the selected nominees; see the module docstring.
    `form` is the campaign's form (the built-in 附件1 when None), filled from its blank form.
    `level_name` is the recommending organisation (it names the zip); with `letter`, the
    organisation's 推荐函.docx (stamp place left) opens the packet."""
    form = form or builtin().form
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = datetime.now(BEIJING)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix=".packet-", dir=out_dir) as tmp:
        work = Path(tmp)
        entries, accounts = _collect(selected, work, form, problems)
        name = summary_name(form)
        summary_path = build_packet_summary(
            selected, accounts, work / name, form=form, sheet_title=f"推荐{form.noun}"
        )
        sha, size = _hash_file(summary_path)
        entries.insert(0, _Entry(name, summary_path, sha, size, kind="汇总表"))
        if letter is not None:
            letter_path = build_recommendation_docx(
                work / LETTER_NAME,
                organisation=level_name,
                upstream=letter.upstream,
                campaign=letter.campaign,
                noun=form.noun,
                nominees=[
                    Nominee(
                        account_name(v, form),
                        v.unit or "未识别单位",
                        tuple((label, v.fields.get(label, "")) for label in letter.describe),
                    )
                    for v in selected
                ],
                contact=letter.contact,
            )
            sha, size = _hash_file(letter_path)
            entries.insert(0, _Entry(LETTER_NAME, letter_path, sha, size, kind="推荐函"))
        capacity = max(
            1, max_mail_bytes - 512 - sum(len(e.arcname.encode("utf-8")) * 2 + 200 for e in entries)
        )
        count = _plan(entries, capacity)
        parts = _part_names(level_name, count)
        for entry in entries:
            if entry.oversize:
                problems.append(
                    f"文件“{entry.arcname}”（{fmt_size(entry.size)}）本身超过单封邮件大小上限，"
                    "已单独放入一个分卷，可能需要改用超大附件或网盘发送。"
                )
        base = glob.escape(_part_base(level_name))
        for old in [*out_dir.glob(f"{base}.zip"), *out_dir.glob(f"{base}_*of*.zip")]:
            old.unlink()  # stale parts from an earlier run would confuse the receiver
        zip_paths: list[Path] = []
        oversize: list[str] = []
        for number, part_name in enumerate(parts, start=1):
            members = [e for e in entries if e.part == number]
            path = out_dir / part_name
            _write_part(path, members, generated.replace(tzinfo=None))
            zip_paths.append(path)
            if any(e.oversize for e in members):
                oversize.extend(e.arcname for e in members if e.oversize)
            elif path.stat().st_size > max_mail_bytes:
                problems.append(
                    f"{part_name} 超过单封邮件大小上限（{fmt_size(path.stat().st_size)}），请分开发送。"
                )
        manifest = _manifest(level_name, generated, entries, accounts, parts, problems, max_mail_bytes)
    manifest["zips"] = [
        {"file": p.name, "size": p.stat().st_size, "sha256": _hash_file(p)[0]} for p in zip_paths
    ]
    manifest_path = out_dir / f"{MANIFEST_NAME}_{safe_name(level_name, '本级')}.json"
    manifest_path.write_bytes(json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8", "replace"))
    return Packet(
        zip_paths=zip_paths,
        manifest=manifest,
        oversize=oversize,
        problems=problems,
        manifest_path=manifest_path,
    )

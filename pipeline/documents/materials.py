"""Check the 工作材料 against the notice: 图文 or 视频.

Notice (附件 推选活动方案 五.2): 图文案例 "字数在1500字以内，配发三张以上相关图片";
视频案例 "建议以MP4标清、高清格式上传，时长5分钟以内为宜". Limits come from
config `materials`. Every violation is its own Problem with a sentence
that says how to fix it; pictures count both those inside the article
document and those sent as separate attachments.
"""

from __future__ import annotations

from ..config import Materials
from ..model import Attachment, AttachmentKind, Document, Problem
from .classify import article_chars, is_article
from .media import video_info
from .sniff import VIDEO, sniff

FIELD = "材料"


def check_materials(
    items: list[tuple[Attachment, AttachmentKind, Document | None]], rules: Materials
) -> list[Problem]:
    """Itemized problems with the case materials of one submission ([] when fine)."""
    articles = [(a, d) for a, k, d in items if k == AttachmentKind.ARTICLE]
    unreadable = [a for a, d in articles if d is None or not d.text.strip()]
    articles = [(a, d) for a, d in articles if d is not None and d.text.strip()]
    if not articles:
        embedded = [(a, _article_after_form(d)) for a, k, d in items if k == AttachmentKind.FORM]
        articles = [(a, d) for a, d in embedded if d is not None]
    videos = [(a, d) for a, k, d in items if k == AttachmentKind.VIDEO]
    pictures = [a for a, k, _ in items if k == AttachmentKind.PICTURE]
    problems: list[Problem] = []
    if not articles and not videos:
        # An article we could not open (encrypted, corrupt) already has its own
        # problem from the reader; do not also call the materials missing.
        if rules.require_materials and not unreadable:
            problems.append(_missing(len(pictures), rules))
        return problems
    if articles:
        problems.extend(_check_articles(articles, len(pictures), rules))
    for att, doc in videos:
        problems.extend(_check_video(att, doc, rules))
    return problems


def _article_after_form(doc: Document | None) -> Document | None:
    """The case write-up some units put in the same file, after the 推荐表 table.

    Only prose outside the tables counts (the form's own long fields live in
    its cells), and the file's pictures are the article's pictures.
    """
    if doc is None or not doc.tables:
        return None
    prose = Document(
        file=doc.file, format=doc.format, paragraphs=list(doc.paragraphs), image_count=doc.image_count
    )
    return prose if is_article(prose) else None


def _missing(picture_count: int, rules: Materials) -> Problem:
    wanted = (
        f"图文案例（{rules.article_max_chars}字以内，配发{rules.article_min_pictures}张以上相关图片）"
        f"或视频案例（{'/'.join(f.upper() for f in rules.video_formats)}格式，{_minutes(rules.video_max_minutes)}以内）"
    )
    if picture_count:
        return Problem(
            FIELD,
            "materials_missing",
            f"只收到 {picture_count} 张图片，缺少图文案例的文字稿；请按通知要求补充{wanted}",
        )
    return Problem(FIELD, "materials_missing", f"未收到工作材料，请按通知要求补充{wanted}")


def _check_articles(
    articles: list[tuple[Attachment, Document | None]], separate: int, rules: Materials
) -> list[Problem]:
    problems = []
    inline = 0
    for att, doc in articles:
        if doc is None:
            continue
        inline += doc.image_count
        count = article_chars(doc)
        if count > rules.article_max_chars:
            problems.append(
                Problem(
                    FIELD,
                    "article_too_long",
                    f"图文案例“{att.name}”约 {count} 字（不含空格），超过通知要求的 {rules.article_max_chars} 字以内，"
                    "请精简后重新发送",
                )
            )
    total = inline + separate
    if total < rules.article_min_pictures:
        problems.append(
            Problem(
                FIELD,
                "too_few_pictures",
                f"图文案例需配发 {rules.article_min_pictures} 张以上相关图片，目前只找到 {total} 张"
                f"（文中 {inline} 张，单独发送 {separate} 张），请补充图片后重新发送",
            )
        )
    return problems


def _check_video(att: Attachment, doc: Document | None, rules: Materials) -> list[Problem]:
    problems = []
    found = sniff(att.data, att.name)
    container = found.subtype if found.kind == VIDEO else (found.label or "未知")
    if container not in {f.lower() for f in rules.video_formats}:
        allowed = "/".join(f.upper() for f in rules.video_formats)
        problems.append(
            Problem(
                FIELD,
                "video_not_mp4",
                f"视频“{att.name}”是 {container.upper()} 格式，通知要求 {allowed} 格式，请转换为 {allowed} 后重新发送",
            )
        )
    duration = doc.duration_seconds if doc is not None else None
    if duration is None:
        info = video_info(att.data)
        duration = info.duration_seconds if info else None
    if duration is None:
        problems.append(
            Problem(
                FIELD,
                "video_unreadable",
                f"视频“{att.name}”无法读取时长（文件可能已损坏），请重新导出 MP4 后发送",
            )
        )
    elif duration > rules.video_max_minutes * 60:
        problems.append(
            Problem(
                FIELD,
                "video_too_long",
                f"视频“{att.name}”时长 {_duration(duration)}，超过通知要求的 {_minutes(rules.video_max_minutes)}以内，"
                "请剪辑后重新发送",
            )
        )
    return problems


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    minutes, secs = divmod(whole, 60)
    return f"{minutes}分{secs:02d}秒" if minutes else f"{secs}秒"


def _minutes(value: float) -> str:
    if value >= 1 and float(value).is_integer():
        return f"{int(value)}分钟"
    return _duration(value * 60)

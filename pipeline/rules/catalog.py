"""The rules, in the order they run. Each is one named check."""

from __future__ import annotations

from datetime import timedelta

from ..model import Problem, Status
from .base import Context, Outcome, Rule


def _automatic(ctx: Context) -> Outcome | None:
    if ctx.message.automatic:
        return Outcome(Status.IGNORED, [Problem(None, "automatic", ctx.message.automatic)], final=True)
    return None


def _duplicate(ctx: Context) -> Outcome | None:
    if ctx.duplicate_of:
        msg = f"同一封邮件（Message-ID 相同）已收到过，按受理编号 {ctx.duplicate_of} 处理。"
        return Outcome(Status.DUPLICATE, [Problem(None, "duplicate", msg)], final=True)
    return None


UNOPENED = ("message_too_large", "message_unreadable")


def _unopened(ctx: Context) -> Outcome | None:
    """A mail we could not open is for staff: the raw copy is in the store."""
    problems = [p for p in ctx.message.problems if p.code in UNOPENED]
    if problems:
        return Outcome(Status.MANUAL_REVIEW, problems, final=True)
    return None


def _correspondence(ctx: Context) -> Outcome | None:
    """A reply or a letter with nothing to read is for staff, not a submission."""
    if ctx.forms or ctx.has_documents:
        return None
    if ctx.related_case:
        msg = f"来信回复受理编号 {ctx.related_case}，未附新的推荐表，已转工作人员处理。"
    else:
        msg = "来信未附推荐表或材料，已转工作人员处理。"
    return Outcome(Status.CORRESPONDENCE, [Problem(None, "correspondence", msg)], final=True)


def _unknown_unit(ctx: Context) -> Outcome | None:
    if ctx.unit is None:
        msg = (
            f"发件地址 {ctx.message.from_addr} 不在推荐单位名单中。请使用报名时登记的单位邮箱重新发送，"
            "或联系学会工作人员登记该地址。"
        )
        return Outcome(Status.UNKNOWN_UNIT, [Problem(None, "unknown_unit", msg)], final=True)
    return None


def _big_links(ctx: Context) -> Outcome | None:
    if ctx.message.big_links:
        lines = "；".join(
            link.url + (f"（{link.expires}过期）" if link.expires else "") for link in ctx.message.big_links
        )
        msg = f"材料以超大附件/网盘链接方式发送（{lines}），需工作人员下载核对，链接过期前请勿删除。"
        return Outcome(Status.MANUAL_REVIEW, [Problem("材料", "big_attachment_link", msg)])
    return None


def _form_missing(ctx: Context) -> Outcome | None:
    if ctx.forms:
        return None
    problems = [p for _, _, doc in ctx.files if doc for p in doc.problems]
    problems.extend(ctx.message.problems)
    problems.append(
        Problem(
            "推荐表",
            "form_missing",
            "附件中未找到推荐表（附件1）。请按通知附件1的格式填写推荐表，作为 Word、WPS、Excel 或 PDF 附件发送。",
        )
    )
    status = Status.MANUAL_REVIEW if ctx.message.big_links else Status.NEEDS_FIX
    return Outcome(status, problems)


def _fields(ctx: Context) -> Outcome | None:
    primary = ctx.primary
    if primary is None or not primary.problems:
        return None
    # OCR misreads are ours, not the unit's: a scan goes to staff, not back.
    status = Status.MANUAL_REVIEW if primary.form.is_scan else Status.NEEDS_FIX
    return Outcome(status, list(primary.problems))


def _scan(ctx: Context) -> Outcome | None:
    primary = ctx.primary
    if primary is None or not primary.form.is_scan:
        return None
    msg = "推荐表为扫描件或照片，内容由系统识别预填，工作人员将人工核对；如方便，请另发送可编辑的 Word/Excel 版本。"
    # A scan whose fields all validate is accepted; otherwise staff check it.
    status = Status.MANUAL_REVIEW if primary.problems else None
    return Outcome(status, [Problem("推荐表", "scan", msg)])


def _several_accounts(ctx: Context) -> Outcome | None:
    keys = {f.account_key for f in ctx.forms if f.account_key}
    if len(keys) > 1:
        names = "、".join(sorted({f.form.fields["账号名称"] for f in ctx.forms if f.account_key}))
        quota = ctx.config.this_level.quota_per_unit
        msg = f"一封邮件中包含多个账号的推荐表（{names}），每单位限推荐 {quota} 个账号，请只保留一个后重新发送。"
        return Outcome(Status.OVER_QUOTA, [Problem("账号名称", "several_accounts", msg)])
    return None


def _materials(ctx: Context) -> Outcome | None:
    if ctx.material_problems:
        return Outcome(Status.NEEDS_FIX, list(ctx.material_problems))
    return None


def _over_quota(ctx: Context) -> Outcome | None:
    primary = ctx.primary
    if primary is None:
        return None
    others = [a for a in ctx.active if a.account_key != primary.account_key]
    quota = ctx.config.this_level.quota_per_unit
    if len(others) >= quota:
        cases = "、".join(a.case_no for a in others)
        msg = (
            f"贵单位已推荐其他账号（受理编号 {cases}），每单位限推荐 {quota} 个账号。"
            "如需更换推荐账号，请先联系学会工作人员撤回原推荐。"
        )
        return Outcome(Status.OVER_QUOTA, [Problem("账号名称", "over_quota", msg)])
    return None


def _late(ctx: Context) -> Outcome | None:
    level = ctx.config.this_level
    cutoff = level.deadline + timedelta(minutes=level.grace_minutes)
    if ctx.arrival > cutoff and not ctx.late_allowed:
        when = ctx.arrival.astimezone(ctx.config.tz).strftime("%Y-%m-%d %H:%M")
        due = level.deadline.astimezone(ctx.config.tz).strftime("%Y-%m-%d %H:%M")
        msg = f"本邮件于 {when}（北京时间）到达，已超过报送截止时间 {due}。如有特殊情况，请联系学会工作人员。"
        return Outcome(Status.LATE, [Problem(None, "late", msg)])
    return None


# Order matters: the first `final` outcome wins; otherwise the strongest status
# among the hits wins (see engine.STATUS_PRIORITY) and all problems are shown.
RULES: tuple[Rule, ...] = (
    Rule("automatic", "自动回复、退信、群发邮件不予处理", _automatic),
    Rule("duplicate", "同一封邮件重复投递只处理一次", _duplicate),
    Rule("unopened", "无法拆读的邮件（过大或结构损坏）转工作人员", _unopened),
    Rule("correspondence", "没有推荐表或材料的来信转工作人员", _correspondence),
    Rule("unknown_unit", "发件人须在推荐单位名单中", _unknown_unit),
    Rule("late", "按到达时间（北京时间）检查报送截止时间", _late),
    Rule("over_quota", "每单位限推荐名额", _over_quota),
    Rule("several_accounts", "一封邮件只推荐一个账号", _several_accounts),
    Rule("form_missing", "须附推荐表", _form_missing),
    Rule("fields", "推荐表各栏须填写完整、格式正确", _fields),
    Rule("materials", "工作材料须符合通知要求（图文或视频）", _materials),
    Rule("big_links", "超大附件链接须人工下载核对", _big_links),
    Rule("scan", "扫描件须人工核对", _scan),
)

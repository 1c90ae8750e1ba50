"""The rules, in the order they run. Each is one named check."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..campaign import FormSpec
from ..config import Config
from ..model import Problem, Status
from .audience import FIELD_CODES
from .base import Context, Outcome, Rule, versions_of

# ---------------------------------------------------------------- problem wording
# The rules below and the staff decisions (pipeline/staff/) build these
# problems with the same functions, so a re-assessed submission reads the same.


def unknown_unit_problem(address: str) -> Problem:
    if not address:
        msg = "来信没有可识别的发件地址，无法确定推荐单位，也无法回复；已转工作人员处理。"
    else:
        msg = (
            f"发件地址 {address} 不在推荐单位名单中。请使用报名时登记的单位邮箱重新发送，"
            "或联系学会工作人员登记该地址。"
        )
    return Problem(None, "unknown_unit", msg)


def no_address_problem(name: str) -> Problem:
    """A sender with no address (From: "Server"): filed as usual, but nobody can be answered."""
    who = f"“{name}”" if name else "（空）"
    msg = (
        f"发件人一栏只有名称{who}，没有邮件地址：系统无法回复，也无法确定是哪个单位。请工作人员查看原始邮件。"
    )
    return Problem(None, "no_address", msg)


def late_problem(config: Config, arrival: datetime) -> Problem:
    due = config.this_level.deadline.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
    when = arrival.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
    msg = f"本邮件于 {when}（北京时间）到达，已超过报送截止时间 {due}。如有特殊情况，请联系学会工作人员。"
    return Problem(None, "late", msg)


def is_late(config: Config, arrival: datetime) -> bool:
    level = config.this_level
    return arrival > level.deadline + timedelta(minutes=level.grace_minutes)


def over_quota_problem(form: FormSpec, quota: int, cases: list[str], nominee: str = "") -> Problem:
    """The recorded reason, as staff read it (it names the unit's other submissions; a notice
    to a sender the roster does not give the unit words it with `over_quota_for_sender`).
    `nominee` names the account this case holds: one mail may carry several (a widened
    form), and their receipts share the subject and the file, so the unit must see which."""
    noun = form.noun
    this = f"本次报送的{noun}“{nominee}”暂不能受理。" if nominee else ""
    msg = (
        f"贵单位已推荐其他{noun}（受理编号 {'、'.join(cases)}），每单位限推荐 {quota} 个{noun}。{this}"
        f"如需更换推荐{noun}，请先联系学会工作人员撤回原推荐。"
    )
    return Problem(form.identity_label, "over_quota", msg)


def over_quota_for_sender(form: FormSpec, quota: int) -> Problem:
    """The over-quota reason as a notice says it to whoever sent the mail, who may not be
    the unit's registered contact (a sender staff assigned to the unit): it names no
    other submission, so a notice never shows a stranger another mail's case number."""
    noun = form.noun
    msg = (
        f"贵单位此前已推荐其他{noun}，每单位限推荐 {quota} 个{noun}。"
        f"如需更换推荐{noun}，请先联系学会工作人员撤回原推荐。"
    )
    return Problem(form.identity_label, "over_quota", msg)


def several_accounts_problem(form: FormSpec, quota: int, names: list[str]) -> Problem:
    noun = form.noun
    msg = (
        f"一封邮件中包含多个{noun}的{form.title}（{'、'.join(names)}），每单位限推荐 {quota} 个{noun}，"
        f"请只保留所推荐的{noun}后重新发送。"
    )
    return Problem(form.identity_label, "several_accounts", msg)


def scan_note(form: FormSpec) -> Problem:
    msg = f"{form.title}为扫描件或照片，内容由系统识别预填，工作人员将对照原件核对；如方便，请另发送可编辑的 Word/Excel 版本。"
    return Problem(form.title, "scan", msg)


def mostly_unsure(form: FormSpec, unsure: int) -> bool:
    """More than half of the form's values still to check: worth asking for a clearer copy."""
    return 2 * unsure > len(form.fields)


def scan_unclear_note(form: FormSpec, name: str, unsure: int) -> Problem:
    """Most of the form's values could not be read for sure (a small or blurred photo): the
    unit is asked, not told, to send a clearer copy; its new mail replaces this one
    (base.versions_of: the unsure name names no second account)."""
    msg = (
        f"《{name}》中的{form.title}大部分内容未能清晰识别（{len(form.fields)} 栏中有 {unsure} 栏待核对）。"
        "如方便，请回复本邮件补发清晰的原图（微信发送时请勾选“原图”）或 Word/WPS 电子版，补发的版本将替换本次报送；"
        "不补发的，工作人员将对照原件核对。"
    )
    return Problem(form.title, "scan_unclear", msg)


def form_missing_problem(form: FormSpec) -> Problem:
    """附件中未找到推荐表（附件1）… in the built-in campaign; the notice's annex as the campaign names it."""
    annex = form.name.split()[0] if form.name.startswith("附件") else ""
    msg = (
        f"附件中未找到{form.title}（{annex}）。请按通知{annex}的格式填写{form.title}"
        if annex
        else f"附件中未找到{form.title}。请按通知中的格式填写{form.title}"
    )
    return Problem(form.title, "form_missing", msg + "，作为 Word、WPS、Excel 或 PDF 附件发送。")


def _automatic(ctx: Context) -> Outcome | None:
    if ctx.message.automatic:
        return Outcome(Status.IGNORED, [Problem(None, "automatic", ctx.message.automatic)], final=True)
    return None


def _duplicate(ctx: Context) -> Outcome | None:
    if ctx.duplicate_of:
        msg = f"同一封邮件（Message-ID 相同）已收到过，按受理编号 {ctx.duplicate_of} 处理。"
        return Outcome(Status.DUPLICATE, [Problem(None, "duplicate", msg)], final=True)
    return None


def _before_opening(ctx: Context) -> Outcome | None:
    """Mail from before the campaign began (last year's, left in the mailbox) is not a submission."""
    opens = ctx.config.this_level.opens
    if opens is not None and ctx.arrival < opens:
        msg = (
            f"邮件在本次活动开始（{opens.astimezone(ctx.config.tz):%Y-%m-%d %H:%M}）之前到达，不属于本次活动，"
            "未作处理、未回复；原邮件已保存。"
        )
        return Outcome(Status.IGNORED, [Problem(None, "before_opening", msg)], final=True)
    return None


UNOPENED = ("message_too_large", "message_unreadable")


def _unopened(ctx: Context) -> Outcome | None:
    """A mail we could not open is for staff: the raw copy is in the store."""
    problems = [p for p in ctx.message.problems if p.code in UNOPENED]
    if problems:
        return Outcome(Status.MANUAL_REVIEW, problems, final=True)
    return None


def _no_address(ctx: Context) -> Outcome | None:
    """Not final: the mail is filed like any other, with a flag staff see."""
    if not ctx.message.from_addr:
        return Outcome(None, [no_address_problem(ctx.message.from_name)])
    return None


def _correspondence(ctx: Context) -> Outcome | None:
    """A reply or a letter with nothing to read is for staff, not a submission."""
    if ctx.forms or ctx.has_documents:
        return None
    if ctx.related_case:
        msg = f"来信回复受理编号 {ctx.related_case}，未附新的{ctx.config.form.title}，已转工作人员处理。"
    else:
        msg = f"来信未附{ctx.config.form.title}或材料，已转工作人员处理。"
    return Outcome(Status.CORRESPONDENCE, [Problem(None, "correspondence", msg)], final=True)


def _unknown_unit(ctx: Context) -> Outcome | None:
    # Not final: the rest of the mail is still checked, so that when staff assign
    # the sender to a unit the submission is re-assessed on what was found.
    if ctx.unit is None:
        return Outcome(Status.UNKNOWN_UNIT, [unknown_unit_problem(ctx.message.from_addr)])
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
    searched_in_part = any(p.code == "scan_incomplete" for p in problems)
    if not ctx.message.big_links and not searched_in_part:
        # With a download link the form may be in the linked file: staff look first.
        # A long scan searched in part already says so in one sentence (how many pages
        # it has, how many were seen, what to send): a second, generic one would
        # contradict it (issue 17.6).
        problems.append(form_missing_problem(ctx.config.form))
    return Outcome(None, problems)


def _fields(ctx: Context) -> Outcome | None:
    primary = ctx.primary
    if primary is None or not primary.problems:
        return None
    # On a scan these are OCR gaps: staff's to check (see audience.py), not the unit's.
    return Outcome(None, list(primary.problems))


def _scan(ctx: Context) -> Outcome | None:
    primary = ctx.primary
    if primary is None or not primary.form.is_scan:
        return None
    # A scan is always checked by a person: OCR can misread a value that still looks valid.
    # The reader's own note names the file; add ours only when it has none (never twice).
    has_note = any(p.code in ("scan", "scan_unread") for p in primary.problems)
    notes = [] if has_note else [scan_note(ctx.config.form)]
    # Most values still to check (a small or blurred photo), read in full (not a page the
    # machine ran short on, scan_unread): a clearer copy is worth asking for. Not when the
    # unit has a version of this nomination read for sure (the Word file it sent before):
    # staff compare with that.
    unsure = len(primary.form.uncertain)
    versions = versions_of(primary.account_key, primary.unsure, ctx.active) or []
    sure_version = any(not a.unsure for a in versions)
    cut_short = any(p.code == "scan_unread" for p in primary.problems)
    if mostly_unsure(ctx.config.form, unsure) and not cut_short and not sure_version:
        notes.append(scan_unclear_note(ctx.config.form, primary.attachment.name, unsure))
    return Outcome(Status.MANUAL_REVIEW, notes)


def _several_accounts(ctx: Context) -> Outcome | None:
    # A name read from a scan and still to be checked is no second account: the Word
    # file and a photo of the stamped form in one mail are one nomination.
    sure = [f for f in ctx.forms if f.account_key and not f.unsure]
    if len({f.account_key for f in sure}) > 1:
        names = sorted({f.nominee for f in sure})
        return Outcome(Status.OVER_QUOTA, [several_accounts_problem(ctx.config.form, ctx.quota, names)])
    return None


def _materials(ctx: Context) -> Outcome | None:
    if ctx.material_problems:
        return Outcome(Status.NEEDS_FIX, list(ctx.material_problems))
    return None


def _over_quota(ctx: Context) -> Outcome | None:
    primary = ctx.primary
    if primary is None:
        return None
    found = versions_of(primary.account_key, primary.unsure, ctx.active)
    if found is None:
        return None  # an unchecked name, several accounts: staff tell which once they check it
    replaced = {a.case_no for a in found}
    others = [a for a in ctx.active if a.case_no not in replaced]
    quota = ctx.quota
    if len(others) >= quota:
        cases = [a.case_no for a in others]
        problem = over_quota_problem(ctx.config.form, quota, cases, primary.nominee)
        return Outcome(Status.OVER_QUOTA, [problem])
    return None


def _late(ctx: Context) -> Outcome | None:
    if is_late(ctx.config, ctx.arrival) and not ctx.late_allowed:
        return Outcome(Status.LATE, [late_problem(ctx.config, ctx.arrival)])
    return None


# Order matters: the first `final` outcome wins; otherwise all problems add up
# and rules.audience.derive_status() gives the status (the same function staff
# decisions use when they re-assess a submission).
RULES: tuple[Rule, ...] = (
    Rule("automatic", "自动回复、退信、群发邮件不予处理", _automatic),
    Rule("duplicate", "同一封邮件重复投递只处理一次", _duplicate),
    Rule("before_opening", "活动开始前到达的邮件不处理、不回复", _before_opening),
    Rule("no_address", "没有发件地址的来信照常登记，标明无法回复", _no_address),
    Rule("unopened", "无法拆读的邮件（过大或结构损坏）转工作人员", _unopened),
    Rule("correspondence", "没有推荐表或材料的来信转工作人员", _correspondence),
    Rule("unknown_unit", "发件人须在推荐单位名单中", _unknown_unit, frozenset({"unknown_unit"})),
    Rule("late", "按到达时间（北京时间）检查报送截止时间", _late, frozenset({"late"})),
    Rule("over_quota", "每单位限推荐名额", _over_quota, frozenset({"over_quota"})),
    Rule("several_accounts", "一封邮件只推荐一个账号", _several_accounts),
    Rule("form_missing", "须附推荐表", _form_missing),
    Rule("fields", "推荐表各栏须填写完整、格式正确", _fields, FIELD_CODES),
    Rule("materials", "工作材料须符合通知要求（图文或视频）", _materials),
    Rule("big_links", "超大附件链接须人工下载核对", _big_links),
    Rule("scan", "扫描件须人工核对", _scan),
)

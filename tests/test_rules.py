"""The rule chain as a pure function of its context."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipeline.campaign import builtin
from pipeline.config import Config, Mailbox, Smtp, ThisLevel, Unit
from pipeline.documents.ocr import incomplete_problem
from pipeline.model import Attachment, AttachmentKind, Document, FormResult, ParsedMessage, Problem, Status
from pipeline.roster import Roster
from pipeline.rules import (
    RULES,
    ActiveSubmission,
    Context,
    FormFound,
    account_key,
    decide,
    replaced_by,
    versions_of,
)
from pipeline.rules.accounts import split_by_account
from pipeline.rules.audience import split

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime(2021, 8, 2, 0, 0, tzinfo=TZ)


def config(grace: int = 0) -> Config:
    return Config(
        campaign="测试",
        this_level=ThisLevel(name="学会", deadline=DEADLINE, grace_minutes=grace),
        mailboxes=[Mailbox(name="m", kind="folder", path="x")],
        units=[Unit("北京针灸学会", ["bj@bj.example.cn"]), Unit("上海市针灸学会", [], ["shzj.example.cn"])],
        smtp=Smtp(dry_run=True, from_addr="me@example.org"),
    )


def form(
    account: str = "北京针灸", problems: list[Problem] | None = None, scan: bool = False, unsure: bool = False
) -> FormFound:
    """`unsure`: a scan whose account name the OCR was not sure of (staff must check it)."""
    fields = dict.fromkeys(builtin().form.labels, "x")
    fields["账号名称"] = account
    result = FormResult(file="a.docx", fields=fields, labels_found=15, is_scan=scan or unsure)
    result.uncertain = ["账号名称"] if unsure else []
    return FormFound(Attachment("a.docx", b"x"), result, {}, problems or [], "账号名称")


def ctx(**kw) -> Context:
    msg = kw.pop("message", None) or ParsedMessage("id@x", "推荐表", "bj@bj.example.cn", "")
    forms = kw.pop("forms", [form()])
    files = [(f.attachment, AttachmentKind.FORM, None) for f in forms]
    base = dict(
        config=config(kw.pop("grace", 0)),
        message=msg,
        arrival=kw.pop("arrival", DEADLINE - timedelta(days=3)),
        unit=kw.pop("unit", "北京针灸学会"),
        forms=forms,
        files=files,
        material_problems=kw.pop("material_problems", []),
        active=kw.pop("active", []),
    )
    base.update(kw)
    return Context(**base)


def test_every_rule_has_a_code_and_a_chinese_description():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r.description) for r in RULES)


def test_clean_submission_is_accepted():
    assert decide(ctx()).status is Status.ACCEPTED


def test_field_problems_need_fixing_and_are_itemized():
    p = Problem("手机", "phone_invalid", "「手机」应为11位手机号码")
    d = decide(ctx(forms=[form(problems=[p])]))
    assert d.status is Status.NEEDS_FIX and d.problems == [p]


def test_late_by_arrival_with_grace():
    assert decide(ctx(arrival=DEADLINE + timedelta(minutes=5))).status is Status.LATE
    assert decide(ctx(arrival=DEADLINE + timedelta(minutes=5), grace=10)).status is Status.ACCEPTED
    assert decide(ctx(arrival=DEADLINE + timedelta(minutes=5), late_allowed=True)).status is Status.ACCEPTED


def test_late_keeps_field_problems_for_the_unit_to_see():
    p = Problem("邮编", "postcode_invalid", "邮编应为6位数字")
    d = decide(ctx(arrival=DEADLINE + timedelta(hours=1), forms=[form(problems=[p])]))
    assert d.status is Status.LATE and p in d.problems


def test_another_account_is_over_quota_but_the_same_account_is_a_correction():
    other = [ActiveSubmission("TJ-1", account_key("京城中医针灸"), Status.ACCEPTED)]
    assert decide(ctx(active=other)).status is Status.OVER_QUOTA
    same = [ActiveSubmission("TJ-1", account_key("北京 针灸"), Status.NEEDS_FIX)]
    assert decide(ctx(active=same)).status is Status.ACCEPTED


def test_two_accounts_in_one_mail_are_over_quota():
    d = decide(ctx(forms=[form("甲"), form("乙")]))
    assert d.status is Status.OVER_QUOTA


def test_a_name_misread_from_a_scan_names_no_second_account():
    """An account name read from a scan that staff have not checked may be a misreading
    ("北京" for 北京针灸): it is never taken as a second account of the unit."""
    # The Word file and a photo of the stamped form in one mail are one nomination.
    assert decide(ctx(forms=[form("北京针灸"), form("北京", unsure=True)])).status is Status.ACCEPTED
    # The same misreading, read for sure (checked), is another account.
    assert decide(ctx(forms=[form("北京针灸"), form("北京", scan=True)])).status is Status.OVER_QUOTA
    # The Word file after the unreadable photo is its new version; and a photo after the Word file.
    photo = ActiveSubmission("BJ-1", account_key("北京"), Status.MANUAL_REVIEW, unsure=True)
    assert decide(ctx(active=[photo])).status is Status.ACCEPTED
    word = ActiveSubmission("BJ-1", account_key("北京针灸"), Status.ACCEPTED)
    assert decide(ctx(forms=[form("北京", unsure=True)], active=[word])).status is Status.MANUAL_REVIEW
    # A second account of its own is still over the quota beside an unsure photo.
    other = ActiveSubmission("BJ-2", account_key("京城中医针灸"), Status.ACCEPTED)
    assert decide(ctx(active=[photo, other])).status is Status.OVER_QUOTA


def test_an_unsure_name_beside_several_accounts_is_for_staff_to_tell():
    """With a quota of two and two accounts active, a photo whose name is unsure may be a
    new version of either or a third account: staff tell once they check the name."""
    two = [
        ActiveSubmission("BJ-1", account_key("北京针灸"), Status.ACCEPTED),
        ActiveSubmission("BJ-2", account_key("京城中医针灸"), Status.ACCEPTED),
    ]
    assert versions_of(account_key("北京针"), True, two) is None
    d = decide(ctx(forms=[form("北京针", unsure=True)], active=two, quota=2))
    assert d.status is Status.MANUAL_REVIEW
    # Read for sure, the same name is a third account.
    assert decide(ctx(forms=[form("北京针", scan=True)], active=two, quota=2)).status is Status.OVER_QUOTA
    assert versions_of(account_key("北京针灸"), True, two) == two[:1]


def test_unknown_sender_with_a_form():
    assert decide(ctx(unit=None)).status is Status.UNKNOWN_UNIT


def test_mail_without_documents_is_correspondence():
    d = decide(ctx(forms=[], files=[], related_case="TJ-20210720-0001"))
    assert d.status is Status.CORRESPONDENCE and "TJ-20210720-0001" in d.problems[0].message


def test_robots_and_duplicates_stop_the_chain():
    robot = ParsedMessage("id", "自动回复", "bj@bj.example.cn", "", automatic="自动回复")
    assert decide(ctx(message=robot)).status is Status.IGNORED
    assert decide(ctx(duplicate_of="TJ-1")).status is Status.DUPLICATE


def test_attachments_without_a_form_need_fixing():
    att = Attachment("案例.docx", b"x")
    d = decide(ctx(forms=[], files=[(att, AttachmentKind.ARTICLE, None)]))
    assert d.status is Status.NEEDS_FIX
    assert any(p.code == "form_missing" for p in d.problems)


def test_a_long_scan_searched_in_part_is_one_sentence():
    """Issue 17.6: a 2,000-page scan got two notes that disagreed. Its reader's note
    (pages it has, pages seen, send the form apart) is the only word on the missing form."""
    att = Attachment("扫描汇编.pdf", b"x")
    doc = Document(
        "扫描汇编.pdf", "pdf", problems=[incomplete_problem("扫描汇编.pdf", 2000, 51)], is_scan=True
    )
    d = decide(ctx(forms=[], files=[(att, AttachmentKind.OTHER, doc)]))
    assert d.status is Status.NEEDS_FIX
    assert [p.code for p in d.problems] == ["scan_incomplete"]
    assert "2000 页的扫描件，系统只查看了前 51 页，未在其中找到推荐表" in d.problems[0].message


@pytest.mark.parametrize("valid", [True, False])
def test_a_scan_is_always_checked_by_staff_and_its_ocr_gaps_are_not_the_units(valid):
    """OCR can misread a value that still looks valid (1.1万 → 1万): a person checks every scan.
    A field the OCR could not read is staff's to check, never a fix-it item for the unit."""
    problems = [] if valid else [Problem("手机", "missing", "推荐表未填写「手机」，请补充后重新发送。")]
    d = decide(ctx(forms=[form(problems=problems, scan=True)]))
    assert d.status is Status.MANUAL_REVIEW
    assert any(p.code == "scan" for p in d.problems)
    groups = split(d.problems, is_scan=True)
    assert groups["unit"] == []
    assert [p.code for p in groups["staff"]] == ([] if valid else ["missing"])


def test_an_unknown_sender_is_still_checked_so_that_assigning_can_reassess():
    msg = ParsedMessage("id", "推荐表", "someone@163.example.com", "")
    d = decide(ctx(message=msg, unit=None, forms=[form(problems=[Problem("手机", "missing", "请填写手机")])]))
    assert d.status is Status.UNKNOWN_UNIT
    assert [p.code for p in d.problems][:1] == ["unknown_unit"] and any(
        p.code == "missing" for p in d.problems
    )


def test_material_problems_need_fixing():
    p = Problem("材料", "too_few_pictures", "图文案例至少配发三张图片")
    assert decide(ctx(material_problems=[p])).status is Status.NEEDS_FIX


def test_roster_matches_address_then_domain_and_subdomain():
    roster = Roster(config().units)
    assert roster.unit_for("BJ@bj.example.cn") == "北京针灸学会"
    assert roster.unit_for("anyone@shzj.example.cn") == "上海市针灸学会"
    assert roster.unit_for("a@mail.shzj.example.cn") == "上海市针灸学会"
    assert roster.unit_for("bj@other.example.cn") is None


def test_a_mail_too_big_to_open_goes_to_staff():
    msg = ParsedMessage("id", "视频", "bj@bj.example.cn", "")
    msg.problems.append(Problem(None, "message_too_large", "邮件超过 100 MB"))
    d = decide(ctx(message=msg, forms=[], files=[]))
    assert d.status is Status.MANUAL_REVIEW and d.problems[0].code == "message_too_large"


def test_big_attachment_links_go_to_staff_with_their_expiry():
    from pipeline.model import BigAttachmentLink

    msg = ParsedMessage("id", "材料", "bj@bj.example.cn", "")
    msg.big_links.append(
        BigAttachmentLink("qq", "https://wx.mail.qq.com/ftn/x", "视频.mp4", "2021-08-15 10:00")
    )
    d = decide(ctx(message=msg))
    assert d.status is Status.MANUAL_REVIEW
    assert (
        "https://wx.mail.qq.com/ftn/x" in d.problems[0].message
        and "2021-08-15 10:00过期" in d.problems[0].message
    )


def test_a_photo_with_an_unsure_name_beside_the_word_file_is_not_split_off():
    """Quota 2: the Word file and a photo of it whose name is unsure stay one submission;
    two names read for sure are two."""
    word, photo = form("北京针灸"), form("北京", unsure=True)
    files = [(f.attachment, AttachmentKind.FORM, None) for f in (word, photo)]
    assert len(split_by_account([word, photo], files, quota=2)) == 1
    second = form("京城中医针灸")
    files.append((second.attachment, AttachmentKind.FORM, None))
    parts = split_by_account([word, photo, second], files, quota=2)
    assert [[f.nominee for f in forms] for forms, _ in parts] == [["北京针灸"], ["京城中医针灸"]]


def test_a_scan_with_most_values_to_check_asks_for_a_clearer_copy():
    labels = builtin().form.labels

    def photo(unsure: int, unread: bool = False) -> FormFound:
        found = form(scan=True)
        found.form.uncertain = labels[:unsure]
        if unread:
            found.problems = [Problem(None, "scan_unread", "机器资源不足，工作人员将对照原件录入")]
        return found

    def codes(found: FormFound) -> list[str]:
        return [p.code for p in decide(ctx(forms=[found])).problems]

    assert codes(photo(7)) == ["scan"]  # 7 of 15 to check: staff check, nothing asked
    assert codes(photo(8)) == ["scan", "scan_unclear"]
    d = decide(ctx(forms=[photo(13)]))
    assert d.status is Status.MANUAL_REVIEW and "15 栏中有 13 栏待核对" in d.problems[-1].message
    # Not read because the machine ran short: the photo is not to blame.
    assert codes(photo(15, unread=True)) == ["scan_unread"]


def test_an_unsure_photo_never_pushes_out_a_name_read_for_sure():
    """The Word file replaces an earlier photo whose name is unsure; a photo whose unsure
    name differs from the Word file's stays beside it (within the quota) for staff."""
    photo = ActiveSubmission("BJ-1", account_key("北京"), Status.MANUAL_REVIEW, unsure=True)
    word = ActiveSubmission("BJ-2", account_key("北京针灸"), Status.ACCEPTED)
    assert replaced_by(account_key("北京针灸"), False, [photo]) == [photo]
    assert versions_of(account_key("北京"), True, [word]) == [word]  # not over the quota ...
    assert replaced_by(account_key("北京"), True, [word]) == []  # ... and not replacing it
    assert replaced_by(account_key("北京针灸"), True, [word]) == [word]  # the same name still does
    assert replaced_by(account_key("北京针"), True, [photo]) == [photo]  # an unsure one, another


def test_no_clearer_copy_is_asked_for_when_the_unit_sent_one_read_for_sure():
    found = form("北京", unsure=True)
    found.form.uncertain = builtin().form.labels[:13]
    word = ActiveSubmission("BJ-2", account_key("北京针灸"), Status.ACCEPTED)
    assert [p.code for p in decide(ctx(forms=[found], active=[word])).problems] == ["scan"]
    photo = ActiveSubmission("BJ-1", account_key("北京针"), Status.MANUAL_REVIEW, unsure=True)
    assert [p.code for p in decide(ctx(forms=[found], active=[photo])).problems] == ["scan", "scan_unclear"]

"""Follow-up notices read as one letter composed from the state after the decision
(issue: allow-late said 已受理 and "已超过报送截止时间"; assign said 已受理 and
"请使用…单位邮箱重新发送"; a scan was told to fill in fields it had filled).

Everything runs as staff would: dovecot + `run.py once`, `run.py decide … --send`,
and the notice is read from what the real SMTP server received.
"""

from __future__ import annotations

import email
from datetime import datetime
from email import policy

import pytest
from intake_env import DOCX, TZ, Nomination, export, run, submission, write_config
from samples import form_scan

PNG = ("image", "png")


def mails(smtp, since: int = 0):
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[since:]]


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def case_of(config, message_id: str) -> str:
    return next(r["case_no"] for r in export(config) if r["message_id"] == message_id)


def scan_submission(sender: str, msg_id: str, nomination: Nomination) -> bytes:
    msg = email.message.EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "推荐表（盖章扫描件）"
    msg["Message-ID"] = f"<{msg_id}>"
    msg.set_content("附件是盖章后的推荐表扫描件和案例，请查收。")
    msg.add_attachment(form_scan(nomination), maintype=PNG[0], subtype=PNG[1], filename="推荐表扫描件.png")
    from samples import article_docx

    msg.add_attachment(article_docx("图文案例"), maintype=DOCX[0], subtype=DOCX[1], filename="图文案例.docx")
    return msg.as_bytes()


@pytest.fixture
def society(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account

    def deliver(raw: bytes, when: datetime) -> None:
        dovecot_server.append(user, password, "INBOX", raw, when)

    return config, smtp_server, deliver


def assert_one_letter(text: str, salutation: str) -> None:
    """Salutation first, then the greeting; the staff opinion is never above them."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0] == f"{salutation}：", lines[:3]
    assert lines[1].startswith("您好！")
    if "工作人员意见" in text:
        assert text.index("工作人员意见") > text.index("您好！")


def test_allow_late_notice_has_no_stale_late_problem(society):
    config, smtp, deliver = society
    nom = Nomination.sample("天津市针灸学会", "津门针灸")
    deliver(
        submission("tjzj@tj.example.cn", "天津推荐（晚了）", "tj-late@tj.example.cn", nomination=nom),
        datetime(2021, 8, 2, 9, 30, tzinfo=TZ),
    )
    run(config, "once")
    receipt = mails(smtp)[-1]
    assert "逾期" in receipt["Subject"]
    case = case_of(config, "tj-late@tj.example.cn")
    before = len(smtp.messages())
    run(
        config,
        "decide",
        "allow-late",
        case,
        "--reason",
        "系统故障导致延误，同意逾期报送",
        "--by",
        "刘晶晶",
        "--send",
    )
    (notice,) = mails(smtp, before)
    text = text_of(notice)
    assert "已受理" in notice["Subject"] and "处理结果" in notice["Subject"]
    assert_one_letter(text, "天津市针灸学会")
    assert "工作人员意见：系统故障导致延误，同意逾期报送" in text
    rest = text.replace("工作人员意见：系统故障导致延误，同意逾期报送", "")
    assert "超过报送截止时间" not in rest and "逾期" not in rest
    assert "无需再次发送" in text
    assert "重新发送" not in text.split("无需再次发送")[0]


def test_assign_notice_does_not_ask_to_resend_from_the_roster_address(society):
    config, smtp, deliver = society
    nom = Nomination.sample("江苏省针灸学会", "江苏针灸")
    deliver(
        submission(
            "newstaff@jiangsu-mail.example.com",
            "江苏省针灸学会推荐表",
            "js-new@x.example.com",
            nomination=nom,
        ),
        datetime(2021, 7, 20, 9, 0, tzinfo=TZ),
    )
    run(config, "once")
    assert "发件人不在名单" in mails(smtp)[-1]["Subject"]
    case = case_of(config, "js-new@x.example.com")
    before = len(smtp.messages())
    run(config, "decide", "assign", case, "--unit", "江苏省针灸学会", "--send")
    (notice,) = mails(smtp, before)
    text = text_of(notice)
    assert "已受理" in notice["Subject"]
    assert_one_letter(text, "江苏省针灸学会")
    assert "不在推荐单位名单" not in text and "单位邮箱重新发送" not in text
    rec = next(r for r in export(config) if r["case_no"] == case)
    assert rec["unit"] == "江苏省针灸学会" and rec["status"] == "accepted" and rec["problems"] == []


def test_a_stranger_assigned_over_quota_is_told_nothing_about_the_units_other_mail(society):
    """Issue 20.6: a stranger staff assign to a unit that already nominated another account is
    told the quota is used, and nothing about that other submission (its case number, its
    account); the unit's own address still learns which earlier mail a correction replaced."""
    config, smtp, deliver = society
    deliver(
        submission(
            "tjzj@tj.example.cn",
            "天津推荐",
            "tj-1@tj.example.cn",
            nomination=Nomination.sample("天津市针灸学会", "津门针灸"),
        ),
        datetime(2021, 7, 20, 9, 0, tzinfo=TZ),
    )
    deliver(
        submission(
            "someone@163.example.com",
            "推荐表",
            "x-1@163.example.com",
            nomination=Nomination.sample("某医院", "某医院针灸科"),
        ),
        datetime(2021, 7, 21, 9, 0, tzinfo=TZ),
    )
    run(config, "once")
    tianjin, stranger = case_of(config, "tj-1@tj.example.cn"), case_of(config, "x-1@163.example.com")
    before = len(smtp.messages())
    run(config, "decide", "assign", stranger, "--unit", "天津市针灸学会", "--send")
    (notice,) = mails(smtp, before)
    text = text_of(notice)
    assert notice["To"] == "someone@163.example.com" and "超出名额" in notice["Subject"]
    assert "限推荐 1 个账号" in text
    assert tianjin not in text and tianjin not in notice["Subject"] and "津门针灸" not in text
    # Staff still see the unit's other mail beside the case.
    assert tianjin in run(config, "show", stranger).stdout

    # The unit's own address sending a corrected version is told which mail it replaced.
    deliver(
        submission(
            "tjzj@tj.example.cn",
            "天津推荐（更正）",
            "tj-2@tj.example.cn",
            nomination=Nomination.sample("天津市针灸学会", "津门针灸", 运营人数="6"),
        ),
        datetime(2021, 7, 22, 9, 0, tzinfo=TZ),
    )
    before = len(smtp.messages())
    run(config, "once")
    (receipt,) = mails(smtp, before)
    assert receipt["To"] == "tjzj@tj.example.cn" and f"已替换此前的报送（受理编号 {tianjin}）" in text_of(
        receipt
    )

    # ...and, sending another account, which of its nominations holds the place.
    deliver(
        submission(
            "tjzj@tj.example.cn",
            "天津另一个账号",
            "tj-3@tj.example.cn",
            nomination=Nomination.sample("天津市针灸学会", "津沽针灸"),
        ),
        datetime(2021, 7, 23, 9, 0, tzinfo=TZ),
    )
    current = case_of(config, "tj-2@tj.example.cn")
    before = len(smtp.messages())
    run(config, "once")
    (over,) = mails(smtp, before)
    assert "超出名额" in over["Subject"] and f"受理编号 {current}" in text_of(over)


def test_scan_receipt_is_for_staff_to_check_and_accept_repeats_nothing(society):
    config, smtp, deliver = society
    nom = Nomination.sample("北京针灸学会", "京针之声", 联系人="许诺", 手机="13912345678")
    deliver(
        scan_submission("bjzj@bj.example.cn", "bj-scan@bj.example.cn", nom),
        datetime(2021, 7, 21, 9, 0, tzinfo=TZ),
    )
    run(config, "once")
    (receipt,) = mails(smtp)
    text = text_of(receipt)
    assert "待人工核对" in receipt["Subject"]
    assert_one_letter(text, "北京针灸学会")
    # OCR gaps are staff's to check: the unit did fill the form in.
    assert "请补充后重新发送" not in text and "请更正后重新发送" not in text
    assert "暂无需重新发送" in text
    assert text.count("扫描件或照片") == 1  # the scan note once, not twice

    case = case_of(config, "bj-scan@bj.example.cn")
    # Staff phone the unit: the contact has changed since the form was stamped.
    run(config, "decide", "correct", case, "--field", "联系人", "--value", "许诺诺", "--reason", "电话确认")
    run(
        config, "decide", "correct", case, "--field", "手机", "--value", "13800000001", "--reason", "电话确认"
    )
    before = len(smtp.messages())
    run(config, "decide", "accept", case, "--by", "刘晶晶", "--send")
    (notice,) = mails(smtp, before)
    text = text_of(notice)
    assert "已受理" in notice["Subject"]
    assert_one_letter(text, "北京针灸学会")
    for stale in ("未填写「", "请补充", "请更正", "重新发送。", "工作人员将对照原件核对", "待人工核对"):
        assert stale not in text, stale
    assert "联系人：许诺诺" in text and "手机：13800000001" in text  # the corrected values
    assert "已经工作人员核对" in text
    rec = next(r for r in export(config) if r["case_no"] == case)
    assert rec["fields"]["联系人"] == "许诺诺" and rec["fields_read"]["联系人"] != "许诺诺"


def test_return_for_correction_lists_only_what_staff_chose(society):
    config, smtp, deliver = society
    nom = Nomination.sample("天津市针灸学会", "津门针灸", 手机="022-2345678", 邮编="3000")
    deliver(
        submission("tjzj@tj.example.cn", "天津推荐表", "tj-1@tj.example.cn", nomination=nom),
        datetime(2021, 7, 20, 9, 0, tzinfo=TZ),
    )
    run(config, "once")
    case = case_of(config, "tj-1@tj.example.cn")
    # Staff fix the post code themselves and send back only the phone, plus a request of their own.
    run(config, "decide", "correct", case, "--field", "邮编", "--value", "300020", "--reason", "电话确认")
    shown = run(config, "show", case).stdout
    options = shown.split("可退回补正的问题")[1].split("推荐表内容")[0]
    assert "「手机」应为11位手机号码" in options and "「邮编」" not in options
    before = len(smtp.messages())
    run(config, "decide", "return", case, "--fix", "1", "--ask", "请在推荐表上加盖单位公章。", "--send")
    (notice,) = mails(smtp, before)
    text = text_of(notice)
    assert "需补正" in notice["Subject"]
    assert_one_letter(text, "天津市针灸学会")
    numbered = [line for line in text.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(numbered) == 2, numbered
    assert "手机" in numbered[0] and "加盖单位公章" in numbered[1]
    assert "邮编：300020" in text and "「邮编」应为6位数字" not in text


def test_preview_changes_nothing(society):
    config, smtp, deliver = society
    nom = Nomination.sample("天津市针灸学会", "津门针灸")
    deliver(
        submission("tjzj@tj.example.cn", "天津推荐（晚了）", "tj-late2@tj.example.cn", nomination=nom),
        datetime(2021, 8, 3, 9, 30, tzinfo=TZ),
    )
    run(config, "once")
    case = case_of(config, "tj-late2@tj.example.cn")
    before = len(smtp.messages())
    out = run(config, "decide", "allow-late", case, "--preview").stdout
    assert "预览" in out and "通知单位的邮件" in out and "已受理" in out
    rec = next(r for r in export(config) if r["case_no"] == case)
    assert rec["status"] == "late"
    run(config, "once")
    assert len(smtp.messages()) == before

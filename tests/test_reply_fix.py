"""A unit fixes its submission by replying to the receipt (issue 21), through the real
servers: the submission and the reply go into dovecot, `run.py once` reads them, the
receipt and the notice answering the reply come out of the aiosmtpd server. The replies
are written the way QQ Mail, 163, Foxmail and Outlook write them (tests/reply_samples.py)."""

from __future__ import annotations

import email
import shutil
from datetime import datetime
from email import policy

import pytest
from intake_env import TZ, Nomination, export, run, submission, write_config
from reply_samples import CLIENTS, Received, foxmail, netease, outlook, qq

TIANJIN = "tjzj@tj.example.cn"
SENT = datetime(2021, 7, 21, 10, 0, tzinfo=TZ)
REPLIED = datetime(2021, 7, 22, 9, 31, tzinfo=TZ)


@pytest.fixture
def intake(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account

    def deliver(raw: bytes, arrival: datetime) -> None:
        dovecot_server.append(user, password, "INBOX", raw, arrival)

    return config, deliver, smtp_server


def mails(smtp, since: int = 0) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[since:]]


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def submit(config, deliver, smtp, sender=TIANJIN, unit="天津市针灸学会", account="津门针灸", **wrong):
    """A submission with the given fields wrong; returns (case number, the receipt as received)."""
    nomination = Nomination.sample(unit, account, **wrong)
    msg_id = f"sub-{len(account)}-{abs(hash(account)) % 10**8}@x.example.cn"
    deliver(submission(sender, f"{unit}推荐表", msg_id, nomination=nomination), SENT)
    run(config, "once", "--quiet")
    receipt = next(m for m in mails(smtp) if m["To"] == sender and str(m["Subject"]).startswith("【回执】"))
    case = str(receipt["Subject"]).removeprefix("【回执】").split()[0]
    return case, Received(str(receipt["Message-ID"]), str(receipt["Subject"]), body(receipt))


def record(config, case_no: str) -> dict:
    return next(r for r in export(config) if r["case_no"] == case_no)


def letter_of(config, message_id: str) -> dict:
    return next(r for r in export(config) if r["message_id"] == message_id)


def reply_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip("<>")


def test_a_one_line_reply_makes_the_case_accepted_with_exactly_one_notice(intake):
    config, deliver, smtp = intake
    case, receipt = submit(config, deliver, smtp, 手机="022-2345678")
    assert record(config, case)["status"] == "needs_fix"
    assert "直接回复本邮件" in receipt.text and "手机：13912345678" in receipt.text  # the receipt says how
    before = len(smtp.messages())

    raw = qq(receipt, "手机：13912345678", TIANJIN, "天津市针灸学会")
    deliver(raw, REPLIED)
    run(config, "once", "--quiet")

    fixed = record(config, case)
    assert fixed["status"] == "accepted"
    assert fixed["fields"]["手机"] == "13912345678"
    assert fixed["fields_read"]["手机"] == "022-2345678"  # what was read stays
    assert fixed["sources"]["手机"] == "单位回复（2021-07-22）"
    sent = mails(smtp, before)
    assert len(sent) == 1  # one notice answers the reply
    notice = sent[0]
    assert notice["To"] == TIANJIN
    assert str(notice["In-Reply-To"]).strip() == f"<{reply_id(raw)}>"
    assert receipt.message_id in notice["References"]
    assert str(notice["Subject"]).startswith(f"【处理结果】{case} 已受理")
    text = body(notice)
    assert "已根据您的回复更新：手机 13912345678。" in text and "推荐材料已受理" in text
    letter = letter_of(config, reply_id(raw))
    assert letter["status"] == "correspondence" and letter["answered"] is True  # nothing left for staff
    # The history says who changed what, from which mail.
    shown = run(config, "show", case).stdout
    assert "按单位回复更正：「手机」“022-2345678”→“13912345678”" in shown and letter["case_no"] in shown

    run(config, "once", "--quiet")  # nothing happens twice
    assert len(smtp.messages()) == before + 1


def test_an_invalid_value_keeps_it_needs_fix_with_the_reason(intake):
    config, deliver, smtp = intake
    case, receipt = submit(config, deliver, smtp, 邮编="3000")
    before = len(smtp.messages())
    deliver(netease(receipt, "邮编：12345", TIANJIN, "天津市针灸学会"), REPLIED)
    run(config, "once", "--quiet")

    kept = record(config, case)
    assert kept["status"] == "needs_fix"
    # The unit's new text is kept (it was wrong before too) and is still flagged.
    assert kept["fields"]["邮编"] == "12345"
    assert [p["code"] for p in kept["problems"] if p["field"] == "邮编"] == ["postcode_invalid"]
    sent = mails(smtp, before)
    assert len(sent) == 1
    text = body(sent[0])
    assert "需补正" in sent[0]["Subject"]
    assert "已按您的回复把「邮编」改为“12345”，但格式仍不正确" in text
    assert "「邮编」应为6位数字（如 100029），当前填写为“12345”" in text


def test_a_malformed_value_never_replaces_a_valid_one(intake):
    config, deliver, smtp = intake
    case, receipt = submit(config, deliver, smtp, 邮编="3000")
    before = len(smtp.messages())
    deliver(foxmail(receipt, "邮编：300010\n手机：1391234", TIANJIN, "天津市针灸学会"), REPLIED)
    run(config, "once", "--quiet")

    fixed = record(config, case)
    assert fixed["status"] == "accepted"
    assert fixed["fields"]["手机"] == "138 1234 5678"  # the valid number stays
    text = body(mails(smtp, before)[0])
    assert "已根据您的回复更新：邮编 300010。" in text
    assert "未采用「手机」“1391234”：格式不正确" in text and "仍为原内容“138 1234 5678”" in text


def test_a_reply_from_another_address_changes_nothing_and_tells_no_one(intake):
    config, deliver, smtp = intake
    case, receipt = submit(config, deliver, smtp, 手机="022-2345678")
    before = len(smtp.messages())
    stranger = "someone@elsewhere.example.com"
    raw = outlook(receipt, "手机：13912345678", stranger, "某人")
    deliver(raw, REPLIED)
    run(config, "once", "--quiet")

    unchanged = record(config, case)
    assert unchanged["status"] == "needs_fix" and unchanged["fields"]["手机"] == "022-2345678"
    assert len(smtp.messages()) == before  # no notice, and none to the stranger
    letter = letter_of(config, reply_id(raw))
    assert letter["status"] == "correspondence" and letter["answered"] is False  # a question for staff
    assert "不是该单位登记的邮箱" in letter["problems"][0]["message"]
    listed = run(config, "reply-fix").stdout  # staff see it, with the warning, and may take it after checking
    assert letter["case_no"] in listed and "请先核实" in listed
    left = run(config, "reply-fix", letter["case_no"], "--decline", "--by", "刘晶晶").stdout
    assert "不采用来信" in left
    run(config, "once", "--quiet")
    assert len(smtp.messages()) == before  # leaving it tells no one either
    assert record(config, case)["fields"]["手机"] == "022-2345678"


def test_lines_inside_the_quote_change_nothing(intake):
    config, deliver, smtp = intake
    case, receipt = submit(config, deliver, smtp, 手机="022-2345678")
    before = len(smtp.messages())
    edited = Received(
        receipt.message_id, receipt.subject, receipt.text.replace("手机：022-2345678", "手机：13912345678")
    )
    for i, build in enumerate((qq, foxmail)):
        raw = build(edited, "已改，见下文。", TIANJIN, "天津市针灸学会").replace(
            b"Message-ID: <", f"Message-ID: <q{i}-".encode(), 1
        )
        deliver(raw, REPLIED)
    run(config, "once", "--quiet")

    unchanged = record(config, case)
    assert unchanged["status"] == "needs_fix" and unchanged["fields"]["手机"] == "022-2345678"
    assert len(smtp.messages()) == before  # letters for staff, as before
    letters = [r for r in export(config) if r["status"] == "correspondence"]
    assert len(letters) == 2 and not any(r["answered"] for r in letters)


def test_replies_quoted_the_way_qq_163_foxmail_and_outlook_quote_are_understood(intake):
    config, deliver, smtp = intake
    units = [
        ("bjzj@bj.example.cn", "北京针灸学会", "北京针灸", qq),
        ("office@shzj.example.cn", "上海市针灸学会", "上海针灸在线", netease),
        (TIANJIN, "天津市针灸学会", "津门针灸", foxmail),
        ("jszj@js.example.cn", "江苏省针灸学会", "江苏针灸", outlook),
    ]
    for sender, unit, account, _ in units:
        nomination = Nomination.sample(unit, account, 手机="022-2345678", 邮编="3000")
        deliver(
            submission(
                sender, f"{unit}推荐表", f"sub-{sender.split('@')[0]}@x.example.cn", nomination=nomination
            ),
            SENT,
        )
    run(config, "once", "--quiet")
    receipts = {m["To"]: m for m in mails(smtp) if str(m["Subject"]).startswith("【回执】")}
    before = len(smtp.messages())
    replies = {}
    for sender, unit, _, build in units:
        r = receipts[sender]
        received = Received(str(r["Message-ID"]), str(r["Subject"]), body(r))
        raw = build(received, "手机：13912345678\n邮编：300010", sender, unit)
        raw = raw.replace(b"Message-ID: <", f"Message-ID: <{sender.split('@')[0]}-".encode(), 1)
        replies[sender] = reply_id(raw)
        deliver(raw, REPLIED)
    run(config, "once", "--quiet")

    notices = mails(smtp, before)
    assert sorted(n["To"] for n in notices) == sorted(s for s, *_ in units)
    for sender, _, _, build in units:
        case = str(receipts[sender]["Subject"]).removeprefix("【回执】").split()[0]
        fixed = record(config, case)
        assert fixed["status"] == "accepted", (build.__name__, fixed["problems"])
        assert (fixed["fields"]["手机"], fixed["fields"]["邮编"]) == ("13912345678", "300010")
        notice = next(n for n in notices if n["To"] == sender)
        assert str(notice["In-Reply-To"]).strip() == f"<{replies[sender]}>"
        assert "已根据您的回复更新：手机 13912345678；邮编 300010。" in body(notice)


def test_an_accepted_case_changes_only_when_staff_take_the_proposal(intake):
    config, deliver, smtp = intake
    case, receipt = submit(config, deliver, smtp)
    assert record(config, case)["status"] == "accepted"
    before = len(smtp.messages())
    raw = CLIENTS["Gmail"](receipt, "联系人：许诺\n联系电话：13912345678", TIANJIN, "天津市针灸学会")
    deliver(raw, REPLIED)
    run(config, "once", "--quiet")

    waiting = record(config, case)
    assert waiting["fields"]["联系人"] == "王晓明" and waiting["status"] == "accepted"
    told = mails(smtp, before)
    assert len(told) == 1 and "需经工作人员确认" in body(told[0])
    letter = letter_of(config, reply_id(raw))
    assert letter["answered"] is False  # waits for staff
    listed = run(config, "reply-fix").stdout
    assert "联系人：“王晓明”→“许诺”（待工作人员确认）" in listed

    done = run(config, "reply-fix", letter["case_no"], "--apply", "--by", "刘晶晶").stdout
    assert "已采用来信" in done
    taken = record(config, case)
    assert (taken["fields"]["联系人"], taken["fields"]["手机"]) == ("许诺", "13912345678")
    assert taken["status"] == "accepted"
    assert taken["sources"]["联系人"] == "单位回复（2021-07-22），刘晶晶确认"
    assert letter_of(config, reply_id(raw))["answered"] is True
    again = run(config, "reply-fix", letter["case_no"], "--apply", check=False)
    assert again.returncode != 0 and "已处理" in again.stdout + again.stderr
    queued = len(smtp.messages())
    run(config, "once", "--quiet")  # sends the unit the confirmation, threaded to its reply
    confirmation = mails(smtp, queued)
    assert len(confirmation) == 1 and str(confirmation[0]["In-Reply-To"]).strip() == f"<{reply_id(raw)}>"
    assert "工作人员已按贵单位7月22日的回复更新：联系人 许诺；手机 13912345678。" in body(confirmation[0])

    # The rebuilt ledger has the reply's change and staff's confirmation again, and sends nothing.
    sent = len(smtp.messages())
    data = config.parent / "data"
    (data / "ledger.sqlite3").unlink()
    for extra in data.glob("ledger.sqlite3-*"):
        extra.unlink()
    run(config, "rebuild")
    rebuilt = record(config, case)
    assert (rebuilt["fields"]["联系人"], rebuilt["fields"]["手机"]) == ("许诺", "13912345678")
    assert rebuilt["fields_read"]["联系人"] == "王晓明"
    assert rebuilt["sources"]["联系人"] == "单位回复（2021-07-22），刘晶晶确认"
    run(config, "once", "--quiet")
    assert len(smtp.messages()) == sent


def test_a_fix_survives_a_rebuild_in_its_place_among_staff_decisions(intake):
    """Staff send the case back asking for the phone; the unit replies; the ledger is lost.
    The rebuild applies the reply after the staff decision, as it happened."""
    config, deliver, smtp = intake
    case, receipt = submit(config, deliver, smtp)
    run(config, "decide", "退回补正", case, "--ask", "请核对手机号码", "--by", "刘晶晶")
    deliver(qq(receipt, "手机：13912345678", TIANJIN, "天津市针灸学会"), REPLIED)
    run(config, "once", "--quiet")
    fixed = record(config, case)
    assert fixed["fields"]["手机"] == "13912345678"
    assert fixed["status"] == "needs_fix"  # staff's own request (no field) still stands
    sent = len(smtp.messages())

    data = config.parent / "data"
    shutil.move(data / "ledger.sqlite3", data / "lost.sqlite3")
    for extra in data.glob("ledger.sqlite3-*"):
        extra.unlink()
    run(config, "rebuild")
    rebuilt = record(config, case)
    assert rebuilt["fields"]["手机"] == "13912345678"
    assert rebuilt["status"] == "needs_fix"
    assert [p["message"] for p in rebuilt["problems"]] == [p["message"] for p in fixed["problems"]]
    assert "按单位回复更正" in run(config, "show", case).stdout
    run(config, "once", "--quiet")
    assert len(smtp.messages()) == sent

"""The rules of fixing by reply (pipeline/intake/replies.py) on a real ledger, with mail
handed to the intake directly (the whole path through dovecot and SMTP is
test_reply_fix.py): the deadline, a reply that carries a new form, an address staff
assigned to the unit, a staff page made stale by the reply, the digest's counts and
the console's case page."""

from __future__ import annotations

import email
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from console_env import flashed
from intake_env import DOCX, TZ, Nomination, form_docx, submission
from reply_samples import Received, outlook, qq
from sqlalchemy import select

from pipeline.config import load_config
from pipeline.intake import Intake
from pipeline.ledger import Ledger, MessageRow, OutboxRow
from pipeline.model import RawMail
from pipeline.staff.decisions import DecisionRequest, StaleCase, apply_decision

TIANJIN = "tjzj@tj.example.cn"


@pytest.fixture
def env(tmp_path):
    data = {
        "campaign": "走好网上群众路线“百佳账号”推选",
        "timezone": "Asia/Shanghai",
        "this_level": {"name": "学会", "deadline": "2021-08-02 00:00", "staff": ["staff@society.example.cn"]},
        "mailboxes": [{"name": "本地", "kind": "folder", "path": "mail"}],
        "smtp": {"dry_run": True, "from_addr": "intake@society.example.cn"},
        "units": [
            {"name": "天津市针灸学会", "addresses": [TIANJIN]},
            {"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"]},
        ],
    }
    (tmp_path / "mail").mkdir()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(tmp_path / "rules.yaml")
    ledger = Ledger(config.database_url)
    return config, ledger, Intake(config, ledger)


_uids = iter(range(1, 10_000))


def handle(env, raw: bytes, arrival: datetime) -> MessageRow:
    _, _, intake = env
    return intake.handle(RawMail("本地", "INBOX", 1, next(_uids), arrival, raw))


def outbox(env, key_prefix: str) -> list[email.message.EmailMessage]:
    _, ledger, _ = env
    with ledger.session() as s:
        rows = s.scalars(
            select(OutboxRow).where(OutboxRow.dedup_key.startswith(key_prefix)).order_by(OutboxRow.id)
        )
        return [email.message_from_bytes(Path(r.eml_path).read_bytes(), policy=policy.default) for r in rows]


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def received(msg) -> Received:
    return Received(str(msg["Message-ID"]), str(msg["Subject"]), text_of(msg))


def case_row(env, case_no: str) -> MessageRow:
    _, ledger, _ = env
    with ledger.session() as s:
        return s.scalar(select(MessageRow).where(MessageRow.case_no == case_no))


def submit(env, sender=TIANJIN, unit="天津市针灸学会", **wrong) -> tuple[str, Received]:
    raw = submission(
        sender,
        "推荐表",
        f"sub{next(_uids)}@x.example.cn",
        nomination=Nomination.sample(unit, "津门针灸", **wrong),
    )
    row = handle(env, raw, datetime(2021, 7, 21, 10, 0, tzinfo=TZ))
    return row.case_no, received(outbox(env, f"receipt:{row.case_no}")[0])


def reply(build, receipt: Received, text: str, sender=TIANJIN, name="天津市针灸学会") -> bytes:
    raw = build(receipt, text, sender, name)
    return raw.replace(b"Message-ID: <", f"Message-ID: <r{next(_uids)}-".encode(), 1)


def test_after_the_deadline_a_reply_fixes_only_what_was_asked(env):
    case, receipt = submit(env, 手机="022-2345678")
    late = datetime(2021, 8, 3, 9, 0, tzinfo=TZ)
    letter = handle(env, reply(qq, receipt, "手机：13912345678\n联系人：许诺"), late)
    row = case_row(env, case)
    assert row.status == "accepted"
    assert (row.fields["手机"], row.fields["联系人"]) == ("13912345678", "王晓明")
    notice = text_of(outbox(env, f"reply-fix:{letter.case_no}")[0])
    assert "已根据您的回复更新：手机 13912345678。" in notice
    assert "未更改「联系人」：报送截止后只能按回执的要求补正" in notice


def test_a_reply_with_a_new_form_is_a_corrected_version_and_says_which_lines_it_did_not_need(env):
    case, receipt = submit(env, 手机="022-2345678")
    msg = EmailMessage()
    msg["From"], msg["To"] = TIANJIN, "intake@society.example.cn"
    msg["Subject"], msg["Message-ID"] = "回复：" + receipt.subject, "<with-form@tj.example.cn>"
    msg["In-Reply-To"] = msg["References"] = receipt.message_id
    msg.set_content("手机：13900000000\n联系人：王晓明\n\n附件是改好的推荐表。")
    fixed = Nomination.sample("天津市针灸学会", "津门针灸", 手机="13912345678")
    msg.add_attachment(form_docx(fixed), maintype=DOCX[0], subtype=DOCX[1], filename="推荐表（更正）.docx")
    new = handle(env, msg.as_bytes(), datetime(2021, 7, 22, 10, 0, tzinfo=TZ))
    assert new.status == "needs_fix"  # as a submission of its own (no 图文案例 in this mail)
    assert new.fields["手机"] == "13912345678"  # the attachment, not the line
    assert case_row(env, case).status == "superseded"
    text = text_of(outbox(env, f"receipt:{new.case_no}")[0])
    assert "正文中的“手机：13900000000”未采用：以附件中的推荐表为准（附件中为“13912345678”）。" in text
    assert "正文中的“联系人：王晓明”与附件中的推荐表一致。" in text
    assert not outbox(env, "reply-fix:")


def test_an_address_staff_assigned_to_the_unit_may_fix_its_case(env):
    config, ledger, _ = env
    other = "wangxm@tjmail.example.com"
    case, receipt = submit(env, sender=other, 手机="022-2345678")
    assert case_row(env, case).status == "unknown_unit"
    apply_decision(ledger, config, DecisionRequest("assign", case, "刘晶晶", unit="天津市针灸学会"))
    assert case_row(env, case).status == "needs_fix"
    handle(
        env,
        reply(outlook, receipt, "手机：13912345678", sender=other, name="王晓明"),
        datetime(2021, 7, 23, tzinfo=TZ),
    )
    assert case_row(env, case).status == "accepted"


def test_a_staff_page_from_before_the_reply_is_stale(env):
    config, ledger, _ = env
    case, receipt = submit(env, 手机="022-2345678")
    seen = case_row(env, case).version
    handle(env, reply(qq, receipt, "手机：13912345678"), datetime(2021, 7, 22, tzinfo=TZ))
    with pytest.raises(StaleCase, match="这份报送刚根据天津市针灸学会的回复更新为“已受理”，请刷新后再决定。"):
        apply_decision(ledger, config, DecisionRequest("reject", case, "刘晶晶", reason="x", seen=seen))


def test_a_reply_to_a_replaced_version_goes_to_the_version_that_replaced_it(env):
    old, receipt = submit(env, 手机="022-2345678")
    new, _ = submit(env, 手机="022-2345678", 邮编="3000")
    assert case_row(env, old).status == "superseded"
    handle(env, reply(qq, receipt, "手机：13912345678\n邮编：300010"), datetime(2021, 7, 22, tzinfo=TZ))
    assert case_row(env, new).status == "accepted"
    assert case_row(env, old).fields["手机"] == "022-2345678"


def test_the_digest_counts_cases_fixed_by_reply_and_lists_replies_waiting(env):
    from pipeline.reports.digest import digest_text
    from pipeline.staff.digest import build_digest_data

    config, ledger, _ = env
    case, receipt = submit(env, 手机="022-2345678")
    handle(env, reply(qq, receipt, "手机：13912345678"), datetime(2021, 7, 22, tzinfo=TZ))
    accepted, receipt2 = submit(env, sender="bjzj@bj.example.cn", unit="北京针灸学会")
    letter = handle(
        env,
        reply(qq, receipt2, "联系人：许诺", sender="bjzj@bj.example.cn", name="北京针灸学会"),
        datetime(2021, 7, 22, tzinfo=TZ),
    )
    data, _ = build_digest_data(config, ledger, datetime(2021, 7, 23, 8, 0, tzinfo=TZ))
    assert (data.replies.fixed, data.replies.accepted, data.replies.waiting) == (1, 1, 1)
    text = digest_text(data)
    assert "单位回复回执更正的报送 1 份（其中 1 份现已受理）；等待工作人员确认的回复 1 条。" in text
    task = next(t for t in data.tasks if t.kind == "回复待确认")
    assert task.view.case_no == letter.case_no and accepted in task.what


def test_the_console_shows_each_reply_and_takes_a_proposal_in_one_click(env):
    from starlette.testclient import TestClient

    from pipeline.accounts import add_user
    from pipeline.web.app import create_app

    config, ledger, _ = env
    fixed, receipt = submit(env, 手机="022-2345678")
    fix_letter = handle(env, reply(qq, receipt, "手机：13912345678"), datetime(2021, 7, 22, tzinfo=TZ))
    accepted, receipt2 = submit(env, sender="bjzj@bj.example.cn", unit="北京针灸学会")
    ask = handle(
        env,
        reply(qq, receipt2, "联系人：许诺", sender="bjzj@bj.example.cn", name="北京针灸学会"),
        datetime(2021, 7, 22, tzinfo=TZ),
    )

    add_user(ledger, "刘晶晶", "staff", "staff-pass-一二三4")
    client = TestClient(create_app(config, ledger), follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    login = {"name": "刘晶晶", "password": "staff-pass-一二三4", "csrf": token, "next": "/"}
    assert client.post("/login", data=login).status_code == 303

    page = client.get(f"/case/{fixed}").text
    assert "单位回复中的修改" in page and f'href="/case/{fix_letter.case_no}"' in page
    assert "手机：“022-2345678”→“13912345678”（已更新）" in page and "已按回复更新" in page
    assert "采用这些修改" not in page
    letter_page = client.get(f"/case/{fix_letter.case_no}").text
    assert f'要求修改 <a href="/case/{fixed}">{fixed}</a>' in letter_page

    page = client.get(f"/case/{accepted}").text
    assert "联系人：“王晓明”→“许诺”（待工作人员确认）" in page and "采用这些修改" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = {"csrf": csrf, "version": version, "letter": ask.case_no, "decision": "apply", "reason": ""}
    done = client.post(f"/case/{accepted}/reply-change", data=form)
    assert done.status_code == 303
    row = case_row(env, accepted)
    assert row.fields["联系人"] == "许诺" and row.status == "accepted"
    assert "工作人员已采用" in client.get(f"/case/{accepted}").text
    again = client.post(f"/case/{accepted}/reply-change", data=form)  # the same (now stale) page
    assert "的修改已处理" in flashed(client, again)["err"]


def test_staff_may_leave_a_proposal_and_a_strangers_is_left_without_telling_anyone(env):
    from pipeline.staff.decisions import DecisionError
    from pipeline.staff.reply_changes import decide_reply_change, reply_changes_of

    config, ledger, _ = env
    accepted, receipt = submit(env)
    letter = handle(env, reply(qq, receipt, "联系人：许诺"), datetime(2021, 7, 22, tzinfo=TZ))
    left = decide_reply_change(
        ledger, config, letter.case_no, "刘晶晶", apply=False, reason="更换联系人请发更正后的推荐表"
    )
    assert left.notice is not None and left.notice.to == [TIANJIN]
    row = case_row(env, accepted)
    assert (row.fields["联系人"], row.status) == ("王晓明", "accepted")
    assert case_row(env, letter.case_no).answered is True
    with ledger.session() as s:
        (shown,) = reply_changes_of(s, config, accepted)
    assert (shown.state_zh, shown.decided_by, shown.note) == (
        "工作人员未采用",
        "刘晶晶",
        "更换联系人请发更正后的推荐表",
    )
    notice = outbox(env, f"reply-change:{letter.case_no}")
    assert len(notice) == 1 and str(notice[0]["In-Reply-To"]).strip() == f"<{letter.message_id}>"
    text = text_of(notice[0])
    assert "贵单位7月22日回复中要求的修改（「联系人」改为“许诺”）未采用，仍以原内容为准。" in text
    assert "更换联系人请发更正后的推荐表" in text
    with pytest.raises(DecisionError, match="已处理"):
        decide_reply_change(ledger, config, letter.case_no, "刘晶晶", apply=True)

    # A stranger's reply left by staff: the unit did not write it, so no one is told.
    fix, receipt2 = submit(env, sender="bjzj@bj.example.cn", unit="北京针灸学会", 手机="022-2345678")
    stranger = handle(
        env,
        reply(outlook, receipt2, "手机：13912345678", sender="someone@elsewhere.example.com", name="某人"),
        datetime(2021, 7, 22, tzinfo=TZ),
    )
    left = decide_reply_change(ledger, config, stranger.case_no, "刘晶晶", apply=False)
    assert left.notice is None and not outbox(env, f"reply-change:{stranger.case_no}")
    assert case_row(env, fix).fields["手机"] == "022-2345678"

"""Each intake step alone (pipeline/intake/steps/): what it reads from the
MailState and what it leaves there, on a real ledger (SQLite in tmp) and real
documents; the whole pipeline through dovecot is tested elsewhere
(test_end_to_end, test_one_bad_mail)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
import yaml
from intake_env import DOCX, TZ, Nomination, article_docx, form_docx, submission
from samples import picture

from pipeline.case_numbers import case_number, case_number_in
from pipeline.config import load_config
from pipeline.intake import PIPELINE, Intake, MailState, step
from pipeline.intake.state import IntakeEnv
from pipeline.intake.steps import answer, parse, read_attachments, read_form, record
from pipeline.intake.steps import store_raw as store_raw_step
from pipeline.ledger import Ledger, MessageRow
from pipeline.model import AttachmentKind, RawMail, Status

ARRIVAL = datetime(2021, 7, 20, 10, 0, tzinfo=TZ)


@pytest.fixture
def env(tmp_path) -> IntakeEnv:
    data = {
        "campaign": "走好网上群众路线“百佳账号”推选",
        "this_level": {"name": "学会", "deadline": "2021-08-02 00:00"},
        "mailboxes": [{"name": "本地", "kind": "folder", "path": "mail"}],
        "smtp": {"dry_run": True, "from_addr": "me@society.example.cn"},
        "units": [
            {"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"], "quota": 2},
            {"name": "天津市针灸学会", "addresses": ["tjzj@tj.example.cn"]},
        ],
    }
    (tmp_path / "mail").mkdir()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(tmp_path / "rules.yaml")
    return IntakeEnv(config, Ledger(config.database_url))


_uids = iter(range(1, 10_000))


def claimed(env: IntakeEnv, raw: bytes, arrival: datetime = ARRIVAL) -> MailState:
    """A state as the runner has it after store_raw and the claim."""
    uid = next(_uids)
    state = MailState(env, arrival, raw=raw)
    store_raw_step.run(state)
    row = env.ledger.claim(RawMail("本地", "INBOX", 1, uid, arrival, raw), state.raw_sha256, state.raw_path)
    state.row_id, state.attempts = row.id, row.attempts
    return state


def read(state: MailState) -> MailState:
    for s in (parse.STEP, read_attachments.STEP, read_form.STEP):
        s.run(state)
    return state


def decided(env: IntakeEnv, raw: bytes, arrival: datetime = ARRIVAL, through: str = "answer") -> MailState:
    """Read, then run the transaction's steps up to `through` and commit."""
    state = read(claimed(env, raw, arrival))
    with env.ledger.session() as s:
        state.begin_transaction(s)
        for st in PIPELINE:
            if st.transaction:
                st.run(state)
                if st.name == through:
                    break
    return state


def mail_with(
    *attachments: tuple[str, bytes], sender="bjzj@bj.example.cn", msg_id="m@x", subject="推荐"
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, "in@x", subject, f"<{msg_id}>"
    msg.set_content("附件是推荐材料。")
    for name, data in attachments:
        kind = ("image", "png") if name.endswith(".png") else DOCX
        msg.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    return msg.as_bytes()


# ---------------------------------------------------------------- the pipeline


def test_the_pipeline_is_named_steps_in_order_each_described_in_chinese_and_english():
    assert [s.name for s in PIPELINE] == [
        "store_raw",
        "parse",
        "read_attachments",
        "read_form",
        "file_case",
        "apply_rules",
        "apply_reply",
        "record",
        "answer",
    ]
    for s in PIPELINE:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in s.zh) and s.description.isascii()
    # The decision, the record and the receipt are one transaction; nothing before it is.
    assert [s.name for s in PIPELINE if s.transaction] == [
        "file_case",
        "apply_rules",
        "apply_reply",
        "record",
        "answer",
    ]
    assert step("record") is record.STEP


# ---------------------------------------------------------------- store_raw


def test_store_raw_keeps_the_message_owner_only_and_a_resumed_claim_loads_it(env):
    state = MailState(env, ARRIVAL, raw=b"Subject: x\r\n\r\nbody")
    store_raw_step.run(state)
    path = env.config.path(env.config.storage.raw_dir) / state.raw_sha256[:2] / f"{state.raw_sha256}.eml"
    assert state.raw_path == str(path) and path.read_bytes() == state.raw
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    resumed = MailState(env, ARRIVAL, raw_path=state.raw_path)
    store_raw_step.run(resumed)
    assert resumed.raw == state.raw


# ---------------------------------------------------------------- parse


def test_parse_reads_only_the_envelope_of_a_mail_too_big_to_open(env):
    env.config.limits.max_message_mb = 1  # the configured limit, small: the test is about the limit
    big = mail_with(("推荐表.docx", b"x" * (1024 * 1024 + 10)))
    state = MailState(env, ARRIVAL, raw=big)
    parse.run(state)
    assert state.parsed.from_addr == "bjzj@bj.example.cn"
    assert state.parsed.attachments == []
    assert [p.code for p in state.parsed.problems] == ["message_too_large"]


# ---------------------------------------------------------------- read_attachments


def test_read_attachments_tells_the_form_from_the_article_and_leaves_pictures_unread(env):
    nom = Nomination.sample("北京针灸学会", "北京针灸")
    raw = mail_with(
        ("新建 Microsoft Word 文档.docx", form_docx(nom)),
        ("材料.docx", article_docx("图文案例")),
        ("图1.png", picture()),
    )
    state = MailState(env, ARRIVAL, raw=raw)
    parse.run(state)
    read_attachments.run(state)
    kinds = {r.attachment.name: (r.kind, r.doc is not None) for r in state.reads}
    assert kinds == {
        "新建 Microsoft Word 文档.docx": (AttachmentKind.FORM, True),  # by content, not by name
        "材料.docx": (AttachmentKind.ARTICLE, True),
        "图1.png": (AttachmentKind.PICTURE, False),  # a form came: pictures cost nothing
    }


def test_read_attachments_reads_nothing_of_a_robots_mail(env):
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Auto-Submitted"] = "bjzj@bj.example.cn", "自动回复", "auto-replied"
    msg.set_content("休假中")
    msg.add_attachment(article_docx("x"), maintype=DOCX[0], subtype=DOCX[1], filename="a.docx")
    state = MailState(env, ARRIVAL, raw=msg.as_bytes())
    parse.run(state)
    read_attachments.run(state)
    assert state.parsed.automatic and state.reads == []


# ---------------------------------------------------------------- read_form


def test_read_form_chooses_the_form_and_checks_the_materials_only_when_there_is_one(env):
    nom = Nomination.sample("北京针灸学会", "北京针灸", 手机="12345")
    state = read(MailState(env, ARRIVAL, raw=mail_with(("推荐表.docx", form_docx(nom)))))
    (form,) = state.forms
    assert form.nominee == "北京针灸" and form.identity == "账号名称"
    assert [p.field for p in form.problems] == ["手机"]
    assert [p.code for p in state.material_problems] == ["materials_missing"]
    nothing = read(MailState(env, ARRIVAL, raw=mail_with(("图1.png", picture()))))
    assert nothing.forms == [] and nothing.material_problems == []


# ---------------------------------------------------------------- file_case


def test_file_case_numbers_the_case_and_knows_a_second_copy_of_a_message_id(env):
    raw = submission(
        "bjzj@bj.example.cn", "推荐", "same@x", nomination=Nomination.sample("北京针灸学会", "甲")
    )
    first = decided(env, raw, through="file_case")
    assert first.row.case_no == case_number(ARRIVAL, first.row_id, env.config.tz)
    assert case_number_in(f"回复：{first.row.case_no}", "") == first.row.case_no  # one format, both ways
    assert first.unit == "北京针灸学会" and first.duplicate_of is None
    again = decided(env, raw, through="file_case")
    assert again.duplicate_of == first.row.case_no


def test_file_case_gives_each_account_of_a_packet_its_own_row(env):
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "bjzj@bj.example.cn", "两个账号", "<two@x>"
    msg.set_content("两个账号的推荐材料")
    for account in ("甲号", "乙号"):
        for name, data in (
            (f"{account}/推荐表.docx", form_docx(Nomination.sample("北京针灸学会", account))),
            (f"{account}/图文案例.docx", article_docx(account)),
        ):
            msg.add_attachment(data, maintype=DOCX[0], subtype=DOCX[1], filename=name.replace("/", "_"))
    state = decided(env, msg.as_bytes(), through="file_case")
    rows = [sub.row for sub in state.submissions]
    assert len(rows) == 2 and rows[1].part_of == rows[0].id
    assert [sub.forms[0].nominee for sub in state.submissions] == ["甲号", "乙号"]
    assert rows[1].case_no == case_number(ARRIVAL, rows[1].id, env.config.tz)


# ---------------------------------------------------------------- apply_rules


def test_apply_rules_counts_the_earlier_accounts_of_the_same_mail_against_the_quota(env):
    """北京 may nominate 2: one stored, and a packet of two more: the second is over quota."""
    decided(
        env,
        submission("bjzj@bj.example.cn", "一", "one@x", nomination=Nomination.sample("北京针灸学会", "丙号")),
    )
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "bjzj@bj.example.cn", "两个账号", "<pair@x>"
    msg.set_content("两个账号")
    for account in ("甲号", "乙号"):
        form = form_docx(Nomination.sample("北京针灸学会", account))
        msg.add_attachment(form, maintype=DOCX[0], subtype=DOCX[1], filename=f"{account}推荐表.docx")
        msg.add_attachment(
            article_docx(account), maintype=DOCX[0], subtype=DOCX[1], filename=f"{account}案例.docx"
        )
    state = decided(env, msg.as_bytes(), through="apply_rules")
    statuses = [sub.decision.status for sub in state.submissions]
    assert statuses[0] is not Status.OVER_QUOTA and statuses[1] is Status.OVER_QUOTA


# ---------------------------------------------------------------- record


def test_record_supersedes_the_older_version_and_moves_its_selection(env):
    old = decided(
        env,
        submission(
            "tjzj@tj.example.cn", "v1", "v1@x", nomination=Nomination.sample("天津市针灸学会", "津门")
        ),
    )
    with env.ledger.session() as s:
        s.get(MessageRow, old.row_id).selected = True
    new = decided(
        env,
        submission(
            "tjzj@tj.example.cn", "v2", "v2@x", nomination=Nomination.sample("天津市针灸学会", " 津门 ")
        ),
        ARRIVAL + timedelta(hours=1),
    )
    assert new.submissions[0].superseded == [old.row.case_no]
    with env.ledger.session() as s:
        before, after = s.get(MessageRow, old.row_id), s.get(MessageRow, new.row_id)
        assert before.status == "superseded" and before.superseded_by == after.case_no
        assert (before.selected, after.selected) == (False, True)
        assert before.version == 2 and after.version == 1  # both changes are visible to staff


def test_record_keeps_files_under_the_case_and_makes_no_folder_for_a_mail_without_files(env):
    raw = submission(
        "tjzj@tj.example.cn", "推荐", "f@x", nomination=Nomination.sample("天津市针灸学会", "津门")
    )
    state = decided(env, raw)
    folder = env.config.path(env.config.storage.files_dir) / state.row.case_no
    assert sorted(p.name for p in folder.iterdir()) == ["图文案例.docx", "附件1推荐表.docx"]
    letter = decided(env, mail_with(msg_id="letter@x"))
    assert letter.submissions[0].decision.status is Status.CORRESPONDENCE
    assert not (env.config.path(env.config.storage.files_dir) / letter.row.case_no).exists()


# ---------------------------------------------------------------- answer


def test_answer_knows_a_strangers_submission_from_spam(env):
    nom = Nomination.sample("某医院", "某医院针灸")
    cases = {
        "form": mail_with(("新建文档.docx", form_docx(nom)), sender="a@h.example", msg_id="1@x"),
        "campaign in a file name": mail_with(
            ("百佳账号推荐材料.docx", article_docx("案例")), sender="b@h.example", msg_id="2@x"
        ),
        "campaign in the subject": mail_with(
            ("材料.docx", article_docx("案例")), sender="c@h.example", msg_id="3@x", subject="“百佳账号”推荐"
        ),
        "an article and 申报 in the subject": mail_with(
            ("补贴通知.docx", article_docx("补贴")),
            sender="d@h.example",
            msg_id="4@x",
            subject="补贴申报通知",
        ),
        "the campaign named, nothing attached": mail_with(
            sender="e@h.example", msg_id="5@x", subject="百佳账号"
        ),
    }
    answered = {}
    for what, raw in cases.items():
        state = decided(env, raw, through="apply_rules")
        answered[what] = answer.earns_receipt(state, state.submissions[0])
    assert answered == {
        "form": True,
        "campaign in a file name": True,
        "campaign in the subject": True,
        "an article and 申报 in the subject": False,
        "the campaign named, nothing attached": False,
    }
    assert answer.campaign_names(env.config) == ["走好网上群众路线“百佳账号”推选", "百佳账号"]


# ---------------------------------------------------------------- the runner


def test_a_failure_while_committing_is_attributed_to_the_commit(env, monkeypatch):
    from pipeline.intake import MAX_ATTEMPTS

    raw = submission(
        "tjzj@tj.example.cn", "推荐", "c@x", nomination=Nomination.sample("天津市针灸学会", "津门")
    )
    intake = Intake(env.config, env.ledger)
    real = answer.STEP.run

    def poison_the_commit(state):
        real(state)
        state.session.add(MessageRow())  # NOT NULL columns missing: the commit fails

    monkeypatch.setattr(answer.STEP, "run", poison_the_commit)
    for attempt in range(MAX_ATTEMPTS):
        mail = RawMail("本地", "INBOX", 1, 999, ARRIVAL, raw)
        if attempt == 0:
            assert intake.handle(mail) is None  # failed, stays claimed
        else:
            intake.resume_stale()
    with env.ledger.session() as s:
        row = s.query(MessageRow).filter(MessageRow.uid == 999).one()
        assert row.status == "manual_review" and row.error.startswith("[commit]")
        assert "写入台账" in row.problems[0]["message"]


def test_a_unit_allowed_to_send_late_is_not_late_with_its_next_mail_either(env):
    """The staff action is recorded as "allow-late"; intake looked for "allow_late" and
    never found it, so the unit's next mail was late again (one copy of the name now)."""
    from pipeline.staff.decisions import DecisionRequest, apply_decision

    late = datetime(2021, 8, 3, 9, 0, tzinfo=TZ)
    first = decided(
        env,
        submission(
            "tjzj@tj.example.cn", "迟到", "late1@x", nomination=Nomination.sample("天津市针灸学会", "津门")
        ),
        late,
    )
    assert first.submissions[0].decision.status is Status.LATE
    apply_decision(env.ledger, env.config, DecisionRequest("allow-late", first.row.case_no, "刘晶晶"))
    nom = Nomination.sample("天津市针灸学会", "津门", 手机="13900000000")
    second = decided(
        env, submission("tjzj@tj.example.cn", "更正", "late2@x", nomination=nom), late + timedelta(hours=2)
    )
    assert second.late_allowed
    assert second.submissions[0].decision.status is Status.ACCEPTED

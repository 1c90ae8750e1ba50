"""The whole pipeline through real servers: dovecot (IMAP) in, aiosmtpd (SMTP) out."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from pathlib import Path

import pytest
from intake_env import TZ, Nomination, export, run, submission, write_config


def receipts(smtp) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()]


def by_subject(msgs, case_fragment: str):
    return [m for m in msgs if case_fragment in m["Subject"]]


@pytest.fixture
def intake(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account

    def deliver(raw: bytes, arrival: datetime) -> None:
        dovecot_server.append(user, password, "INBOX", raw, arrival)

    return config, deliver, smtp_server


def test_receipts_carry_the_right_status_and_a_second_run_sends_nothing(intake, dovecot_server, imap_account):
    config, deliver, smtp = intake
    bj = Nomination.sample("北京针灸学会", "北京针灸")
    deliver(
        submission("bjzj@bj.example.cn", "北京推荐材料", "bj-1@bj.example.cn", nomination=bj),
        datetime(2021, 7, 20, 10, 0, tzinfo=TZ),
    )
    bad = Nomination.sample("天津市针灸学会", "津门针灸", 手机="022-2345678", 邮编="3000")
    deliver(
        submission("tjzj@tj.example.cn", "天津推荐表", "tj-1@tj.example.cn", nomination=bad),
        datetime(2021, 7, 21, 10, 0, tzinfo=TZ),
    )
    # Date header says July, the server received it in August: arrival time wins.
    sh = Nomination.sample("上海市针灸学会", "上海针灸在线")
    deliver(
        submission(
            "office@shzj.example.cn",
            "上海推荐",
            "sh-1@shzj.example.cn",
            nomination=sh,
            xlsx=True,
            sent=datetime(2021, 7, 30, 9, 0, tzinfo=TZ),
        ),
        datetime(2021, 8, 2, 0, 30, tzinfo=TZ),
    )
    deliver(
        submission(
            "someone@elsewhere.example.com",
            "推荐表",
            "x-1@elsewhere.example.com",
            nomination=Nomination.sample("某医院", "某账号"),
        ),
        datetime(2021, 7, 22, 10, 0, tzinfo=TZ),
    )
    deliver(
        submission(
            "bjzj@bj.example.cn",
            "自动回复：您的来信已收到",
            "auto-1@bj.example.cn",
            with_article=False,
            headers={"Auto-Submitted": "auto-replied"},
        ),
        datetime(2021, 7, 22, 11, 0, tzinfo=TZ),
    )

    run(config, "once")

    msgs = receipts(smtp)
    statuses = sorted(m["Subject"].split()[1].split("：")[0] for m in msgs)
    assert statuses == sorted(["已受理", "需补正", "逾期", "发件人不在名单"])
    accepted = next(m for m in msgs if "已受理" in m["Subject"])
    assert accepted["In-Reply-To"] == "<bj-1@bj.example.cn>"
    assert "bj-1@bj.example.cn" in accepted["References"]
    assert accepted["Auto-Submitted"] == "auto-replied"
    assert accepted["To"] == "bjzj@bj.example.cn"
    body = accepted.get_body(("plain",)).get_content()
    case_no = accepted["Subject"].split()[0].removeprefix("【回执】")
    assert case_no.startswith("TJ-20210720-") and case_no in body
    assert "账号名称：北京针灸" in body and "2021-08-02 00:00" in body  # echoes fields and the deadline
    fix = next(m for m in msgs if "需补正" in m["Subject"]).get_body(("plain",)).get_content()
    assert "【手机】" in fix and "【邮编】" in fix
    late = next(m for m in msgs if "逾期" in m["Subject"]).get_body(("plain",)).get_content()
    assert "2021-08-02 00:30" in late
    assert all(m.mail_from == smtp.user for m in smtp.messages())

    records = {r["message_id"]: r for r in export(config)}
    assert records["auto-1@bj.example.cn"]["status"] == "ignored"
    assert records["auto-1@bj.example.cn"]["receipt_sent"] is False
    assert records["bj-1@bj.example.cn"]["receipt_sent"] is True
    assert records["sh-1@shzj.example.cn"]["arrival"] == "2021-08-02T00:30:00+08:00"
    assert records["sh-1@shzj.example.cn"]["unit"] == "上海市针灸学会"
    assert records["x-1@elsewhere.example.com"]["unit"] is None
    assert records["bj-1@bj.example.cn"]["normalized"]["粉丝数量"] == 123000
    assert records["bj-1@bj.example.cn"]["normalized"]["手机"] == "13812345678"

    # Mail is read with BODY.PEEK: nothing became \Seen. Every raw message is kept.
    user, password = imap_account
    flags = [f for _, _, f in dovecot_server.messages_with_flags(user, password, "INBOX")]
    assert all(b"\\Seen" not in f for f in flags)
    raws = list((config.parent / "data" / "raw").rglob("*.eml"))
    assert len(raws) == 5

    before = len(smtp.messages())
    run(config, "once")
    assert len(smtp.messages()) == before
    assert len(export(config)) == 5


def test_correction_supersedes_and_another_account_is_over_quota(intake):
    config, deliver, smtp = intake
    first = Nomination.sample("北京针灸学会", "北京针灸", 邮编="1000")
    deliver(
        submission("bjzj@bj.example.cn", "推荐表", "bj-a@bj.example.cn", nomination=first),
        datetime(2021, 7, 20, 10, 0, tzinfo=TZ),
    )
    run(config, "once")
    fixed = Nomination.sample("北京针灸学会", "北京 针灸")  # same account, spacing differs
    deliver(
        submission(
            "bjzj@bj.example.cn",
            "回复：【回执】更正",
            "bj-b@bj.example.cn",
            nomination=fixed,
            headers={"In-Reply-To": "<bj-a@bj.example.cn>"},
        ),
        datetime(2021, 7, 21, 10, 0, tzinfo=TZ),
    )
    other = Nomination.sample("北京针灸学会", "京城中医针灸")
    deliver(
        submission("bjzj@bj.example.cn", "再推荐一个", "bj-c@bj.example.cn", nomination=other),
        datetime(2021, 7, 22, 10, 0, tzinfo=TZ),
    )
    run(config, "once")

    records = {r["message_id"]: r for r in export(config)}
    assert records["bj-a@bj.example.cn"]["status"] == "superseded"
    assert records["bj-a@bj.example.cn"]["superseded_by"] == records["bj-b@bj.example.cn"]["case_no"]
    assert records["bj-b@bj.example.cn"]["status"] == "accepted"
    assert records["bj-c@bj.example.cn"]["status"] == "over_quota"
    subjects = [m["Subject"] for m in receipts(smtp)]
    assert sum("需补正" in s for s in subjects) == 1
    assert sum("已受理" in s for s in subjects) == 1
    assert sum("超出名额" in s for s in subjects) == 1
    body = by_subject(receipts(smtp), "已受理")[0].get_body(("plain",)).get_content()
    assert records["bj-a@bj.example.cn"]["case_no"] in body  # says what it replaced


def test_reply_without_form_is_correspondence_and_gets_no_receipt(intake):
    config, deliver, smtp = intake
    deliver(
        submission(
            "tjzj@tj.example.cn",
            "推荐表",
            "tj-a@tj.example.cn",
            nomination=Nomination.sample("天津市针灸学会", "津门针灸"),
        ),
        datetime(2021, 7, 20, 10, 0, tzinfo=TZ),
    )
    run(config, "once")
    case_no = export(config)[0]["case_no"]
    deliver(
        submission(
            "tjzj@tj.example.cn",
            f"Re: 【回执】{case_no} 已受理",
            "tj-b@tj.example.cn",
            with_article=False,
            body="收到，谢谢！",
        ),
        datetime(2021, 7, 20, 12, 0, tzinfo=TZ),
    )
    run(config, "once")
    records = {r["message_id"]: r for r in export(config)}
    assert records["tj-b@tj.example.cn"]["status"] == "correspondence"
    assert records["tj-b@tj.example.cn"]["related_case"] == case_no
    assert len(smtp.messages()) == 1


def test_same_message_id_twice_is_processed_once(intake):
    config, deliver, smtp = intake
    raw = submission(
        "bjzj@bj.example.cn",
        "推荐表",
        "dup@bj.example.cn",
        nomination=Nomination.sample("北京针灸学会", "北京针灸"),
    )
    deliver(raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    deliver(raw.replace(b"Subject:", b"X-Copy: cc\nSubject:", 1), datetime(2021, 7, 20, 10, 1, tzinfo=TZ))
    run(config, "once")
    statuses = sorted(r["status"] for r in export(config))
    assert statuses == ["accepted", "duplicate"]
    assert len(smtp.messages()) == 1


def test_unreadable_mailbox_exits_nonzero_with_a_chinese_message(tmp_path, dovecot_server, smtp_server):
    config = write_config(tmp_path, dovecot_server, ("nobody@example.org", "wrong"), smtp_server)
    proc = run(config, "once", check=False)
    assert proc.returncode != 0
    assert "邮箱" in proc.stderr


def test_extract_prints_the_fifteen_fields(tmp_path):
    from samples import form_docx, form_xlsx_vertical

    nom = Nomination.sample("北京针灸学会", "北京针灸", 粉丝数量="10万+", 注册时间="2015.6")
    (tmp_path / "a.docx").write_bytes(form_docx(nom))
    (tmp_path / "b.xlsx").write_bytes(form_xlsx_vertical(nom))
    import json

    out = json.loads(
        run(
            Path(tmp_path / "none.yaml"), "extract", str(tmp_path / "a.docx"), str(tmp_path / "b.xlsx")
        ).stdout
    )
    assert [Path(o["file"]).name for o in out] == ["a.docx", "b.xlsx"]
    for obj in out:
        assert obj["fields"] == nom.fields
        assert list(obj["fields"]) == list(nom.fields)
        assert obj["normalized"]["粉丝数量"] == 100000
        assert obj["normalized"]["注册时间"] == "2015-06"
        assert obj["normalized"]["运营人数"] == 5
        assert obj["normalized"]["发布数量"] == 1024
        assert obj["problems"] == []


def test_receipts_per_sender_are_capped_to_stop_mail_loops(intake):
    config, deliver, smtp = intake
    for i in range(5):
        deliver(
            submission(
                "bjzj@bj.example.cn",
                f"推荐表 第{i}版",
                f"loop-{i}@bj.example.cn",
                nomination=Nomination.sample("北京针灸学会", "北京针灸"),
            ),
            datetime(2021, 7, 20, 10, i, tzinfo=TZ),
        )
    run(config, "once")
    assert len(smtp.messages()) == 3  # max_receipts_per_sender_hour defaults to 3
    assert len(export(config)) == 5


def test_uidvalidity_change_rescans_without_duplicates(tmp_path, dovecot_server, imap_account, smtp_server):
    import yaml

    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mailboxes"][0]["folder"] = "报送"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    user, password = imap_account
    dovecot_server.create_folder(user, password, "报送")
    senders = [("bjzj@bj.example.cn", "北京针灸学会"), ("tjzj@tj.example.cn", "天津市针灸学会")]
    raws = [
        submission(addr, "推荐表", f"uv-{i}@x", nomination=Nomination.sample(unit, f"账号{i}"))
        for i, (addr, unit) in enumerate(senders)
    ]
    when = datetime(2021, 7, 20, 10, 0, tzinfo=TZ)
    for raw in raws:
        dovecot_server.append(user, password, "报送", raw, when)
    run(config, "once")
    assert len(smtp_server.messages()) == 2
    # The server rebuilds the folder: a new UIDVALIDITY, the same mail under new UIDs, and one new mail.
    dovecot_server.delete_folder(user, password, "报送")
    dovecot_server.create_folder(user, password, "报送")
    for raw in raws:
        dovecot_server.append(user, password, "报送", raw, when)
    new = submission(
        "jszj@js.example.cn", "推荐表", "uv-new@x", nomination=Nomination.sample("江苏省针灸学会", "苏针")
    )
    dovecot_server.append(user, password, "报送", new, when)
    run(config, "once")
    assert sorted(r["message_id"] for r in export(config)) == ["uv-0@x", "uv-1@x", "uv-new@x"]
    assert len(smtp_server.messages()) == 3


def test_processed_mail_moves_to_a_chinese_folder_and_is_never_deleted(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    import yaml

    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mailboxes"][0]["processed_folder"] = "已处理"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    user, password = imap_account
    raw = submission(
        "bjzj@bj.example.cn", "推荐表", "mv-1@x", nomination=Nomination.sample("北京针灸学会", "北京针灸")
    )
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once")
    assert dovecot_server.messages(user, password, "INBOX") == []
    moved = dovecot_server.messages(user, password, "已处理")
    assert len(moved) == 1 and b"mv-1@x" in moved[0]
    run(config, "once")
    assert len(smtp_server.messages()) == 1


def test_test_connection_checks_imap_and_smtp(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    out = run(config, "test-connection").stdout
    assert out.count("✔") >= 2 and "✘" not in out
    bad = write_config(tmp_path, dovecot_server, (imap_account[0], "wrong"), smtp_server)
    proc = run(bad, "test-connection", check=False)
    assert proc.returncode == 1 and "✘" in proc.stdout

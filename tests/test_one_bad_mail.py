"""One mail never stops intake (issue 17.1).

Found in an outside test: an attachment named with 90 Chinese characters (270
bytes of UTF-8; a file name may have at most 255) made every later `once` exit 2
and left the mail behind it unread. Files are now stored under names that fit
(bytes, extension kept, unique) while staff see the original name, and a failure
at any stage of one mail (storing its files, reading, deciding, composing its
receipt) is retried and then handed to staff, never blocking the mail behind it.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from intake_env import DOCX, TZ, Nomination, export, form_docx, run, submission, write_config
from test_processing_failures import folder_config

from pipeline.intake import MAX_ATTEMPTS, PIPELINE, step
from pipeline.ledger import MessageRow
from pipeline.message.filenames import MAX_NAME_BYTES, storage_name
from pipeline.staff.status import export_records
from pipeline.worker import Worker

LONG_NAME = "关于推荐" + "针灸科普" * 21 + "推荐表.docx"  # 90 Chinese characters


def test_storage_name_fits_in_bytes_keeps_extension_and_stays_unique():
    taken: set[str] = set()
    first = storage_name(LONG_NAME, taken)
    second = storage_name(LONG_NAME, taken)
    for name in (first, second):
        assert len(name.encode("utf-8")) <= MAX_NAME_BYTES < 255
        assert name.endswith(".docx")
        assert name.startswith("关于推荐针灸科普")
    assert first != second and second.endswith("(2).docx")
    assert storage_name("推荐表.docx", set()) == "推荐表.docx"  # short names are untouched
    assert storage_name("🀄" * 100 + ".pdf", set()).endswith(".pdf")  # 4-byte characters too


def test_long_chinese_attachment_name_does_not_stop_intake(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    """The mail as it was found, through dovecot and SMTP: the 90-character name is
    stored, its unit gets its receipt, and the mail queued behind it is read too."""
    user, password = imap_account
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    msg = EmailMessage()
    msg["From"] = "bjzj@bj.example.cn"
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "北京推荐材料"
    msg["Message-ID"] = "<long-name@bj.example.cn>"
    msg["Date"] = format_datetime(datetime(2021, 7, 20, 9, 0, tzinfo=TZ))
    msg.set_content("附件是推荐表。")
    form = form_docx(Nomination.sample("北京针灸学会", "北京针灸"))
    msg.add_attachment(form, maintype=DOCX[0], subtype=DOCX[1], filename=LONG_NAME)
    arrival = datetime(2021, 7, 20, 10, 0, tzinfo=TZ)
    dovecot_server.append(user, password, "INBOX", msg.as_bytes(), arrival)
    behind = submission(
        "tjzj@tj.example.cn",
        "天津推荐材料",
        "behind@tj.example.cn",
        nomination=Nomination.sample("天津市针灸学会", "津门针灸"),
    )
    dovecot_server.append(user, password, "INBOX", behind, arrival)

    run(config, "once", "--quiet")  # exits 0: nothing stopped

    records = {r["message_id"]: r for r in export(config)}
    assert records["behind@tj.example.cn"]["status"] == "accepted"
    long = records["long-name@bj.example.cn"]
    assert long["status"] == "needs_fix"  # only 图文案例 is missing: the form itself was read
    assert long["fields"]["账号名称"] == "北京针灸"
    assert [a["name"] for a in long["attachments"]] == [LONG_NAME]  # staff see the original name
    stored = list((tmp_path / "data" / "files" / long["case_no"]).iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".docx"
    assert len(stored[0].name.encode()) <= MAX_NAME_BYTES
    assert long["receipt_sent"] and records["behind@tj.example.cn"]["receipt_sent"]


def _raise(exc: BaseException):
    def fail(*_args, **_kwargs):
        raise exc

    return fail


# The kind of failure found at each step of one mail (every step after the claim).
FAILURES = {
    "parse": RecursionError("parser bug"),
    "read_attachments": RuntimeError("reader bug"),
    "read_form": KeyError("normaliser bug"),
    "file_case": ValueError("roster bug"),
    "apply_rules": ValueError("rule bug"),
    "apply_reply": LookupError("reply bug"),
    "record": OSError(errno.ENAMETOOLONG, "File name too long"),
    "answer": UnicodeEncodeError("utf-8", "x", 0, 1, "bad"),
}


def test_every_step_after_the_claim_has_a_failure_test():
    assert list(FAILURES) == [s.name for s in PIPELINE[1:]]


def _is_poison(state) -> bool:
    raw = state.raw if state.raw is not None else open(state.raw_path, "rb").read()
    return b"m0@x" in raw


@pytest.mark.parametrize("name", list(FAILURES))
def test_a_failure_at_any_step_is_retried_then_handed_to_staff(tmp_path, monkeypatch, caplog, name):
    """Through the same mailbox: the poisoned mail (m0@x) fails at step `name` each
    time; the mail behind it goes through at once, the poisoned one is retried, then
    handed to staff with the step named in its record and in the log."""
    config = folder_config(tmp_path)  # m0@x (毒邮件) first, m1@x behind it
    target = step(name)
    real = target.run

    def fail_for_poison(state):
        if _is_poison(state):
            raise FAILURES[name]
        return real(state)

    monkeypatch.setattr(target, "run", fail_for_poison)
    worker = Worker(config)
    try:
        report = worker.run_cycle()
        assert not report.errors, report.errors  # the mailbox is fine, and says so
        records = {r["message_id"]: r for r in export_records(config, worker.ledger)}
        assert records["m1@x"]["status"] == "accepted"  # the mail behind it went through at once
        assert "m0@x" not in records  # still claimed, to be retried
        for _ in range(MAX_ATTEMPTS - 1):
            assert not worker.run_cycle().errors
        records = {r["message_id"]: r for r in export_records(config, worker.ledger)}
        poisoned = records["m0@x"]
        assert poisoned["status"] == "manual_review"
        assert [p["code"] for p in poisoned["problems"]] == ["processing_failed"]
        assert f"出错的步骤：{target.zh}" in poisoned["problems"][0]["message"]
        assert poisoned["sender"] == "bjzj@bj.example.cn"  # staff know whose it is
        with worker.ledger.session() as s:
            row = s.query(MessageRow).filter(MessageRow.case_no == poisoned["case_no"]).one()
            assert row.error.startswith(f"[{name}] {type(FAILURES[name]).__name__}")
        assert f"step {name} failed" in caplog.text
        assert len(export_records(config, worker.ledger)) == 2  # nothing else was recorded
    finally:
        worker.close()


@pytest.mark.parametrize("stage", ["store_raw", "record"])
def test_a_full_disk_stops_processing_without_blaming_the_mail_or_the_mailbox(tmp_path, monkeypatch, stage):
    """The machine's trouble is not one mail's failure: nothing is handed to staff,
    the claim waits, and the terminal says what is wrong (not "邮箱…无法读取")."""
    config = folder_config(tmp_path)
    monkeypatch.setattr(step(stage), "run", _raise(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    worker = Worker(config)
    try:
        for _ in range(MAX_ATTEMPTS + 1):
            report = worker.run_cycle()
            assert "磁盘空间不足" in " ".join(report.errors.values()), report.errors
        assert export_records(config, worker.ledger) == []  # nothing given up on
        with worker.ledger.session() as s:
            from pipeline.ledger import MailboxStateRow

            assert s.get(MailboxStateRow, "本地").failures_in_row == 0  # no mailbox alert
    finally:
        worker.close()

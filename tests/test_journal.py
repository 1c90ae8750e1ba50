"""The staff journal: every decision, correction, reply and score is appended to
an owner-only file, and replaying it on a ledger that lost them restores them
without queueing any mail again."""

from __future__ import annotations

import email
import json
import stat
from datetime import datetime
from email import policy

from intake_env import TZ, Nomination, export, run, submission, write_config

from pipeline.accounts import check_password as authenticate
from pipeline.config import load_config
from pipeline.ledger import Ledger, OutboxRow
from pipeline.staff import journal
from pipeline.staff.decisions import DecisionRequest, apply_decision, correct_field
from pipeline.staff.scoring import save_scores


def state(config) -> list[tuple]:
    return sorted(
        (
            r["case_no"],
            r["status"],
            r["selected"],
            json.dumps(r["fields"], ensure_ascii=False, sort_keys=True),
        )
        for r in export(config)
    )


def test_replaying_the_journal_restores_what_staff_did(tmp_path, dovecot_server, imap_account, smtp_server):
    upstream = {
        "name": "中国科协调研宣传部",
        "addresses": ["x@cast.cn"],
        "deadline": "2021-08-10 00:00",
        "accounts": 1,
    }
    path = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
    user, password = imap_account
    for sender, msg_id, nom in (
        ("tjzj@tj.example.cn", "tj-1@tj", Nomination.sample("天津市针灸学会", "津门针灸", 手机="022-1")),
        ("bjzj@bj.example.cn", "bj-1@bj", Nomination.sample("北京针灸学会", "京针之声")),
    ):
        dovecot_server.append(
            user,
            password,
            "INBOX",
            submission(sender, "推荐", msg_id, nomination=nom),
            datetime(2021, 7, 20, 9, 0, tzinfo=TZ),
        )
    run(path, "once")
    config = load_config(path)
    run(path, "backup", "--to", str(tmp_path / "before.sqlite3"))  # the ledger as it was before staff worked
    cases = {r["message_id"]: r["case_no"] for r in export(path)}
    tj, bj = cases["tj-1@tj"], cases["bj-1@bj"]

    ledger = Ledger(config.database_url)
    correct_field(ledger, config, tj, "手机", "13602345678", "刘晶晶", "电话核实")
    apply_decision(ledger, config, DecisionRequest("accept", tj, "刘晶晶", reason="已核实"))
    apply_decision(ledger, config, DecisionRequest("select", bj, "刘晶晶"))
    save_scores(ledger, "王评委", bj, {"群众导向": 18, "粉丝量": 9}, config=config)
    after = state(path)
    with ledger.session() as s:
        queued = s.query(OutboxRow).count()

    lines = journal.journal_path(config).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["correction", "decision", "decision", "score"]
    assert stat.S_IMODE(journal.journal_path(config).stat().st_mode) == 0o600

    # Restore the backup from before the staff worked: restore replays the journal itself.
    ledger.engine.dispose()
    out = run(path, "restore", str(tmp_path / "before.sqlite3")).stdout
    assert "恢复 4 条" in out, out
    fresh = Ledger(config.database_url)
    assert state(path) == after
    assert journal.replay(config, fresh) == (0, [])  # a second replay finds them all held
    with fresh.session() as s:
        assert s.query(OutboxRow).count() == queued - 1  # the accept notice is not queued again
    shown = run(path, "show", tj).stdout
    assert "刘晶晶：更正「手机」" in shown and "刘晶晶：受理" in shown
    assert (
        journal.journal_path(config).read_text(encoding="utf-8").splitlines() == lines
    )  # replay adds nothing


def test_rebuild_restores_split_accounts_and_staff_work_with_the_same_case_numbers(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    """A mail with two accounts (quota 2) and staff decisions; the ledger is deleted;
    `run.py rebuild` gives back every row with its case number and the staff's work."""
    import io
    import zipfile
    from email.message import EmailMessage

    from samples import article_docx, form_docx

    units = [{"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"], "quota": 2}]
    path = write_config(tmp_path, dovecot_server, imap_account, smtp_server, units=units)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, name in enumerate(("京针之声", "京城针灸"), 1):
            zf.writestr(f"{i}_{name}/推荐表.docx", form_docx(Nomination.sample("北京针灸学会", name)))
            zf.writestr(f"{i}_{name}/图文案例.docx", article_docx(f"{name}案例"))
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bjzj@bj.example.cn", "intake@x.cn", "两个账号的推荐材料"
    msg["Message-ID"] = "<two@bj>"
    msg.set_content("见附件。")
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="材料.zip")
    user, password = imap_account
    dovecot_server.append(user, password, "INBOX", msg.as_bytes(), datetime(2021, 7, 20, 9, 0, tzinfo=TZ))
    run(path, "once")
    cases = sorted(r["case_no"] for r in export(path))
    assert len(cases) == 2
    run(path, "decide", "correct", cases[1], "--field", "联系人", "--value", "许诺", "--reason", "电话核实")
    run(path, "decide", "withdraw", cases[0], "--reason", "单位只推荐一个")
    # Console accounts: added, one password changed, one reviewer removed.
    run(path, "user", "add", "刘晶晶", "--role", "staff", "--password-stdin", input="first-pass-1\n")
    run(path, "user", "add", "王评委", "--role", "reviewer", "--password-stdin", input="review-pass-1\n")
    run(path, "user", "reset", "刘晶晶", "--password-stdin", input="second-pass-2\n")
    run(path, "user", "remove", "王评委")
    after = state(path)
    sent = len(smtp_server.messages())

    config = load_config(path)
    db = config.path("data/ledger.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    assert run(path, "once", check=False).returncode == 4  # an empty ledger beside a full raw store: refused
    out = run(path, "rebuild").stdout
    assert "按工作人员处理记录恢复 6 条" in out, out
    assert state(path) == after
    accounts = run(path, "user", "list").stdout
    assert "刘晶晶\t工作人员\t正常" in accounts and "王评委\t评审专家\t已停用" in accounts, accounts
    ledger = Ledger(config.database_url)
    assert authenticate(ledger, "刘晶晶", "second-pass-2", "test") is not None
    assert authenticate(ledger, "刘晶晶", "first-pass-1", "test") is None
    assert authenticate(ledger, "王评委", "review-pass-1", "test") is None
    ledger.engine.dispose()
    kept = journal.journal_path(config).read_text(encoding="utf-8")
    assert "$argon2id$" in kept and "pass-1" not in kept and "pass-2" not in kept
    run(path, "once")
    # The withdrawal notice was queued (not yet sent) when the ledger was lost: it goes
    # out now, once; the receipts already sent are not sent again.
    subjects = [
        email.message_from_bytes(m.data, policy=policy.default)["Subject"] for m in smtp_server.messages()
    ]
    assert len(subjects) == sent + 1 and "已撤回" in subjects[-1], subjects
    run(path, "once")
    assert len(smtp_server.messages()) == sent + 1

"""The staff journal: every decision, correction, reply and score is appended to
an owner-only file, and replaying it on a ledger that lost them restores them
without queueing any mail again."""

from __future__ import annotations

import json
import shutil
import stat
from datetime import datetime

from intake_env import TZ, Nomination, export, run, submission, write_config

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
    db = config.path("data/ledger.sqlite3")
    shutil.copy(db, tmp_path / "before.sqlite3")  # the ledger as it was before staff worked
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

    # Lose the ledger's staff work, then replay.
    ledger.engine.dispose()
    for suffix in ("-wal", "-shm"):
        (db.parent / (db.name + suffix)).unlink(missing_ok=True)
    shutil.copy(tmp_path / "before.sqlite3", db)
    fresh = Ledger(config.database_url)
    applied, problems = journal.replay(config, fresh)
    assert (applied, problems) == (4, [])
    assert state(path) == after
    with fresh.session() as s:
        assert s.query(OutboxRow).count() == queued - 1  # the accept notice is not queued again
    shown = run(path, "show", tj).stdout
    assert "刘晶晶：更正「手机」" in shown and "刘晶晶：受理" in shown
    assert (
        journal.journal_path(config).read_text(encoding="utf-8").splitlines() == lines
    )  # replay adds nothing

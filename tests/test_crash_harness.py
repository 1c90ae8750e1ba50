"""Crash safety: SIGKILL `run.py once` at random moments until a run completes.

Why: the README promises that an interruption at any point loses nothing and
repeats nothing. We prove it on ~200 mixed messages in a real dovecot: each
ends with exactly one ledger record with a final status, and every receipt
reaches the SMTP server exactly once. SMTP cannot be exactly-once on its own,
so the test SMTP server also files each accepted mail into the account's
"Sent" folder (as QQ/163 do) and the config enables smtp.sent_check_mailbox:
a row found `sending` after a crash is checked there before it is resent.
"""

from __future__ import annotations

import collections
import email
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import NO_RECEIPT, deliver, intake_config, mixed_messages  # noqa: E402
from intake_env import export, receipts_by_case  # noqa: E402
from mailservers import install_sent_copy  # noqa: E402

MESSAGES = 200
WAVES = 4
MIN_KILLS = 50


def start_once(config: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "once", "--quiet", "--config", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # the kill takes the document-reader children too
    )


def test_sigkill_at_random_points_loses_and_repeats_nothing(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    print(f"\ncrash harness seed: {seed} (re-run with CRASH_SEED={seed})")
    rng = random.Random(seed)

    plan, unit_list = mixed_messages(MESSAGES, tag="crash")
    config = intake_config(
        tmp_path,
        dovecot_server,
        imap_account,
        smtp_server,
        unit_list,
        smtp_extra={"sent_check_mailbox": "报送邮箱", "sent_folder": "Sent"},
    )
    install_sent_copy(smtp_server, dovecot_server, user, password)
    size = -(-len(plan) // WAVES)
    waves = [plan[i : i + size] for i in range(0, len(plan), size)]  # mail keeps arriving between runs
    deliver(dovecot_server, user, password, waves.pop(0))

    kills = completed = 0
    started = time.monotonic()
    while True:
        proc = start_once(config)
        delay = rng.uniform(0.2, 1.5)
        try:
            out, err = proc.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            kills += 1
        else:
            assert proc.returncode == 0, f"once failed (seed {seed}):\n{out.decode()}\n{err.decode()}"
            completed += 1
            if waves:
                deliver(dovecot_server, user, password, waves.pop(0))
            elif kills >= MIN_KILLS:
                break
        assert time.monotonic() - started < 300, f"no completed run after {kills} kills (seed {seed})"
    print(f"kills: {kills}, completed runs: {completed}, {time.monotonic() - started:.1f}s")

    records = export(config)
    per_id = collections.Counter(r["message_id"] for r in records)
    planned = collections.Counter(p.message_id for p in plan)
    assert per_id == planned, "every delivered message has exactly one ledger record"
    assert len(records) == MESSAGES
    assert all(r["status"] for r in records), [r for r in records if not r["status"]]

    expect = collections.defaultdict(list)
    for p in plan:
        expect[p.message_id].append(p)
    by_id = collections.defaultdict(list)
    for r in records:
        by_id[r["message_id"]].append(r["status"])
    for mid, statuses in by_id.items():
        if len(statuses) == 1:
            assert statuses[0] in expect[mid][0].expect, (mid, statuses, expect[mid][0].kind)
        else:  # the first copy gets the real status, every later copy is a duplicate
            assert statuses.count("duplicate") == len(statuses) - 1, (mid, statuses)

    should = {r["case_no"] for r in records if r["status"] not in NO_RECEIPT}
    counts = receipts_by_case(smtp_server)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    missing = should - set(counts)
    unexpected = set(counts) - should
    print(
        f"receipts expected {len(should)}, delivered {sum(counts.values())}, "
        f"duplicates {duplicates}, missing {len(missing)}, unexpected {len(unexpected)}"
    )
    assert not missing, f"receipts never delivered: {sorted(missing)[:10]}"
    assert not unexpected, f"receipts for cases that should get none: {sorted(unexpected)[:10]}"
    assert duplicates == 0, {k: n for k, n in counts.items() if n > 1}
    assert all(r["receipt_sent"] for r in records if r["case_no"] in should)
    # Each receipt answers its own message.
    in_reply = collections.Counter(
        str(email.message_from_bytes(m.data, policy=policy.default)["In-Reply-To"])
        for m in smtp_server.messages()
    )
    assert max(in_reply.values()) == 1
    assert kills >= MIN_KILLS
    with sqlite3.connect(tmp_path / "data" / "ledger.sqlite3") as db:
        attempts = dict(db.execute("SELECT attempts, count(*) FROM outbox GROUP BY attempts").fetchall())
    print(
        f"outbox rows by send attempts: {attempts} (more than 1: a send interrupted before the server had it)"
    )

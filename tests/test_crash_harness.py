"""Crash safety: SIGKILL `run.py once` at random moments while mail keeps arriving.

Why: the README promises that an interruption at any point loses nothing and
repeats nothing. We prove it on 120 mixed messages in a real dovecot: each
ends with exactly one ledger record with a final status, and every receipt
reaches the SMTP server exactly once. SMTP cannot be exactly-once on its own,
so the test SMTP server also files each accepted mail into the account's
"Sent" folder (as QQ/163 do) and the config enables smtp.sent_check_mailbox:
a row found `sending` after a crash is checked there before it is resent.

Budget: KILLS SIGKILLs at most (6 per wave of 30 mails, 4 waves), then one run
that must complete: about 25 process starts. Each kill lands at a point the
program reports, chosen at random, so no kill is wasted on the interpreter's
start-up and none depends on the machine's speed:
- "claim": once the ledger shows 1–6 more messages finished or mails sent;
- "data": inside the SMTP server's DATA handler of the 1st–3rd next mail, after
  the server stored it (and filed it in Sent) and before it answers 250: the
  worst moment, when the mail went out but the program cannot know.
A wave whose work is all done before its kills are used hands them to the next.
"""

from __future__ import annotations

import collections
import contextlib
import email
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import NO_RECEIPT, deliver, intake_config, mixed_messages  # noqa: E402
from intake_env import export, receipts_by_case  # noqa: E402
from mailservers import install_sent_copy  # noqa: E402

MESSAGES = 120
WAVES = 4
KILLS_PER_WAVE = 6
KILLS = KILLS_PER_WAVE * WAVES


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


class KillAtData:
    """Wraps the SMTP server's handler: after the n-th DATA it is armed for has been
    stored (and filed in Sent), SIGKILL the sender's process group before the 250."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._left = 0
        self._group = 0
        self.fired = threading.Event()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def arm(self, group: int, nth: int) -> None:
        with self._lock:
            self._group, self._left = group, nth
            self.fired.clear()

    def disarm(self) -> None:
        with self._lock:
            self._left = 0

    async def handle_DATA(self, server, session, envelope):
        reply = await self.inner.handle_DATA(server, session, envelope)
        with self._lock:
            if self._left > 0:
                self._left -= 1
                if self._left == 0:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self._group, signal.SIGKILL)
                    self.fired.set()
        return reply


def progress(db_path: Path) -> int:
    """Messages finished plus mails sent, as the ledger shows them now."""
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=30) as db:
            done = db.execute("SELECT count(*) FROM messages WHERE state = 'done'").fetchone()[0]
            sent = db.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    except sqlite3.OperationalError:  # tables not made yet
        return 0
    return done + sent


def run_until_killed(config: Path, rng: random.Random, data_kill: KillAtData) -> str | None:
    """Start `once` and kill it at a random reported point; the trigger's name, or
    None when the run finished first (it must then have succeeded)."""
    db_path = config.parent / "data" / "ledger.sqlite3"
    trigger = rng.choice(("claim", "data"))
    target = progress(db_path) + rng.randint(1, 6)
    proc = start_once(config)
    if trigger == "data":
        data_kill.arm(proc.pid, rng.randint(1, 3))
    try:
        while proc.poll() is None:
            if trigger == "claim" and progress(db_path) >= target:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)  # polling the ledger for the state we wait for
    finally:
        data_kill.disarm()
    out, err = proc.communicate()
    if proc.returncode == -signal.SIGKILL:
        return trigger
    assert proc.returncode == 0, f"once failed:\n{out.decode()}\n{err.decode()}"
    return None


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
    controller = smtp_server._controller
    data_kill = controller.handler = KillAtData(controller.handler)
    size = -(-len(plan) // WAVES)
    waves = [plan[i : i + size] for i in range(0, len(plan), size)]  # mail keeps arriving between runs

    kills: collections.Counter = collections.Counter()
    completed = 0
    budget = 0
    for wave in waves:
        deliver(dovecot_server, user, password, wave)
        budget += KILLS_PER_WAVE
        while budget:
            trigger = run_until_killed(config, rng, data_kill)
            if trigger is None:
                completed += 1
                break  # this wave's work is done: the rest of its kills go to the next
            kills[trigger] += 1
            budget -= 1
    final = start_once(config)
    out, err = final.communicate(timeout=600)
    assert final.returncode == 0, f"final once failed (seed {seed}):\n{out.decode()}\n{err.decode()}"
    print(f"kills: {dict(kills)} ({sum(kills.values())} of {KILLS}), completed runs: {completed + 1}")

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
    assert sum(kills.values()) >= KILLS // 2, kills  # the budget was mostly used on real work
    assert kills["data"] and kills["claim"], kills
    with sqlite3.connect(tmp_path / "data" / "ledger.sqlite3") as db:
        attempts = dict(db.execute("SELECT attempts, count(*) FROM outbox GROUP BY attempts").fetchall())
    print(
        f"outbox rows by send attempts: {attempts} (more than 1: a send interrupted before the server had it)"
    )

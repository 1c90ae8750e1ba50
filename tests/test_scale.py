"""Scale: concurrent workers on one ledger (SQLite WAL, PostgreSQL), several
mailboxes, and a large backlog processed in bounded memory."""

from __future__ import annotations

import collections
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    NO_RECEIPT,
    Planned,
    deliver,
    intake_config,
    mixed_messages,
    peak_rss,
    start_py,
)
from intake_env import export, receipts_by_case, run_py  # noqa: E402  (run_py: in this process)


def check_once(config: Path, plans: dict[str, list[Planned]], smtp) -> list[dict]:
    """plans: mailbox name -> what was delivered there. One record per delivered
    message with a final status; every receipt went out exactly once."""
    records = export(config)
    got = collections.Counter((r["mailbox"], r["message_id"]) for r in records)
    want = collections.Counter((box, p.message_id) for box, plan in plans.items() for p in plan)
    assert got == want
    assert all(r["status"] for r in records)
    for r in records:
        if r["status"] != "duplicate":
            # A Message-ID delivered twice is processed once: whichever copy a worker
            # reaches first is the record, so any copy's expected status is right.
            copies = [p for p in plans[r["mailbox"]] if p.message_id == r["message_id"]]
            expected = set().union(*(p.expect for p in copies)) - (
                {"duplicate"} if len(copies) > 1 else set()
            )
            assert r["status"] in expected, (r["message_id"], r["status"], r["problems"])
    primaries = collections.Counter(r["message_id"] for r in records if r["status"] != "duplicate")
    assert all(n == 1 for n in primaries.values()), primaries
    should = {r["case_no"] for r in records if r["status"] not in NO_RECEIPT}
    counts = receipts_by_case(smtp)
    duplicates = sum(n - 1 for n in counts.values())
    print(
        f"records {len(records)}, receipts {sum(counts.values())} for {len(should)} cases, duplicates {duplicates}"
    )
    assert set(counts) == should
    assert duplicates == 0, {k: n for k, n in counts.items() if n > 1}
    return records


def run_concurrently(configs: list[Path], rounds: int = 2) -> None:
    """Start `once` for every config at the same moment, `rounds` times (the second
    round finds everything done and must change nothing)."""
    for _ in range(rounds):
        procs = [start_py(c, "once", "--quiet") for c in configs]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, f"{out}\n{err}"


def worker_dirs(tmp_path: Path, n: int) -> list[Path]:
    """Separate install dirs (own data/locks): only the ledger's unique claims keep them apart."""
    dirs = []
    for i in range(n):
        d = tmp_path / f"worker{i}"
        d.mkdir()
        dirs.append(d)
    return dirs


def test_two_workers_on_one_sqlite_ledger_never_process_a_message_twice(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    user, password = imap_account
    plan, unit_list = mixed_messages(40, tag="two")
    deliver(dovecot_server, user, password, plan)
    db = f"sqlite:///{tmp_path / 'shared' / 'ledger.sqlite3'}"
    configs = [
        intake_config(d, dovecot_server, imap_account, smtp_server, unit_list, database=db)
        for d in worker_dirs(tmp_path, 2)
    ]
    run_concurrently(configs)
    records = check_once(configs[0], {"报送邮箱": plan}, smtp_server)
    # Both workers really took part: each stored raw mail of its own.
    raw_counts = [len(list((c.parent / "data" / "raw").rglob("*.eml"))) for c in configs]
    print(f"raw mails stored per worker: {raw_counts}")
    assert len(records) == len(plan)


def _pg_setup(tmp_path, dovecot_server, smtp_server, pg_cluster, mailboxes: int, per_box: int, workers: int):
    url = pg_cluster.create_database(f"intake_{secrets.token_hex(4)}")
    accounts, plans = [], {}
    unit_list = None
    for b in range(mailboxes):
        user, password = f"pg{b}-{secrets.token_hex(3)}@example.org", secrets.token_urlsafe(10)
        dovecot_server.add_user(user, password)
        plan, units = mixed_messages(
            per_box,
            tag=f"pg{b}-{secrets.token_hex(2)}",
            unit_count=per_box * mailboxes,
            first_unit=b * per_box,
        )
        unit_list = unit_list or units
        deliver(dovecot_server, user, password, plan)
        accounts.append((user, password))
        plans["报送邮箱" if b == 0 else f"邮箱{b}"] = plan
    configs = []
    for d in worker_dirs(tmp_path, workers):
        extra = []
        for b, (user, password) in enumerate(accounts[1:], start=1):
            (d / f"imap{b}.pw").write_text(password)
            extra.append(
                {
                    "name": f"邮箱{b}",
                    "kind": "imap",
                    "host": dovecot_server.host,
                    "port": dovecot_server.port,
                    "ssl": False,
                    "user": user,
                    "password": {"file": str(d / f"imap{b}.pw")},
                    "timeout_seconds": 15,
                }
            )
        configs.append(
            intake_config(
                d, dovecot_server, accounts[0], smtp_server, unit_list, database=url, extra_mailboxes=extra
            )
        )
    return configs, plans


def test_end_to_end_on_postgresql(tmp_path, dovecot_server, smtp_server, pg_cluster):
    configs, plans = _pg_setup(
        tmp_path, dovecot_server, smtp_server, pg_cluster, mailboxes=1, per_box=30, workers=1
    )
    proc = run_py(configs[0], "once", "--quiet")
    assert proc.returncode == 0, proc.stderr
    records = check_once(configs[0], plans, smtp_server)
    statuses = collections.Counter(r["status"] for r in records)
    assert statuses["accepted"] >= 9 and statuses["needs_fix"] == 6 and statuses["ignored"] == 3
    # A second run changes nothing and sends nothing.
    before = len(smtp_server.messages())
    assert run_py(configs[0], "once", "--quiet").returncode == 0
    assert len(smtp_server.messages()) == before
    assert run_py(configs[0], "digest").returncode == 0


def test_several_workers_on_several_mailboxes_share_one_postgresql_ledger(
    tmp_path, dovecot_server, smtp_server, pg_cluster
):
    configs, plans = _pg_setup(
        tmp_path, dovecot_server, smtp_server, pg_cluster, mailboxes=3, per_box=15, workers=3
    )
    run_concurrently(configs, rounds=2)
    check_once(configs[0], plans, smtp_server)


def peak_rss_of_once(config: Path) -> float:
    """Peak RSS (MB) of one `once`, measured under a fresh parent process."""
    code, peak, err = peak_rss(
        [sys.executable, str(ROOT / "run.py"), "once", "--quiet", "--config", str(config)], cwd=config.parent
    )
    assert code == 0, err[-2000:]
    return peak


def test_backlog_is_processed_with_bounded_memory(tmp_path, dovecot_server, smtp_server):
    """120 mixed messages against 20 (bench/throughput.py and bench/memory.py go further):
    peak memory must not grow with the backlog."""
    peaks = {}
    for n in (20, 120):
        user, password = f"backlog{n}-{secrets.token_hex(3)}@example.org", secrets.token_urlsafe(10)
        dovecot_server.add_user(user, password)
        plan, unit_list = mixed_messages(n, tag=f"bl{n}")
        deliver(dovecot_server, user, password, plan)
        d = tmp_path / f"n{n}"
        d.mkdir()
        config = intake_config(d, dovecot_server, (user, password), smtp_server, unit_list)
        peaks[n] = peak_rss_of_once(config)
        assert len(export(config)) == n
    print(f"peak RSS: 20 messages {peaks[20]:.0f} MB, 120 messages {peaks[120]:.0f} MB")
    assert peaks[120] < 400, "a 120-message backlog should fit well under 400 MB"
    assert peaks[120] < peaks[20] * 1.5 + 30, "memory grows with the backlog"

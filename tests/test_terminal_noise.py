"""What the terminal shows (issue 12, item 7), reproduced as it was found: dovecot
stopped mid-run printed 49 lines and 2 tracebacks before the Chinese one; a
wrong password showed the server's reply as b'…'; three processes sharing the
work each claimed to have processed every message. Now: one Chinese line per
problem, the traceback in data/logs/intake.log, counts of what this process did."""

from __future__ import annotations

import re
import secrets
import sqlite3
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import deliver, intake_config, mixed_messages, padded, run_py, start_py  # noqa: E402
from intake_env import export, one_chinese_line, write_config  # noqa: E402


def test_dovecot_stopped_mid_run_is_one_chinese_line_and_the_traceback_goes_to_the_log(
    tmp_path, private_dovecot, smtp_server
):
    user, password = "stop@example.org", "stop-pw-1"
    private_dovecot.add_user(user, password)
    plan, unit_list = mixed_messages(120, tag="stop")
    plan = padded(plan)
    deliver(private_dovecot, user, password, plan)
    config = intake_config(tmp_path, private_dovecot, (user, password), smtp_server, unit_list)

    proc = start_py(config, "once", "--quiet")
    stopped = threading.Event()

    def stop_when_reading() -> None:
        db_path = tmp_path / "data" / "ledger.sqlite3"
        while proc.poll() is None:
            try:
                with sqlite3.connect(db_path, timeout=30) as db:
                    done = db.execute("SELECT count(*) FROM messages WHERE state='done'").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 5:
                private_dovecot.stop()
                stopped.set()
                return
            time.sleep(0.05)

    stopper = threading.Thread(target=stop_when_reading)
    stopper.start()
    out, err = proc.communicate(timeout=300)
    stopper.join()
    assert stopped.is_set(), "the run finished before dovecot could be stopped"
    assert proc.returncode == 2, (out, err)
    line = one_chinese_line(err)
    assert line.startswith("错误：邮箱 报送邮箱"), line
    log = (tmp_path / "data" / "logs" / "intake.log").read_text(encoding="utf-8")
    assert "Traceback" in log
    assert oct((tmp_path / "data" / "logs" / "intake.log").stat().st_mode & 0o777) == "0o600"


def test_wrong_password_shows_the_server_reply_as_text(tmp_path, dovecot_server, imap_account, smtp_server):
    user, _ = imap_account
    config = write_config(tmp_path, dovecot_server, (user, "not-the-password"), smtp_server)
    proc = run_py(config, "once", "--quiet")
    assert proc.returncode == 2
    line = one_chinese_line(proc.stderr)
    assert "登录失败" in line and "AUTHENTICATIONFAILED" in line, line


def test_three_processes_sharing_the_work_count_only_their_own(
    tmp_path, dovecot_server, smtp_server, pg_cluster
):
    user, password = f"share-{secrets.token_hex(3)}@example.org", secrets.token_urlsafe(10)
    dovecot_server.add_user(user, password)
    plan, unit_list = mixed_messages(30, tag=f"share-{secrets.token_hex(2)}")
    deliver(dovecot_server, user, password, plan)
    url = pg_cluster.create_database(f"intake_{secrets.token_hex(4)}")
    configs = []
    for i in range(3):  # separate installations (own locks and raw stores), one ledger
        d = tmp_path / f"worker{i}"
        d.mkdir()
        configs.append(
            intake_config(d, dovecot_server, (user, password), smtp_server, unit_list, database=url)
        )
    procs = [start_py(c, "once", "--quiet") for c in configs]
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        found = re.search(r"本进程处理新邮件 (\d+) 封", out)
        assert found, out
        counts.append(int(found.group(1)))
    print(f"\nper-process counts: {counts}")
    assert sum(counts) == len(plan), counts
    assert len(export(configs[0])) == len(plan)

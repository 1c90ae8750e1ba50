"""`run.py serve`: a new mail gets its receipt within seconds (IDLE), Ctrl-C stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import yaml
from intake_env import ROOT, TZ, Nomination, submission, write_config


def wait_for(predicate, timeout: float) -> bool:
    """Poll for an event the program reports; `timeout` only ends a run that failed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def idling(log: Path) -> bool:
    """The IDLE connection is waiting: a mail appended from now on wakes it."""
    return log.exists() and "IDLE: waiting for new mail" in log.read_text(encoding="utf-8")


def test_serve_answers_new_mail_within_seconds_and_stops_on_ctrl_c(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mailboxes"][0]["poll_minutes"] = 120  # only IDLE can bring a mail in within the test
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    user, password = imap_account
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=tmp_path,
    )
    try:
        assert "开始运行" in proc.stdout.readline()
        assert wait_for(lambda: idling(tmp_path / "data" / "logs" / "intake.log"), timeout=120)
        raw = submission(
            "bjzj@bj.example.cn",
            "推荐表",
            "serve-1@bj.example.cn",
            nomination=Nomination.sample("北京针灸学会", "北京针灸"),
        )
        start = time.monotonic()
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
        # The first poll is done and the next is 2 hours away: a receipt before then
        # is IDLE's doing, however slow the machine.
        assert wait_for(lambda: len(smtp_server.messages()) == 1, timeout=240), (
            "no receipt before the next poll"
        )
        print(f"receipt after {time.monotonic() - start:.1f} s")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "已停止" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_runs_the_console_beside_the_worker_when_enabled(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    import urllib.request

    import yaml
    from mailservers import free_port

    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    port = free_port()
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["web"] = {"enabled": True, "port": port}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=tmp_path,
    )
    try:
        assert f"控制台：http://127.0.0.1:{port}/" in proc.stdout.readline()

        def up() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read() == b"ok"
            except OSError:
                return False

        assert wait_for(up, timeout=120)
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
        assert login.url.endswith("/login?next=%2F") and "登录" in login.read().decode()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "已停止" in out, out
        assert not up()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

"""A restore never undoes staff work (issue 17.2), reproduced as it was found:
`user add 离职员工`, `backup`, `user remove 离职员工`, `restore <backup>` — the
removed account signed in again, and a correction and a `reject --no-notify`
made after the backup were lost, while restore said all was well and `check`
exited 0. Now restore replays the staff journal (nothing is sent); a ledger put
back by other means (sqlite3, pg_restore) is refused at every start until
`rebuild`; and no replay ever re-enables an account a later `user remove` disabled.
"""

from __future__ import annotations

import http.cookiejar
import re
import secrets
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from intake_env import ROOT, TZ, Nomination, export, one_chinese_line, run, submission, write_config
from mailservers import free_port

from pipeline.accounts import add_user, remove_user, reset_password
from pipeline.accounts import check_password as authenticate
from pipeline.config import load_config
from pipeline.ledger import Ledger, StaffEntryRow
from pipeline.staff import journal

PASSWORDS = {"离职员工": "leaving-pass-1", "刘晶晶": "staying-pass-2"}


def install(tmp: Path, dovecot, account, smtp, database: str | None = None) -> tuple[Path, dict[str, str]]:
    """Two submissions processed, two staff accounts; returns (config, message id -> case)."""
    config = write_config(tmp, dovecot, account, smtp)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["web"] = {"host": "127.0.0.1", "port": free_port()}
    if database:
        data["storage"]["database"] = database
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    user, password = account
    for sender, msg_id, nom in (
        ("tjzj@tj.example.cn", "tj-1@tj", Nomination.sample("天津市针灸学会", "津门针灸", 手机="022-1")),
        ("bjzj@bj.example.cn", "bj-1@bj", Nomination.sample("北京针灸学会", "京针之声")),
    ):
        raw = submission(sender, "推荐", msg_id, nomination=nom)
        dovecot.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 9, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    for name, pw in PASSWORDS.items():
        run(config, "user", "add", name, "--role", "staff", "--password-stdin", input=pw + "\n")
    return config, {r["message_id"]: r["case_no"] for r in export(config)}


def staff_work_after_the_backup(config: Path, cases: dict[str, str]) -> None:
    run(config, "user", "remove", "离职员工")
    run(config, "decide", "correct", cases["tj-1@tj"], "--field", "手机", "--value", "13602345678")
    run(config, "decide", "reject", cases["bj-1@bj"], "--reason", "账号已注销", "--no-notify")


def what_staff_did(config: Path, cases: dict[str, str]) -> tuple:
    rows = {r["case_no"]: r for r in export(config)}
    return (
        rows[cases["tj-1@tj"]]["fields"]["手机"],
        rows[cases["bj-1@bj"]]["status"],
        run(config, "user", "list").stdout,
    )


def sign_in(url: str, name: str, password: str) -> bool:
    """Sign in through the real console's form (CSRF cookie and token); True when let in."""
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{url}/login", timeout=30).read().decode("utf-8")
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"name": name, "password": password, "csrf": token, "next": "/"}).encode()
    try:
        opener.open(f"{url}/login", data=form, timeout=30)
    except urllib.error.HTTPError as exc:
        return exc.code == 303
    return False


def console(config: Path, tmp: Path):
    """`run.py web` on its port; returns (process, url) once it answers, or (process, None) if it exited."""
    port = yaml.safe_load(config.read_text(encoding="utf-8"))["web"]["port"]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "web", "--config", str(config)],
        cwd=config.parent,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    # The console prints its address once it listens (or exits with its one line).
    line = proc.stdout.readline()
    if not line:
        return proc, None
    assert "控制台已启动" in line, line
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=5).read()
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the console said it started but does not answer")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_restore_replays_what_staff_did_after_the_backup(tmp_path, dovecot_server, imap_account, smtp_server):
    config, cases = install(tmp_path, dovecot_server, imap_account, smtp_server)
    backup = tmp_path / "ledger-backup.sqlite3"
    run(config, "backup", "--to", str(backup))
    staff_work_after_the_backup(config, cases)
    after = what_staff_did(config, cases)
    assert after[0] == "13602345678" and after[1] == "rejected" and "离职员工\t工作人员\t已停用" in after[2]
    sent = len(smtp_server.messages())

    proc = run(config, "restore", str(backup))
    assert "恢复 3 条" in proc.stdout, proc.stdout  # the removal, the correction, the rejection
    assert "可以继续运行" in proc.stdout
    assert run(config, "check").returncode == 0
    assert what_staff_did(config, cases) == after
    shown = run(config, "show", cases["bj-1@bj"]).stdout
    assert "不予受理" in shown and shown.count("账号已注销") >= 1

    web, url = console(config, tmp_path)
    try:
        assert url is not None, web.stderr.read()
        assert not sign_in(url, "离职员工", PASSWORDS["离职员工"]), "a removed account stays removed"
        assert sign_in(url, "刘晶晶", PASSWORDS["刘晶晶"]), "the others sign in as before"
    finally:
        stop(web)
    run(config, "once", "--quiet")
    assert len(smtp_server.messages()) == sent, (
        "replaying sends nothing (the rejection was not to be notified)"
    )


def put_back(how: str, config: Path, pg_cluster=None, dump: Path | None = None, stage: str = "save") -> None:
    """Save the ledger, or put the saved copy back, without `run.py restore`."""
    conf = load_config(config)
    if how == "sqlite":
        db = conf.path("data/ledger.sqlite3")
        copy = config.parent / "by-hand.sqlite3"
        src, dst = (db, copy) if stage == "save" else (copy, db)
        source, target = sqlite3.connect(src), sqlite3.connect(dst)
        source.backup(target)  # what `sqlite3 ledger.sqlite3 ".restore copy"` does
        source.close()
        target.close()
        return
    url = conf.database_url
    name = url.rsplit("/", 1)[1]
    tool = "pg_dump" if stage == "save" else "pg_restore"
    args = ["-Fc", "-f", str(dump)] if stage == "save" else ["--clean", "-d", name, str(dump)]
    if stage == "save":
        args.append(name)
    pg_cluster._run(
        str(pg_cluster.bindir / tool),
        "-h",
        pg_cluster.host,
        "-p",
        str(pg_cluster.port),
        "-U",
        pg_cluster.user,
        *args,
    )


@pytest.mark.parametrize("how", ["sqlite", "postgresql"])
def test_a_ledger_put_back_by_hand_is_refused_until_rebuild(
    how, tmp_path, dovecot_server, imap_account, smtp_server, request
):
    pg = request.getfixturevalue("pg_cluster") if how == "postgresql" else None
    database = pg.create_database(f"staff_{secrets.token_hex(4)}") if pg else None
    config, cases = install(tmp_path, dovecot_server, imap_account, smtp_server, database)
    dump = (pg.root / f"{secrets.token_hex(4)}.dump") if pg else None
    put_back(how, config, pg, dump, "save")
    staff_work_after_the_backup(config, cases)
    after = what_staff_did(config, cases)
    put_back(how, config, pg, dump, "restore")

    for command in (("check",), ("once", "--quiet"), ("status",), ("user", "list")):
        proc = run(config, *command, check=False)
        assert proc.returncode == 4, (command, proc.stdout, proc.stderr)
        line = one_chinese_line(proc.stderr)
        assert "工作人员处理记录" in line and "rebuild" in line, line
    assert "缺少 3 条" in one_chinese_line(run(config, "check", check=False).stderr)  # check counts them all
    web, url = console(config, tmp_path)
    stop(web)
    assert url is None, "the console does not start on a ledger that lacks staff work"

    out = run(config, "rebuild").stdout
    assert "按工作人员处理记录恢复" in out, out
    assert run(config, "check").returncode == 0
    assert what_staff_did(config, cases) == after


def test_no_replay_re_enables_an_account_a_later_entry_disabled(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    """The ledger holds the removal but not an earlier reset (which re-enables): replaying in
    order would sign the account in again; the journal's latest state wins."""
    config_path, _ = install(tmp_path, dovecot_server, imap_account, smtp_server)
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    add_user(ledger, "临时评委", "reviewer", "temporary-pass-1", config)
    reset_password(ledger, "临时评委", "temporary-pass-2", config)
    remove_user(ledger, "临时评委", config)
    reset_id = [e["id"] for e in journal.entries(config) if e.get("op") == "reset"][-1]
    with ledger.session() as s:
        s.delete(s.get(StaffEntryRow, reset_id))  # held: the add and the removal; not the reset
    applied, problems = journal.replay(config, ledger)
    assert (applied, problems) == (1, [])
    assert authenticate(ledger, "临时评委", "temporary-pass-2", "test") is None
    assert "临时评委\t评审专家\t已停用" in run(config_path, "user", "list").stdout
    assert journal.replay(config, ledger) == (0, [])


def test_an_entry_that_cannot_be_applied_is_reported_and_does_not_block_every_start(
    tmp_path, dovecot_server, imap_account, smtp_server
):
    config_path, cases = install(tmp_path, dovecot_server, imap_account, smtp_server)
    config = load_config(config_path)
    journal.record(
        config, "correction", journal.new_id(), case_no="TJ-20000101-9999", field="手机", value="1"
    )
    proc = run(config_path, "check", check=False)
    assert proc.returncode == 4 and "工作人员处理记录" in one_chinese_line(proc.stderr)
    out = run(config_path, "rebuild").stdout
    assert "未能恢复" in out and "TJ-20000101-9999" in out, out
    proc = run(config_path, "check")
    assert "有一条处理记录无法恢复" in proc.stdout, proc.stdout
    run(config_path, "once", "--quiet")

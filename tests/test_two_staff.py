"""Two staff, one case, one answer (issue 17.3).

Found in an outside test: two staff accepted and rejected the same case within
the same second; both were told "…通知已发送" and the unit received both 已受理
and 不予受理 (reject ‖ reject sent two identical notices; accept ‖ withdraw
silently overrode the withdrawal). A decision now applies to the state the
person saw: it carries the case's version, taken with a compare-and-swap UPDATE;
the second gets "这份报送刚被某某处理为…，请刷新后再决定" and nothing is sent for it.

Through the real code: the mail arrives through dovecot and `run.py once`, the
two decisions run at the same moment in two threads with their own ledger
connections (as two console workers) or in two `run.py decide` processes, on
SQLite and on PostgreSQL, and the notices go to a real SMTP server.
"""

from __future__ import annotations

import email
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email import policy

import pytest
import yaml
from console_env import flashed
from intake_env import ROOT, TZ, Nomination, export, run, submission, write_config

from pipeline.config import load_config
from pipeline.ledger import Ledger, MessageRow
from pipeline.outbox import send_now
from pipeline.staff.decisions import (
    DecisionError,
    DecisionRequest,
    StaleCase,
    apply_decision,
    correct_field,
)
from pipeline.staff.replies import reply_to_unit

STALE = re.compile(r"^这份报送刚被(.+?)处理为“(.+?)”，请刷新后再决定。$")


def on_backend(request, config_path, tmp_path) -> None:
    """Point the installation at a throw-away PostgreSQL database when asked to."""
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg_cluster")
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        data["storage"]["database"] = pg.create_database(f"two_staff_{tmp_path.name[-20:]}".lower())
        config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture(params=["sqlite", "postgresql"])
def case(request, tmp_path, dovecot_server, imap_account, smtp_server):
    """A submission whose 手机 needs fixing, its receipt already sent."""
    config_path = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    on_backend(request, config_path, tmp_path)
    user, password = imap_account
    nom = Nomination.sample("北京针灸学会", "北京针灸", 手机="12345")
    raw = submission("bjzj@bj.example.cn", "北京推荐", "bj-1@bj.example.cn", nomination=nom)
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 9, 0, tzinfo=TZ))
    run(config_path, "once")
    (record,) = export(config_path)
    assert record["status"] == "needs_fix"
    assert len(smtp_server.messages()) == 1  # the receipt
    return config_path, smtp_server, record["case_no"]


def version_of(config, case_no: str) -> int:
    """What the person's page (or `show`) displayed."""
    with Ledger(config.database_url).session() as s:
        return s.query(MessageRow).filter(MessageRow.case_no == case_no).one().version


def at_once(config, *jobs):
    """Run each job(ledger) at the same moment in its own thread, with its own
    ledger (its own connections, as two console workers); results or exceptions."""
    ledgers = [Ledger(config.database_url) for _ in jobs]
    barrier = threading.Barrier(len(jobs))

    def go(pair):
        job, ledger = pair
        barrier.wait()
        try:
            return job(ledger)
        except DecisionError as exc:  # StaleCase, or the state no longer allows it
            return exc

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(go, zip(jobs, ledgers, strict=True)))


def decision(config, action: str, case_no: str, by: str, seen: int | None, **kw):
    def job(ledger):
        outcome = apply_decision(ledger, config, DecisionRequest(action, case_no, by, seen=seen, **kw))
        if outcome.outbox_key:
            send_now(ledger, config, [outcome.outbox_key])
        return outcome

    return job


def notices(smtp) -> list[str]:
    """Subjects of everything after the receipt."""
    return [
        str(email.message_from_bytes(m.data, policy=policy.default)["Subject"]) for m in smtp.messages()[1:]
    ]


def status_of(config_path, case_no: str) -> str:
    return next(r["status"] for r in export(config_path) if r["case_no"] == case_no)


@pytest.mark.parametrize(
    "first, second",
    [("accept", "reject"), ("reject", "reject"), ("accept", "withdraw")],
)
def test_two_decisions_on_what_both_saw_send_one_notice(case, first, second):
    config_path, smtp, case_no = case
    config = load_config(config_path)
    seen = version_of(config, case_no)
    results = at_once(
        config,
        decision(config, first, case_no, "刘晶晶", seen, reason="核实"),
        decision(config, second, case_no, "王芳", seen, reason="核实"),
    )
    won = [r for r in results if not isinstance(r, StaleCase)]
    lost = [r for r in results if isinstance(r, StaleCase)]
    assert len(won) == 1 and len(lost) == 1, results
    winner = won[0]
    who, said = STALE.match(str(lost[0])).groups()
    assert who == ("刘晶晶" if results[0] is winner else "王芳")
    assert said == winner.status.zh
    assert len(notices(smtp)) == 1, notices(smtp)  # exactly one notice reached the unit
    assert winner.status.zh in notices(smtp)[0]
    assert status_of(config_path, case_no) == winner.status.value  # nobody silently overrode it


def test_without_a_seen_version_the_second_of_two_rejections_still_sends_nothing(case):
    """`decide` without --seen takes the state at call time: two at once still give one notice."""
    config_path, smtp, case_no = case
    config = load_config(config_path)
    results = at_once(
        config,
        decision(config, "reject", case_no, "刘晶晶", None),
        decision(config, "reject", case_no, "王芳", None),
    )
    refused = [r for r in results if isinstance(r, DecisionError)]
    assert len(refused) == 1, results
    assert STALE.match(str(refused[0])) or str(refused[0]).endswith("已经不予受理。")
    assert len(notices(smtp)) == 1


def test_two_run_py_decide_processes_with_the_version_show_printed(case):
    config_path, smtp, case_no = case
    shown = run(config_path, "show", case_no).stdout
    seen = re.search(r"版本：(\d+)", shown).group(1)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "decide", action, case_no, "--seen", seen, "--by", by]
            + ["--send", "--config", str(config_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=config_path.parent,
        )
        for action, by in (("受理", "刘晶晶"), ("不予受理", "王芳"))
    ]
    outputs = [(p.wait(120), *p.communicate()) for p in procs]
    codes = sorted(rc for rc, _, _ in outputs)
    assert codes[0] == 0 and codes[1] != 0, outputs
    loser = next(err for rc, _, err in outputs if rc != 0)
    assert "请刷新后再决定" in loser and "Traceback" not in loser
    assert len(notices(smtp)) == 1


def test_a_correction_and_a_reply_on_a_stale_page_change_nothing(case):
    config_path, smtp, case_no = case
    config = load_config(config_path)
    seen = version_of(config, case_no)
    fixes = at_once(
        config,
        lambda ledger: correct_field(ledger, config, case_no, "手机", "13800000001", "刘晶晶", seen=seen),
        lambda ledger: correct_field(ledger, config, case_no, "手机", "13900000002", "王芳", seen=seen),
    )
    assert sum(isinstance(r, StaleCase) for r in fixes) == 1
    record = next(r for r in export(config_path) if r["case_no"] == case_no)
    winner = next(r for r in fixes if not isinstance(r, StaleCase))
    assert record["fields"]["手机"] == winner.new
    seen = version_of(config, case_no)

    def answer(text):
        def job(ledger):
            reply = reply_to_unit(ledger, config, case_no, text, "刘晶晶", seen=seen)
            send_now(ledger, config, [reply.outbox_key])
            return reply

        return job

    replies = at_once(config, answer("请补充手机号。"), answer("手机号请改为 11 位。"))
    assert sum(isinstance(r, StaleCase) for r in replies) == 1
    assert len(notices(smtp)) == 1  # one reply, not two


def test_a_newer_version_from_the_unit_makes_the_old_page_stale(case, dovecot_server, imap_account):
    """Intake's changes count too: the unit's corrected version supersedes the case
    staff are looking at; deciding on the old page is refused, naming the system."""
    config_path, smtp, case_no = case
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    correct_field(ledger, config, case_no, "联系人", "许诺", "刘晶晶", seen=version_of(config, case_no))
    seen = version_of(config, case_no)  # the page after 刘晶晶's correction
    user, password = imap_account
    nom = Nomination.sample("北京针灸学会", "北京针灸")
    raw = submission("bjzj@bj.example.cn", "北京推荐（更正）", "bj-2@bj.example.cn", nomination=nom)
    dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 21, 9, 0, tzinfo=TZ))
    run(config_path, "once")
    assert status_of(config_path, case_no) == "superseded"
    sent_before = len(smtp.messages())
    with pytest.raises(StaleCase, match="这份报送刚被系统处理为“已被更正版本替换”，请刷新后再决定。"):
        decision(config, "accept", case_no, "刘晶晶", seen)(Ledger(config.database_url))
    assert len(smtp.messages()) == sent_before


def test_the_console_decides_on_the_version_it_rendered(case):
    """Two staff open the same case page; the first confirms a rejection, the second's
    acceptance (sent with the version its page was rendered with) is refused with the
    Chinese sentence on the page, and only one notice goes out."""
    from console_env import PASSWORDS
    from starlette.testclient import TestClient

    from pipeline.accounts import add_user
    from pipeline.web.app import create_app

    config_path, smtp, case_no = case
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    app = create_app(config)

    def signed_in(name: str) -> TestClient:
        add_user(ledger, name, "staff", PASSWORDS["刘晶晶"])
        c = TestClient(app, follow_redirects=False)
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        form = {"name": name, "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"}
        assert c.post("/login", data=form).status_code == 303
        return c

    def page(c: TestClient) -> tuple[str, str]:
        html = c.get(f"/case/{case_no}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        return csrf, re.search(r'name="version" value="(\d+)"', html).group(1)

    first, second = signed_in("刘晶晶"), signed_in("王芳")
    (csrf1, v1), (csrf2, v2) = page(first), page(second)
    assert v1 == v2 == str(version_of(config, case_no))
    confirm = first.post(
        f"/case/{case_no}/preview",
        data={"action": "reject", "reason": "材料不实", "version": v1, "csrf": csrf1},
    )
    assert (
        confirm.status_code == 200 and f'name="version" value="{v1}"' in confirm.text
    )  # carried to the confirm
    done = first.post(
        f"/case/{case_no}/decide",
        data={"action": "reject", "reason": "材料不实", "version": v1, "csrf": csrf1},
    )
    assert "不予受理" in flashed(first, done)["ok"]
    refused = second.post(f"/case/{case_no}/decide", data={"action": "accept", "version": v2, "csrf": csrf2})
    assert "这份报送刚被刘晶晶处理为“不予受理”，请刷新后再决定。" in flashed(second, refused)["err"]
    assert status_of(config_path, case_no) == "rejected"
    assert len(notices(smtp)) == 1 and "不予受理" in notices(smtp)[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def two_accepted(request, tmp_path, dovecot_server, imap_account, smtp_server):
    """Two units' accepted accounts, and an upstream that takes one."""
    upstream = {"name": "中国科协", "addresses": ["up@cast.example.cn"], "deadline": "2021-08-20 00:00"}
    upstream["accounts"] = 1
    config_path = write_config(tmp_path, dovecot_server, imap_account, smtp_server, upstream=upstream)
    on_backend(request, config_path, tmp_path)
    user, password = imap_account
    for sender, unit, account in (
        ("bjzj@bj.example.cn", "北京针灸学会", "北京针灸"),
        ("tjzj@tj.example.cn", "天津市针灸学会", "津门针灸"),
    ):
        raw = submission(sender, "推荐", f"one@{sender}", nomination=Nomination.sample(unit, account))
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 9, 0, tzinfo=TZ))
    run(config_path, "once")
    records = export(config_path)
    assert [r["status"] for r in records] == ["accepted", "accepted"]
    return config_path, [r["case_no"] for r in records]


def test_two_staff_selecting_two_accounts_at_once_never_pass_the_upstream_limit(two_accepted):
    config_path, cases = two_accepted
    config = load_config(config_path)
    pairs = zip(cases, ("刘晶晶", "王芳"), strict=True)
    results = at_once(config, *(decision(config, "select", c, by, None) for c, by in pairs))
    refused = [r for r in results if isinstance(r, DecisionError)]
    assert len(refused) == 1 and "上级名额为 1 个" in str(refused[0]), results
    assert sum(r["selected"] for r in export(config_path)) == 1

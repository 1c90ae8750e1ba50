"""The console on a PostgreSQL ledger shared with a worker: sign in, overview,
a correction and a decision made in the console are seen by the worker's
`run.py` (and the other way round)."""

from __future__ import annotations

import re

import yaml
from console_env import PASSWORDS, flashed
from intake_env import TZ, Nomination, export, run, submission, write_config
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.web.app import create_app


def test_console_and_worker_share_a_postgresql_ledger(
    tmp_path, dovecot_server, imap_account, smtp_server, pg_cluster
):
    from datetime import datetime

    config_path = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["storage"]["database"] = pg_cluster.create_database("console_pg")
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    user, password = imap_account
    nom = Nomination.sample("天津市针灸学会", "津门针灸", 手机="022-2345678")
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission("tjzj@tj.example.cn", "天津推荐", "tj-1@tj.example.cn", nomination=nom),
        datetime(2021, 7, 20, 9, 0, tzinfo=TZ),
    )
    run(config_path, "once")
    case = export(config_path)[0]["case_no"]
    config = load_config(config_path)
    from pipeline.ledger import Ledger

    add_user(Ledger(config.database_url), "刘晶晶", "staff", PASSWORDS["刘晶晶"])
    c = TestClient(create_app(config), follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    assert (
        c.post(
            "/login", data={"name": "刘晶晶", "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"}
        ).status_code
        == 303
    )
    overview = c.get("/")
    assert overview.status_code == 200 and "需补正" in overview.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', overview.text).group(1)
    r = c.post(
        f"/case/{case}/correct",
        data={"field": "手机", "value": "13602345678", "why": "电话核实", "csrf": csrf},
    )
    assert "更正" in flashed(c, r)["ok"]
    r = c.post(f"/case/{case}/decide", data={"action": "accept", "reason": "已核实", "csrf": csrf})
    assert "受理" in flashed(c, r)["ok"]
    rec = export(config_path)[0]
    assert rec["status"] == "accepted" and rec["fields"]["手机"] == "13602345678"
    shown = run(config_path, "show", case).stdout
    assert "刘晶晶：更正「手机」" in shown and "刘晶晶：受理" in shown
    # The notice went out through the real SMTP server, with the corrected phone.
    import email
    from email import policy

    notice = email.message_from_bytes(smtp_server.messages()[-1].data, policy=policy.default)
    assert "已受理" in notice["Subject"] and "手机：13602345678" in notice.get_body(("plain",)).get_content()

"""Accept or remind several units at once from the overview (issue 20, Missing).

The overview ticks 待人工核对/需补正 cases; 受理所选 previews each unit's notice, then
accepts each through staff/decisions with the version the overview showed — one audit row
and one notice per unit; a case changed since the page was shown is left alone and named.
催报所选 reminds the ticked units that wait for the unit (需补正) only."""

from __future__ import annotations

import email
import html
import re
from datetime import datetime, timedelta
from email import policy

import pytest
from console_env import PASSWORDS, ROLES, client_signed_in, flashed
from intake_env import TZ, Nomination, export, run, submission, write_config
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.ledger import Ledger

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PICK = re.compile(r'name="pick" value="([^"]+)"')
PAN = "视频较大，已上传百度网盘：链接: https://pan.baidu.com/s/1AbCdEfG 提取码: x7k9"
DEADLINE = (datetime.now(TZ) + timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def society(tmp_path, dovecot_server, imap_account, smtp_server):
    """北京 and 天津 wait for staff (a video sent as a cloud-drive link), 上海 must fix its
    粉丝数量, 江苏 sent nothing."""
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, deadline=DEADLINE)
    user, password = imap_account
    mails = (
        ("bjzj@bj.example.cn", "bj-1@bj.example.cn", Nomination.sample("北京针灸学会", "京针之声"), PAN),
        ("tjzj@tj.example.cn", "tj-1@tj.example.cn", Nomination.sample("天津市针灸学会", "津门针灸"), PAN),
        (
            "a@shzj.example.cn",
            "sh-1@shzj.example.cn",
            Nomination.sample("上海市针灸学会", "海上针灸", 粉丝数量="=1+2"),
            "附件是推荐材料。",
        ),
    )
    for sender, msg_id, nom, body in mails:
        raw = submission(sender, "推荐材料", msg_id, nomination=nom, body=body)
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config, "once", "--quiet")
    rows = {r["message_id"]: r for r in export(config)}
    cases = {
        key[:2]: rows[f"{key}@{dom}"]["case_no"]
        for key, dom in (("bj-1", "bj.example.cn"), ("tj-1", "tj.example.cn"), ("sh-1", "shzj.example.cn"))
    }
    statuses = {k: next(r["status"] for r in rows.values() if r["case_no"] == c) for k, c in cases.items()}
    assert statuses == {"bj": "manual_review", "tj": "manual_review", "sh": "needs_fix"}, statuses
    return config, smtp_server, cases


def signed_in(config_path, name: str = "刘晶晶") -> TestClient:
    config = load_config(config_path)
    add_user(Ledger(config.database_url), name, ROLES[name], PASSWORDS[name])
    return client_signed_in(config, name)


def to_of(smtp, before: int) -> list[str]:
    return [email.message_from_bytes(m.data, policy=policy.default)["To"] for m in smtp.messages()[before:]]


def test_accepting_several_previews_each_notice_and_honours_the_version_shown(society):
    config, smtp, cases = society
    c = signed_in(config)
    overview = c.get("/").text
    picks = {p.split("@")[0]: p for p in PICK.findall(overview)}
    assert set(picks) == {cases["bj"], cases["tj"], cases["sh"]}  # 江苏 sent nothing: nothing to tick
    csrf = CSRF.search(overview).group(1)

    preview = html.unescape(
        c.post(
            "/bulk/accept/preview", data={"csrf": csrf, "pick": [picks[cases["bj"]], picks[cases["tj"]]]}
        ).text
    )
    assert "确认：受理所选（2 个）" in preview
    assert "通知 bjzj@bj.example.cn" in preview and "通知 tjzj@tj.example.cn" in preview
    assert len(PICK.findall(preview)) == 2

    # Someone corrects 天津's case after the overview was shown: it is not accepted blind.
    run(config, "decide", "correct", cases["tj"], "--field", "联系人", "--value", "王老师", "--by", "赵老师")
    before = len(smtp.messages())
    said = flashed(c, c.post("/bulk/accept", data={"csrf": csrf, "pick": PICK.findall(preview)}))
    assert f"已受理 1 个：{cases['bj']}（北京针灸学会）" in said["ok"], said
    assert f"未受理：{cases['tj']}（天津市针灸学会）" in said["err"] and "赵老师" in said["err"], said
    assert to_of(smtp, before) == ["bjzj@bj.example.cn"]  # one notice, to the accepted unit
    status = {r["case_no"]: r["status"] for r in export(config)}
    assert status[cases["bj"]] == "accepted" and status[cases["tj"]] == "manual_review"
    audit = html.unescape(c.get("/audit", params={"action": "accept"}).text)
    assert audit.count('href="/case/') == 1 and cases["bj"] in audit and "刘晶晶" in audit

    # A case the single path would warn about is left for its page, with the reason.
    run(config, "decide", "correct", cases["tj"], "--field", "联系人", "--value", "", "--by", "赵老师")
    overview = c.get("/").text
    tj = next(p for p in PICK.findall(overview) if p.startswith(cases["tj"]))
    refused = html.unescape(c.post("/bulk/accept/preview", data={"csrf": csrf, "pick": [tj]}).text)
    assert "不能批量受理" in refused and "联系人" in refused and "请在受理页面逐个处理" in refused
    assert not PICK.findall(refused)


def test_reminding_several_reminds_those_that_must_fix(society):
    config, smtp, cases = society
    c = signed_in(config)
    overview = c.get("/").text
    csrf = CSRF.search(overview).group(1)
    before = len(smtp.messages())
    said = flashed(c, c.post("/bulk/remind", data={"csrf": csrf, "pick": PICK.findall(overview)}))
    assert said["ok"].startswith("催报 1 封"), said
    (mail,) = [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[before:]]
    assert mail["To"] == "a@shzj.example.cn" and "补正提醒" in mail["Subject"]
    again = flashed(c, c.post("/bulk/remind", data={"csrf": csrf, "pick": PICK.findall(overview)}))
    assert "今天已经" in again["err"] and len(smtp.messages()) == before + 1
    bj = [p for p in PICK.findall(overview) if p.startswith(cases["bj"])]
    nothing = flashed(c, c.post("/bulk/remind", data={"csrf": csrf, "pick": bj}))
    assert "待人工核对的由工作人员处理" in nothing["err"] and len(smtp.messages()) == before + 1


def test_reviewers_have_no_bulk_actions(society):
    config, _, cases = society
    c = signed_in(config, "王评委")
    page = c.get("/scoring").text
    csrf = CSRF.search(page).group(1)
    for path in ("/bulk/accept/preview", "/bulk/accept", "/bulk/remind"):
        assert c.post(path, data={"csrf": csrf, "pick": [f"{cases['bj']}@1"]}).status_code == 403

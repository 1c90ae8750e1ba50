"""Unfinished scoring is never ranked (issue 20, item 4).

As found: an account with one item scored plus the pre-filled 粉丝量 showed 25.0
and rank 3 on the page and in 评分表.xlsx. Now a reviewer's sheet is a total only
when every item has points; a half-scored one is 未评完, not averaged, not
ranked; the page shows each reviewer's progress and 附件2's wording for every
item as text (not a tooltip a phone never shows)."""

from __future__ import annotations

import re
from datetime import datetime

import openpyxl
import pytest
from console_env import PASSWORDS, ROLES
from intake_env import TZ, Nomination, export, run, submission, write_config
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.config import load_config
from pipeline.ledger import Ledger
from pipeline.staff.scoring import save_scores, scoring_board
from pipeline.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def scored(tmp_path, dovecot_server, imap_account, smtp_server):
    """Two accepted accounts; 王评委 scores 北京's fully and 上海's one item; 李评委 nothing."""
    config_path = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account
    for sender, unit, name, msg_id, fans in (
        ("bjzj@bj.example.cn", "北京针灸学会", "京针之声", "s-bj@bj.example.cn", "12万"),
        ("a@shzj.example.cn", "上海市针灸学会", "海上针灸", "s-sh@shzj.example.cn", "30万"),
    ):
        nom = Nomination.sample(unit, name, 粉丝数量=fans)
        raw = submission(sender, f"{unit}推荐", msg_id, nomination=nom)
        dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 20, 10, 0, tzinfo=TZ))
    run(config_path, "once", "--quiet")
    cases = {r["message_id"]: r["case_no"] for r in export(config_path)}
    bj, sh = cases["s-bj@bj.example.cn"], cases["s-sh@shzj.example.cn"]
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    for who in ("刘晶晶", "王评委", "李评委"):
        add_user(ledger, who, ROLES[who], PASSWORDS[who])
    items = config.scoring.items
    save_scores(ledger, "王评委", bj, {i.name: i.points - 1 for i in items}, config=config)
    save_scores(ledger, "王评委", sh, {items[0].name: 20}, config=config)  # + pre-filled 粉丝量 10 = "30"
    return config_path, config, ledger, bj, sh


def test_half_scored_is_unfinished_and_unranked(scored):
    config_path, config, ledger, bj, sh = scored
    board = scoring_board(config, ledger)
    rows = {r.view.case_no: r for r in board.rows}
    full = sum(i.points - 1 for i in config.scoring.items)
    assert rows[bj].totals["王评委"] == full and rows[bj].average == full and rows[bj].rank == 1
    assert rows[sh].totals["王评委"] is None and rows[sh].sheet_state("王评委") == "未评完"
    assert rows[sh].average is None and rows[sh].rank is None
    assert rows[bj].sheet_state("李评委") == "未评"
    assert [p.phrase for p in board.progress()] == ["评完 1/2，未评完 1", "评完 0/2，未评 2"]

    out = run(config_path, "scoring").stdout
    assert "王评委评完 1/2，未评完 1" in out, out
    wb = openpyxl.load_workbook(config_path.parent / "outbox" / "reports" / "评分表.xlsx")
    sheet = wb["评委-王评委"]
    subtotal = [c.value for c in sheet[1]].index(f"小计\n（{config.scoring.total}分）") + 1
    row = next(r for r in range(2, 4) if sheet.cell(r, 4).value == sh)
    assert '"未评完"' in sheet.cell(row, subtotal).value  # the sheet says so, not a total


def test_the_page_shows_progress_unfinished_and_the_rules(scored):
    config_path, config, _, bj, sh = scored
    c = TestClient(create_app(config), follow_redirects=False)
    token = CSRF.search(c.get("/login").text).group(1)
    c.post("/login", data={"name": "刘晶晶", "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"})
    page = c.get("/scoring").text
    assert "评分进度：" in page and "王评委 评完 1/2，未评完 1" in page and "李评委 评完 0/2，未评 2" in page
    ranking = page[page.index('id="ranking"') :]
    ranking = ranking[: ranking.index("</table>")]
    sh_row = next(r for r in ranking.split("<tr>") if "海上针灸" in r)
    assert "未评完" in sh_row and "不排名" in sh_row and "30" not in sh_row
    bj_row = next(r for r in ranking.split("<tr>") if "京针之声" in r)
    assert '<td data-label="排名">1</td>' in bj_row
    rules = page[page.index('id="rules"') :]
    for item in config.scoring.items:  # 附件2's wording as text on the page, not only a title attribute
        assert f'<td data-label="评分细则">{item.rule}</td>' in rules, item.rule
    # A reviewer sees each item's rule beside its box.
    r = TestClient(create_app(config), follow_redirects=False)
    token = CSRF.search(r.get("/login").text).group(1)
    r.post("/login", data={"name": "王评委", "password": PASSWORDS["王评委"], "csrf": token, "next": "/"})
    mine = r.get("/scoring").text
    form = mine[mine.index(f'id="{sh}"') :]
    assert all(
        f'<span class="muted" style="display:block">{i.rule}</span>' in form for i in config.scoring.items
    )

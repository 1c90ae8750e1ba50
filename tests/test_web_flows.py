"""The console end to end in Chromium (Playwright driving Debian's chromium),
against `run.py web` on a ledger filled through dovecot and a real SMTP server.

Staff: sign in, open the stamped scan, correct 联系人 and 手机, accept — the
notice the SMTP server receives carries the corrected values and no stale
problem; select the account; send the packet — its 推荐表.docx has the
corrected values. Reviewers: two score two accounts; the exported 评分表.xlsx
holds their scores. Every page is shot at 1280 and 375 px and must not scroll
sideways on the phone.
"""

from __future__ import annotations

import email
import io
import zipfile
from email import policy

import docx
import openpyxl
import pytest
from browser import DESKTOP, PHONE, new_page, shoot, sideways_overflow
from console_env import PASSWORDS, ROLES, build


@pytest.fixture(scope="module")
def console(tmp_path_factory, dovecot_server):
    env = build(tmp_path_factory.mktemp("flows"), dovecot_server)
    yield env
    env.stop()
    env.smtp.cleanup()


def sign_in(browser, console, name: str, width: int = DESKTOP, password: str | None = None):
    page = new_page(browser, width)
    page.goto(console.url + "/")
    assert "/login" in page.url
    page.fill("#name", name)
    page.fill("#password", password or PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()
    return page


def look(page, name: str) -> None:
    """Screenshot at the page's width; on a phone nothing may scroll sideways."""
    shoot(page, name)
    width = page.viewport_size["width"]
    if width <= PHONE:
        assert sideways_overflow(page) <= 0, f"{name}: {sideways_overflow(page)} px sideways"


def mails(smtp, since=0):
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()[since:]]


def test_pages_read_well_at_desktop_and_phone_widths(browser, console):
    scan = console.cases["bj-scan@bj.example.cn"]
    question = console.cases["tj-q@tj.example.cn"]
    stranger = console.cases["evil-1@attacker.example"]
    for width, tag in ((DESKTOP, "1280"), (PHONE, "375")):
        page = sign_in(browser, console, "刘晶晶", width)
        for path, name in (
            ("/", "overview"),
            ("/messages", "messages"),
            (f"/case/{scan}", "case-scan"),
            (f"/case/{question}", "case-question"),
            (f"/case/{stranger}", "case-stranger"),
            ("/reminders", "reminders"),
            ("/packet", "packet"),
            ("/scoring", "scoring-staff"),
            ("/audit", "audit"),
        ):
            page.goto(console.url + path)
            assert "/login" not in page.url and page.locator("h1").count() >= 1, path
            # Staff never need a terminal: no page sends them to a command.
            assert "run.py" not in page.inner_text("body"), path
            look(page, f"console-{name}-{tag}")
        page.context.close()


def test_office_originals_are_shown_as_page_images(browser, console):
    """An Excel 推荐表 is rendered (LibreOffice → PDF → page images) beside what was read."""
    page = sign_in(browser, console, "刘晶晶")
    page.goto(f"{console.url}/case/{console.cases['sh-1@shzj.example.cn']}")
    image = page.locator(".original img").first
    image.wait_for()
    # The page image is made when the browser asks for it (LibreOffice, then pdfium):
    # wait until the browser has it, however long the conversion takes on this machine.
    element = image.element_handle()
    page.wait_for_function("(img) => img.complete", arg=element, timeout=180_000)
    assert page.evaluate("(img) => img.naturalWidth > 500", element)
    look(page, "case-excel-1280")
    page.context.close()


def test_overview_shows_every_unit_with_one_state_and_filters(browser, console):
    page = sign_in(browser, console, "刘晶晶")
    rows = page.locator("table.list tbody tr")
    units = {
        rows.nth(i).locator("td").nth(0).inner_text(): rows.nth(i).locator("td").nth(1).inner_text()
        for i in range(rows.count())
    }
    assert units == {
        "北京针灸学会": "待人工核对",
        "上海市针灸学会": "已受理",
        "天津市针灸学会": "未报送",
        "江苏省针灸学会": "已受理",
    }
    tasks = page.locator("ul.tasks li").all_inner_texts()
    assert any("待人工核对" in t for t in tasks) and any("来信待回复" in t for t in tasks)
    assert any("发件人不在名单" in t for t in tasks)
    page.fill("input[name=q]", "海上针灸")
    page.click("form.search button")
    assert page.locator("table.list tbody tr").count() == 1
    page.context.close()


def test_staff_correct_a_scan_accept_select_and_send_the_packet(browser, console):
    smtp = console.smtp
    scan = console.cases["bj-scan@bj.example.cn"]
    page = sign_in(browser, console, "刘晶晶")
    page.goto(f"{console.url}/case/{scan}")
    assert page.locator(".original img").count() >= 1  # the scan shown beside the fields
    look(page, "flow-1-scan-before")
    for label, value in (("联系人", "许诺诺"), ("手机", "13800000001")):
        field = page.locator("dl.fields .field", has=page.locator("dt", has_text=label)).first
        field.locator("summary").click()
        field.locator("input[name=value], textarea[name=value]").fill(value)
        field.locator("input[name=why]").fill("电话核实")
        field.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "更正" in page.locator(".flash.ok").inner_text()
    field = page.locator("dl.fields .field", has=page.locator("dt", has_text="联系人")).first
    assert "许诺诺" in field.locator("dd").inner_text() and "原识别值" in field.inner_text()
    before = len(smtp.messages())
    page.check("input[name=action][value=accept]")
    page.fill("#reason", "已对照盖章原件核对")
    page.click("form.actions button[type=submit]")
    page.wait_for_load_state()
    letter = page.locator("pre.letter").inner_text()
    look(page, "flow-2-accept-preview")
    assert "联系人：许诺诺" in letter and "手机：13800000001" in letter
    assert len(smtp.messages()) == before  # nothing sent before staff confirm
    page.click("form button[type=submit]:has-text('确认')")
    page.wait_for_load_state()
    assert "已受理" in page.locator("h1").inner_text()
    look(page, "flow-3-accepted")
    (notice,) = mails(smtp, before)
    text = notice.get_body(("plain",)).get_content()
    assert "已受理" in notice["Subject"] and notice["To"] == "bjzj@bj.example.cn"
    assert "联系人：许诺诺" in text and "手机：13800000001" in text
    for stale in ("未填写「", "请补充", "请更正", "待人工核对", "工作人员将对照原件核对"):
        assert stale not in text, stale
    assert text.index("工作人员意见：已对照盖章原件核对") > text.index("您好！")

    page.goto(f"{console.url}/packet")
    page.locator("tr", has_text="京针之声").locator("button[value=select]").click()
    page.wait_for_load_state()
    assert "选定上报" in page.locator(".flash.ok").inner_text()
    assert "1_京针之声/推荐表.docx" in page.locator(".card ul").first.inner_text()
    look(page, "flow-4-packet-preview")
    before = len(smtp.messages())
    page.click("form[action='/packet/send'] button")
    page.wait_for_load_state()
    (packet,) = mails(smtp, before)
    assert packet["To"] == "xcc@cast.example.org.cn"
    part = next(packet.iter_attachments())
    with zipfile.ZipFile(io.BytesIO(part.get_content())) as zf:
        form = docx.Document(io.BytesIO(zf.read("1_京针之声/推荐表.docx")))
        names = zf.namelist()
    cells = [c.text for row in form.tables[0].rows for c in row.cells]
    assert "许诺诺" in cells and "13800000001" in cells
    assert not any("扫描件" in n for n in names)  # one 推荐表: the rendered one
    page.context.close()


def test_correspondence_is_answered_from_the_page(browser, console):
    smtp = console.smtp
    question = console.cases["tj-q@tj.example.cn"]
    page = sign_in(browser, console, "刘晶晶")
    page.goto(f"{console.url}/case/{question}")
    assert "网盘链接" in page.locator("pre.letter").inner_text()
    page.fill("#reply-text", "可以。请把网盘链接和提取码写在邮件正文里，并注明有效期。")
    page.click("form[action$='/reply'] button")
    page.wait_for_load_state()
    assert "网盘链接和提取码" in page.locator("pre.letter").inner_text()
    before = len(smtp.messages())
    page.click("button:has-text('确认发送')")
    page.wait_for_load_state()
    (reply,) = mails(smtp, before)
    assert reply["To"] == "tjzj@tj.example.cn" and reply["In-Reply-To"] == "<tj-q@tj.example.cn>"
    assert "网盘链接和提取码" in reply.get_body(("plain",)).get_content()
    assert "回复来信" in page.locator("section").last.inner_text()
    page.context.close()


def test_reviewers_score_and_the_sheet_holds_their_scores(browser, console, tmp_path):
    sheets = {
        "王评委": {"京针之声": [18, 17, 16, 8, 9, None, 8], "海上针灸": [15, 15, 15, 7, 7, None, 6]},
        "李评委": {"京针之声": [16, 16, 16, 8, 8, None, 8], "海上针灸": [19, 19, 18, 9, 9, None, 9]},
    }
    items = ["群众导向", "解决实际困难", "内容充实典型", "表现形式", "特色亮点", "粉丝量", "转评赞"]
    for name, accounts in sheets.items():
        page = sign_in(browser, console, name, PHONE)
        assert page.url.endswith("/scoring")
        for account, points in accounts.items():
            card = page.locator("form.card", has_text=account)
            for item, value in zip(items, points, strict=True):
                if value is not None:
                    card.locator(f"input[name='{item}']").fill(str(value))
            card.locator("button[type=submit]").click()
            page.wait_for_load_state()
            assert "已保存" in page.locator(".flash.ok").inner_text()
        look(page, f"scoring-{name}-375")
        # Reviewers cannot reach staff pages.
        assert page.goto(console.url + "/messages").status == 403
        page.context.close()
    page = sign_in(browser, console, "刘晶晶")
    page.goto(console.url + "/scoring")
    look(page, "scoring-board-1280")
    with page.expect_download() as info:
        page.click("a[href='/scoring/export']")
    path = tmp_path / "评分表.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert {"评委-王评委", "评委-李评委"} <= set(wb.sheetnames)
    ws = wb["评委-王评委"]
    rows = {
        ws.cell(r, 3).value: [ws.cell(r, 6 + i).value for i in range(7)] for r in range(2, ws.max_row + 1)
    }
    # 粉丝量 was left as pre-filled: the saved value is the pre-fill.
    assert rows["京针之声"][:5] == [18, 17, 16, 8, 9] and rows["京针之声"][6] == 8
    assert rows["海上针灸"][:5] == [15, 15, 15, 7, 7]
    li = wb["评委-李评委"]
    li_rows = {
        li.cell(r, 3).value: [li.cell(r, 6 + i).value for i in range(7)] for r in range(2, li.max_row + 1)
    }
    assert li_rows["海上针灸"][:5] == [19, 19, 18, 9, 9]
    page.context.close()


def test_an_administrator_adds_resets_and_disables_accounts(browser, console):
    """Staff never need a terminal: a reviewer's account is made, reset and disabled in the console."""
    assert ROLES["张主任"] == "admin"
    page = sign_in(browser, console, "张主任")
    assert page.locator("nav.main a[href='/accounts']").count() == 1
    page.goto(console.url + "/accounts")
    look(page, "accounts-1280")
    page.fill("#new-name", "赵评委")
    page.check("input[name=role][value=reviewer]")
    page.fill("#new-password", "zhao-pass-1111")
    page.fill("#new-again", "zhao-pass-1111")
    page.click("form[action='/accounts/add'] button[type=submit]")
    page.wait_for_load_state()
    assert "已添加账号：赵评委（评审专家）" in page.locator(".flash.ok").inner_text()

    reviewer = sign_in(browser, console, "赵评委", PHONE, password="zhao-pass-1111")
    assert reviewer.url.endswith("/scoring")
    assert reviewer.locator("nav.main a[href='/accounts']").count() == 0
    assert reviewer.goto(console.url + "/accounts").status == 403

    row = page.locator("table.list tr", has_text="赵评委")
    row.locator("summary").click()
    row.locator("input[name=password]").fill("zhao-pass-2222")
    row.locator("input[name=again]").fill("zhao-pass-2222")
    row.locator("form[action='/accounts/reset'] button").click()
    page.wait_for_load_state()
    assert "已重设 赵评委 的密码" in page.locator(".flash.ok").inner_text()
    # A reset signs the person out everywhere.
    reviewer.goto(console.url + "/scoring")
    assert "/login" in reviewer.url
    reviewer.context.close()

    page.locator("table.list tr", has_text="赵评委").locator("form[action='/accounts/remove'] button").click()
    page.wait_for_load_state()
    assert "已停用账号：赵评委" in page.locator(".flash.ok").inner_text()
    assert "已停用" in page.locator("table.list tr", has_text="赵评委").inner_text()
    page.context.close()
    phone = new_page(browser, PHONE)
    phone.goto(console.url + "/login")
    phone.fill("#name", "赵评委")
    phone.fill("#password", "zhao-pass-2222")
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    assert "/login" in phone.url and "姓名或密码不正确" in phone.inner_text("body")
    phone.context.close()
    admin = sign_in(browser, console, "张主任", PHONE)
    admin.goto(console.url + "/accounts")
    look(admin, "accounts-375")
    admin.context.close()

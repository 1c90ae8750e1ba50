"""The case page marks what staff must check in a scanned form (issues 19 and 20.7).

A unit's stamped form, copied grey at 200 dpi with the 公章 pressed over 手机 and 邮编
(tests/scan_corpus.py, one page), goes through dovecot and `run.py once`; then
- in Chromium (Playwright, Debian's binary) at 1280 and 375 px: each uncertain field
  carries 待核对 and why, the original's piece around its value loads beside it (a JPEG
  from the console), and pointing at or tapping a field outlines its box over the page
  image, zoomed or not; a reviewer sees the same marks and nothing of the mail;
- over HTTP (starlette's TestClient on the same ledger): the crop route answers only
  signed-in people, only for a file of the case in the URL, only for a field whose place
  was recorded, and reviewers only once the nomination is accepted.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from browser import ARTIFACTS, DESKTOP, PHONE, SHOT_QUALITY, shoot, sideways_overflow
from console_env import PASSWORDS, build, page_signed_in
from intake_env import DOCX, UNITS, Nomination, run, submission
from scan_corpus import WORD_CONDITIONS, WORD_UNIT
from starlette.testclient import TestClient

from pipeline.campaign import builtin
from pipeline.config import load_config
from pipeline.model import PageBox
from pipeline.web.app import create_app
from pipeline.web.crops import MAX_SIZE, stored_box

SCAN = next(c for c in WORD_CONDITIONS if c.key == "grey200_over_values")
ZJ = {"name": WORD_UNIT, "addresses": ["zjzj@zj.example.cn"]}
CROP = re.compile(r'src="(/case/[^/"]+/file/(\d+)/crop/(\d+))"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _scan_mail() -> bytes:
    from samples import article_docx

    msg = EmailMessage()
    msg["From"] = f"{WORD_UNIT} <zjzj@zj.example.cn>"
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "浙江推荐表（盖章复印件）"
    msg["Message-ID"] = "<zj-scan@zj.example.cn>"
    msg.set_content("附件为盖章后复印的推荐表和图文案例。")
    msg.add_attachment(SCAN.make(), maintype="image", subtype="jpeg", filename=SCAN.name)
    msg.add_attachment(
        article_docx("浙江：针灸科普"), maintype=DOCX[0], subtype=DOCX[1], filename="图文案例.docx"
    )
    return msg.as_bytes()


@pytest.fixture(scope="module")
def console(tmp_path_factory, dovecot_server):
    mails = [
        _scan_mail(),
        submission(
            "jszj@js.example.cn",
            "江苏推荐",
            "js-1@js.example.cn",
            nomination=Nomination.sample("江苏省针灸学会", "江苏针灸", 粉丝数量="8000"),
        ),
    ]
    env = build(tmp_path_factory.mktemp("marks"), dovecot_server, mails=mails, units=[*UNITS, ZJ])
    yield env
    env.stop()
    env.smtp.cleanup()


def client(console) -> TestClient:
    return TestClient(create_app(load_config(console.config)), follow_redirects=False)


def sign_in_client(c: TestClient, name: str) -> None:
    token = CSRF.search(c.get("/login").text).group(1)
    r = c.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": token, "next": "/"})
    assert r.status_code == 303, r.text


def crops(html: str) -> list[tuple[str, int, int]]:
    return [(url, int(att), int(field)) for url, att, field in CROP.findall(html)]


def check_marks(page, console, width: int, name: str) -> None:
    """What every reader of the case page must see (staff and reviewers alike)."""
    labels = builtin().form.labels
    tagged = page.locator(".field.uncertain")
    assert tagged.count() >= 1
    for i in range(tagged.count()):  # every mark says why
        assert tagged.nth(i).locator(".to-check").inner_text() == "待核对"
        assert len(tagged.nth(i).locator(".why").inner_text()) > len("请对照原件核对：")
    # The values the 公章 was pressed over: 手机 read under it, 邮编 lost under it.
    phone = page.locator(".field.uncertain:has(dt:text-is('手机'))")
    assert phone.count() == 1, "手机 is not marked"
    why = phone.locator(".why").inner_text()
    assert "被印章覆盖" in why or "印章文字" in why, why
    postcode = page.locator(".field.uncertain:has(dt:text-is('邮编'))")
    assert postcode.count() == 1, "邮编 is not marked"
    # The crop beside 手机 loads from the console as a picture.
    first = phone
    img = first.locator("figure.crop img")
    assert img.count() == 1
    url = img.get_attribute("src")
    index = int(url.rsplit("/", 1)[1])
    assert first.locator("dt").inner_text().startswith(labels[index - 1])
    response = page.request.get(console.url + url)
    assert response.status == 200
    assert response.headers["content-type"] == "image/jpeg"
    img.scroll_into_view_if_needed()  # loaded lazily, as staff reach it
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    natural = img.evaluate("(i) => [i.naturalWidth, i.naturalHeight]")
    assert 0 < natural[0] <= MAX_SIZE[0] and 0 < natural[1] <= MAX_SIZE[1]
    # Its size was given before it loaded: nothing shifts under the pointer when it arrives.
    assert [int(img.get_attribute("width")), int(img.get_attribute("height"))] == natural
    assert img.bounding_box()["width"] <= page.viewport_size["width"]

    # Pointing at (tapping on a phone) a field outlines its box on the original's page.
    assert page.locator(".box-mark").count() == 0
    if width <= PHONE:
        phone.locator("dt").click()  # a tap: the page is not a touch page here
    else:
        phone.hover()
    mark = page.locator("#original .box-mark")
    mark.wait_for(state="visible")
    assert "marked" in phone.get_attribute("class").split(), "the outline is of another field"
    hit = mark.bounding_box()
    sheet = page.locator("#original a.page img").first.bounding_box()
    expected = [float(v) for v in phone.get_attribute("data-box").split()]
    assert hit["width"] > 5 and hit["height"] > 5
    # Where the box sits on the page image, as a share of the image (within a few pixels).
    assert abs((hit["x"] - sheet["x"]) / sheet["width"] * 100 - expected[0]) < 1
    assert abs((hit["y"] - sheet["y"]) / sheet["height"] * 100 - expected[1]) < 1
    assert abs(hit["width"] / sheet["width"] * 100 - expected[2]) < 1
    where = phone.locator("button.where")
    if width <= PHONE:  # the original is above the fields: a button goes to the outline
        where.click()
        page.wait_for_function(
            "() => { const r = document.querySelector('.box-mark').getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= window.innerHeight; }"
        )
    else:  # the original is beside the fields
        assert not where.is_visible()
    page.mouse.move(0, 0)  # the full-page capture scrolls: the pointer must not rest on a field
    shoot(page, f"{name}-{width}")

    # Zoomed, the outline grows with the page.
    page.click("button[data-zoom=in]")
    zoomed = page.locator("#original a.page img").first.bounding_box()
    assert zoomed["width"] > sheet["width"] * 1.4
    page.mouse.move(0, 0)  # the pointer off the fields: it would mark the field it rests on
    phone.focus()
    grown = mark.bounding_box()
    assert abs(grown["width"] / zoomed["width"] - hit["width"] / sheet["width"]) < 0.01
    # The zoomed pages scroll in their own box; the outline is brought into its view.
    view = page.locator("#original .pages").first.bounding_box()
    assert view["x"] - 1 <= grown["x"] and grown["x"] + grown["width"] <= view["x"] + view["width"] + 1
    # What staff see on screen (a full-page capture would stretch the sticky original).
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-zoomed-{width}.jpg"), quality=SHOT_QUALITY)
    if width <= PHONE:
        assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_staff_see_what_to_check_and_where_it_was_read(browser, console, width):
    case = console.cases["zj-scan@zj.example.cn"]
    page = page_signed_in(browser, console.url, "刘晶晶", width)
    page.goto(f"{console.url}/case/{case}")
    check_marks(page, console, width, "marks-staff")
    # A field read with certainty has neither tag nor crop, but may still be located.
    plain = page.locator(".field:not(.uncertain)")
    assert plain.count() >= 1
    assert plain.locator(".to-check").count() == 0 and plain.locator("figure.crop").count() == 0
    page.context.close()


def test_the_crop_route_is_fenced(console):
    scan_case = console.cases["zj-scan@zj.example.cn"]
    other = console.cases["js-1@js.example.cn"]
    anonymous = client(console)
    staff = client(console)
    sign_in_client(staff, "刘晶晶")
    html = staff.get(f"/case/{scan_case}").text
    found = crops(html)
    assert found, "no crop on the case page"
    url, att, field = found[0]
    r = staff.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content.startswith(b"\xff\xd8\xff")

    # Nobody signed in: to sign-in, no picture.
    r = anonymous.get(url)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    # The scan's file under another case's number, a field out of range or not a number,
    # a file id that does not exist: nothing.
    assert staff.get(f"/case/{other}/file/{att}/crop/{field}").status_code == 404
    for bad in ("0", "99", "-1", "x", "..%2F..%2Fetc%2Fpasswd"):
        assert staff.get(f"/case/{scan_case}/file/{att}/crop/{bad}").status_code == 404, bad
    assert staff.get(f"/case/{scan_case}/file/999999/crop/{field}").status_code == 404
    # The other case's own Word form was not scanned: no place recorded, no crop.
    other_html = staff.get(f"/case/{other}").text
    assert not crops(other_html) and "待核对" not in other_html
    docx = re.search(rf"/case/{other}/file/(\d+)", other_html).group(1)
    assert staff.get(f"/case/{other}/file/{docx}/crop/1").status_code == 404

    # A reviewer: not before the nomination is accepted; afterwards the same marks and
    # crops as staff, and nothing of the mail.
    reviewer = client(console)
    sign_in_client(reviewer, "王评委")
    assert reviewer.get(url).status_code == 403
    run(console.config, "decide", "accept", scan_case, "--reason", "已对照原件")
    r = reviewer.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    page = reviewer.get(f"/case/{scan_case}").text
    assert "待核对" in page and crops(page) == found
    for secret in ("zjzj@zj.example.cn", "浙江推荐表（盖章复印件）", "盖章后复印"):
        assert secret not in page, secret


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_reviewers_see_the_marks_and_nothing_of_the_mail(browser, console, width):
    case = console.cases["zj-scan@zj.example.cn"]
    staff = client(console)
    sign_in_client(staff, "刘晶晶")
    if "已受理" not in staff.get(f"/case/{case}").text:
        run(console.config, "decide", "accept", case, "--reason", "已对照原件")
    page = page_signed_in(browser, console.url, "王评委", width)
    page.goto(f"{console.url}/case/{case}")
    text = page.inner_text("body")
    for secret in ("zjzj@zj.example.cn", "浙江推荐表（盖章复印件）", "发件人"):
        assert secret not in text, secret
    check_marks(page, console, width, "marks-reviewer")
    page.context.close()


def test_a_box_from_the_facts_must_be_a_box():
    good = {"page": 1, "x": 10, "y": 20, "w": 30, "h": 40, "page_width": 100, "page_height": 200}
    assert stored_box(good) == PageBox(1, 10, 20, 30, 40, 100, 200)
    assert stored_box(good).percent() == {"left": 10.0, "top": 10.0, "width": 30.0, "height": 20.0}
    for bad in (
        None,
        "1,2,3,4",
        {**good, "page": 0},
        {**good, "w": 0},
        {**good, "x": 100},
        {**good, "x": "10"},
        {**good, "x": True},
        {**good, "page_width": 100_000, "page_height": 100_000},
        {k: v for k, v in good.items() if k != "h"},
    ):
        assert stored_box(bad) is None, bad


def test_a_corrected_value_is_no_longer_marked(console):
    """Staff check 邮编 against the original and write it in: its mark goes, the others stay."""
    case = console.cases["zj-scan@zj.example.cn"]
    staff = client(console)
    sign_in_client(staff, "刘晶晶")
    html = staff.get(f"/case/{case}").text
    assert _marked(html) >= {"手机", "邮编"}
    token = CSRF.search(html).group(1)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    r = staff.post(
        f"/case/{case}/correct",
        data={"csrf": token, "version": version, "field": "邮编", "value": "310007", "why": "对照原件"},
    )
    assert r.status_code == 303, r.text
    after = staff.get(f"/case/{case}").text
    assert "邮编" not in _marked(after) and "手机" in _marked(after)


def _marked(html: str) -> set[str]:
    """Labels of the fields the page tags 待核对."""
    return set(re.findall(r"<dt>([^<]+) <span class=\"tag warn to-check\">待核对</span></dt>", html))


def test_staff_say_a_value_was_read_right(browser, console):
    """Staff find 手机 (read under the stamp) right on the original: one click (核对无误)
    on a phone and it is no longer marked, the page says who checked it, and the 处理记录
    says so. Another person's page from before that click is refused, not applied."""
    case = console.cases["zj-scan@zj.example.cn"]
    staff = client(console)
    sign_in_client(staff, "刘晶晶")
    html = staff.get(f"/case/{case}").text
    assert "手机" in _marked(html)
    # Beside every value to check, and nowhere else; never for reviewers.
    assert html.count('class="check"') == len(_marked(html))
    reviewer = client(console)
    sign_in_client(reviewer, "王评委")
    seen_by_reviewer = reviewer.get(f"/case/{case}").text
    assert "待核对" in seen_by_reviewer and 'class="check"' not in seen_by_reviewer

    page = page_signed_in(browser, console.url, "刘晶晶", PHONE)
    page.goto(f"{console.url}/case/{case}")
    other = page_signed_in(browser, console.url, "张主任", DESKTOP)
    other.goto(f"{console.url}/case/{case}")  # the same version of the case, before the click
    phone = page.locator(".field:has(dt:text-is('手机'))")
    value = phone.locator("dd").inner_text()
    assert value and phone.locator("form.check").count() == 1
    button = phone.locator("form.check button")
    assert button.inner_text() == "核对无误"
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE and box["height"] >= 24
    button.click()
    page.wait_for_load_state()
    flash = page.locator(".flash.ok").inner_text()
    assert f"核对「手机」无误：“{value}”" in flash and "不再列为待核对" in flash, flash
    phone = page.locator(".field:has(dt:text-is('手机'))")
    assert "uncertain" not in phone.get_attribute("class").split()
    assert phone.locator(".to-check").count() == 0 and phone.locator("form.check").count() == 0
    assert phone.locator("dd").inner_text() == value
    assert phone.locator(".src").inner_text() == "来源：工作人员核对无误（刘晶晶）"
    assert phone.locator(".was").count() == 0  # the value is the reading: nothing was changed
    assert f"核对「手机」无误：“{value}”" in page.inner_text("body")  # the 处理记录
    assert sideways_overflow(page) <= 0
    page.mouse.move(0, 0)
    shoot(page, "marks-checked-375")

    # The other page still offers the check on 手机, for a case that has moved on: refused.
    other.locator(".field:has(dt:text-is('手机')) form.check button").click()
    other.wait_for_load_state()
    refused = other.locator(".flash.err").inner_text()
    assert "刘晶晶" in refused and "请刷新" in refused, refused
    assert other.locator(".flash.ok").count() == 0
    # Reloaded, it shows what the first person did, and the check was recorded once.
    assert (
        other.locator(".field:has(dt:text-is('手机')) .src").inner_text()
        == "来源：工作人员核对无误（刘晶晶）"
    )
    assert other.inner_text("body").count(f"核对「手机」无误：“{value}”") == 1
    # A long text (its value posted whole, as the page shows it) is checked the same way,
    # from the first page: the refused click changed nothing, so its version still holds.
    reason = page.locator(".field:has(dt:text-is('推荐理由'))")
    assert "uncertain" in reason.get_attribute("class").split()  # the stamp's lettering was taken out
    text = reason.locator("dd").inner_text()
    reason.locator("form.check button").click()
    page.wait_for_load_state()
    assert "核对「推荐理由」无误" in page.locator(".flash.ok").inner_text()
    reason = page.locator(".field:has(dt:text-is('推荐理由'))")
    assert "uncertain" not in reason.get_attribute("class").split()
    assert reason.locator("dd").inner_text() == text
    page.context.close()
    other.context.close()

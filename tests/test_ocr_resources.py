"""A good scan is never called damaged, and a unit never reads a guess as its own value.

- The OCR child hitting its memory cap (ONNX Runtime's std::bad_alloc, a
  MemoryError) or its deadline is the machine running short, not the file:
  the scan is tried again smaller, and if that fails too it goes to staff
  unread (code scan_unread: the receipt says staff will read the original).
  The cap is made low here (limits.document_memory_mb) instead of loading the
  machine; a deadline is forced by a reader that never returns.
- A 2,000-page scan gets one note saying how many pages it has and how many
  were looked at (issue 17.6: it got "超过 60 页，仅读取了前 60 页" and "…只查看了
  前 122 页").
- Through the real mail servers: the receipt of a stamped copy shows every
  value staff still have to check as such, never the reading; a corrected
  value leaves `uncertain`; a small blurred photo of the form is the form.
- The unit's next step after such a photo: its receipt asks for a clearer copy (and
  recounts in later letters as staff check values); the Word file sent after it replaces
  it, never "over quota" for the misread name; the photo sent after the Word file does
  not replace it, and the console says the unit holds two places; a value the unit
  writes in a reply is its own, no longer one to check.
"""

from __future__ import annotations

import email
import io
import json
import re
import threading
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import scan_corpus
import yaml
from console_env import PASSWORDS
from intake_env import DOCX, ROOT, TZ, export, run, run_process, write_config
from PIL import Image
from reply_samples import Received, qq
from samples import article_docx
from scan_corpus import WORD_CONDITIONS, WORD_VALUES
from shared_readings import shared_readings
from sqlalchemy import select
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.campaign import builtin
from pipeline.config import Limits, load_config
from pipeline.documents import isolate, ocr, read_document
from pipeline.documents.ocr_confidence import UNREAD, UNREAD_SCORE
from pipeline.form import extract_form
from pipeline.ledger import Ledger, MessageRow
from pipeline.notices.to_units import DECISION, notice_text
from pipeline.staff.decisions import DecisionError, correct_field
from pipeline.web.app import create_app

FORM = builtin().form

CONDITIONS = {c.key: c for c in WORD_CONDITIONS}
DAMAGE = {"corrupt", "too_large", "timeout"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def grey() -> tuple[str, bytes]:
    c = CONDITIONS["grey200"]
    return c.name, c.make()


@pytest.fixture
def fresh_sandbox():
    """A sandbox child forked after the test's patches (and none left behind with them)."""
    isolate.shutdown()
    yield
    isolate.shutdown()


def codes(doc) -> list[str]:
    return [p.code for p in doc.problems]


@pytest.fixture(scope="module")
def low_memory(tmp_path_factory) -> Path:
    """The shipped inbox_rules.yaml with a memory cap too low for the OCR engine.
    (Through run.py: a test process that already built an engine would lend it
    to the sandbox child it forks, and the cap would not bite.)"""
    data = yaml.safe_load((ROOT / "inbox_rules.yaml").read_text(encoding="utf-8"))
    data["limits"]["document_memory_mb"] = 40
    path = tmp_path_factory.mktemp("low_memory") / "inbox_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_out_of_memory_is_not_damage_the_scan_goes_to_staff(grey, low_memory):
    name, data = grey
    page = scan_corpus.grey_scan(scan_corpus.press_stamp(scan_corpus.printed_page(150), 150), 150)
    files = {name: data, "推荐表.pdf": scan_corpus.image_pdf(page, 150)}
    for file, content in files.items():
        (low_memory.parent / file).write_bytes(content)
    # A real run.py: this test process has built an engine the sandbox child would inherit.
    extract = run_process(low_memory, "extract", *(str(low_memory.parent / f) for f in files))
    out = json.loads(extract.stdout)
    assert len(out) == 2
    for obj in out:
        found = [p["code"] for p in obj["problems"]]
        assert found[0] == UNREAD and not DAMAGE & set(found), found
        assert "工作人员将对照原件录入" in obj["problems"][0]["message"]
        assert obj["is_scan"] and obj["form_score"] == UNREAD_SCORE  # still the form, for staff
        assert obj["uncertain"] == list(WORD_VALUES)


def test_a_broken_picture_is_still_damaged(grey):
    _, data = grey
    doc = read_document("推荐表.jpg", data[:3000])
    assert codes(doc) == ["corrupt"]


def test_memory_error_is_retried_smaller(grey, fresh_sandbox, monkeypatch, caplog):
    """The first try runs out of memory; the second, on smaller pages, reads the form."""
    real = ocr.ocr_image

    def short_of_memory(data, name, limits=None, lean=False, **kwargs):
        if not lean:
            raise MemoryError("std::bad_alloc")
        return real(data, name, limits, lean=lean, **kwargs)

    monkeypatch.setattr(ocr, "ocr_image", short_of_memory)
    name, data = grey
    doc = read_document(name, data)
    assert codes(doc) == ["scan"]
    form = extract_form(doc, FORM)
    assert sum(form.fields[k] == v for k, v in WORD_VALUES.items()) >= 14
    assert "trying smaller" in caplog.text


def test_a_scan_that_never_finishes_is_not_damage(grey, fresh_sandbox, monkeypatch):
    """Both tries pass their deadline (the reader waits forever): left to staff unread."""

    def stuck(*args, **kwargs):
        threading.Event().wait()

    monkeypatch.setattr(ocr, "ocr_image", stuck)
    name, data = grey
    doc = read_document(name, data, Limits(document_timeout_seconds=2))
    assert codes(doc) == [UNREAD]
    assert not DAMAGE & set(codes(doc))


def tiny_pages_pdf(pages: int) -> bytes:
    """A scan of `pages` nearly blank pages (small, so 2,000 of them stay cheap)."""
    from PIL import Image, ImageDraw

    imgs = []
    for n in range(pages):
        img = Image.new("L", (85, 120), 250)
        ImageDraw.Draw(img).text((30, 100), str(n + 1), fill=0)
        imgs.append(img)
    buf = io.BytesIO()
    imgs[0].save(buf, "PDF", resolution=10, save_all=True, append_images=imgs[1:])
    return buf.getvalue()


def test_a_2000_page_scan_gets_one_honest_note():
    doc = read_document("扫描汇编.pdf", tiny_pages_pdf(2000), Limits(ocr_budget_seconds=3))
    notes = [p for p in doc.problems if p.code in ("pdf_truncated", "scan_incomplete")]
    assert [p.code for p in notes] == ["scan_incomplete"], [p.message for p in notes]
    seen = int(notes[0].message.split("系统只查看了前 ")[1].split(" 页")[0])
    assert "2000 页的扫描件" in notes[0].message and 0 < seen <= ocr.MAX_PAGES


# ---------------------------------------------------------------- through the mail servers


def unit_mail(sender: str, msg_id: str, subject: str, text: str, form: tuple[str, bytes, str, str]) -> bytes:
    """A unit's mail: `form` (name, bytes, maintype, subtype) and a 图文案例."""
    name, data, maintype, subtype = form
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{msg_id}>"
    msg.set_content(text)
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    msg.add_attachment(article_docx("图文案例"), maintype=DOCX[0], subtype=DOCX[1], filename="图文案例.docx")
    return msg.as_bytes()


def scan_mail(sender: str, msg_id: str, name: str, data: bytes) -> bytes:
    subtype = {"jpg": "jpeg", "tif": "tiff"}.get(name.rsplit(".", 1)[1], name.rsplit(".", 1)[1])
    maintype = "application" if subtype == "pdf" else "image"
    return unit_mail(
        sender, msg_id, "推荐表（盖章）", "附件是盖章后的推荐表，请查收。", (name, data, maintype, subtype)
    )


def receipts(smtp) -> dict[str, str]:
    """Recipient -> the receipt's text."""
    out = {}
    for m in smtp.messages():
        msg = email.message_from_bytes(m.data, policy=policy.default)
        out[m.rcpts[0]] = msg.get_body(("plain",)).get_content()
    return out


def field_lines(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        label, sep, value = line.strip().partition("：")
        if sep and label in WORD_VALUES:
            out[label] = value
    return out


def assert_shows_only_sure_values(receipt: str, uncertain: list[str]) -> None:
    """The receipt lists every field: a value staff must check as a note saying so,
    every other value exactly as the form holds it (only what was read for sure)."""
    shown = field_lines(receipt)
    assert set(shown) == set(WORD_VALUES)
    for label, value in shown.items():
        if label in uncertain:
            assert value in ("（待工作人员对照原件核对）", "（未能识别，待工作人员对照原件填写）"), (
                label,
                value,
            )
        else:
            assert value == WORD_VALUES[label], (label, value)


@pytest.fixture
def mailbox(tmp_path, dovecot_server, imap_account, smtp_server):
    def make(limits: dict | None = None):
        config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
        if limits:
            data = yaml.safe_load(config.read_text(encoding="utf-8"))
            data.setdefault("limits", {}).update(limits)
            config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        user, password = imap_account

        def deliver(raw: bytes) -> None:
            dovecot_server.append(user, password, "INBOX", raw, datetime(2021, 7, 21, 9, 0, tzinfo=TZ))

        return config, deliver

    return make


def test_receipts_never_show_a_reading_staff_must_check(mailbox, smtp_server):
    config, deliver = mailbox()
    stamped = CONDITIONS["bw200_over_values"]
    blurred = CONDITIONS["photo_small_blurred"]
    deliver(scan_mail("bjzj@bj.example.cn", "bj-copy@x", stamped.name, stamped.make()))
    deliver(scan_mail("tjzj@tj.example.cn", "tj-photo@x", blurred.name, blurred.make()))
    with shared_readings():  # the corpus test reads these two copies too: once per run
        run(config, "once")
    texts = receipts(smtp_server)
    records = {r["message_id"]: r for r in export(config)}

    copy = records["bj-copy@x"]
    assert copy["status"] == "manual_review" and copy["is_scan"]
    assert {"手机", "邮编"} <= set(copy["uncertain"])
    assert_shows_only_sure_values(texts["bjzj@bj.example.cn"], copy["uncertain"])

    photo = records["tj-photo@x"]
    text = texts["tjzj@tj.example.cn"]
    assert photo["status"] == "manual_review"
    assert "未找到推荐表" not in text and "未能在" not in text
    # Most of its values are to check: the unit is asked for a clearer copy (the stamped
    # copy, read well, is not), and the letter does not also say there is no need to resend.
    assert 2 * len(photo["uncertain"]) > len(WORD_VALUES)
    assert "清晰的原图" in text and "无需重新发送" not in text
    assert f"15 栏中有 {len(photo['uncertain'])} 栏待核对" in text
    assert "如有 Word/WPS 电子版" not in text  # the plain scan note is not said twice
    stamped_text = texts["bjzj@bj.example.cn"]
    assert "原图" not in stamped_text and "暂无需重新发送" in stamped_text
    assert_shows_only_sure_values(text, photo["uncertain"])
    assert not any(p["code"] in ("form_missing", "form_not_found") for p in photo["problems"])

    # The console's crop of the original: each value's box is stored with the form file.
    ledger = Ledger(load_config(config).database_url)
    with ledger.session() as s:
        row = s.scalar(select(MessageRow).where(MessageRow.message_id == "bj-copy@x"))
        (form_file,) = [a for a in row.attachments if a.kind == "推荐表"]
        facts, file_id = dict(form_file.facts), form_file.id
    assert facts["uncertain"] == copy["uncertain"]
    assert set(copy["sources"]) <= set(facts["boxes"])  # every value that was located has its box
    assert "联系地址" in copy["uncertain"] and "联系地址" in facts["boxes"]
    for box in facts["boxes"].values():
        assert box["page"] == 1 and box["w"] > 0 and box["h"] > 0
        assert 0 <= box["x"] < box["x"] + box["w"] <= box["page_width"]
        assert 0 <= box["y"] < box["y"] + box["h"] <= box["page_height"]

    # The console marks each value to check and shows its crop of the original.
    staff = signed_in(config, ledger)
    page = staff.get(f"/case/{copy['case_no']}").text
    labels = [f.label for f in FORM.fields]
    for number, label in enumerate(labels, 1):
        block = page.split(f'id="f-{number}"')[1].split(f'id="f-{number + 1}"')[0]
        assert ("待核对" in block) == (label in copy["uncertain"]), label
        crop = f"/case/{copy['case_no']}/file/{file_id}/crop/{number}"
        assert (crop in block) == (label in copy["uncertain"] and label in facts["boxes"]), label
    located = [label for label in copy["uncertain"] if label in facts["boxes"]]
    assert "联系地址" in located
    for label in located:
        got = staff.get(f"/case/{copy['case_no']}/file/{file_id}/crop/{labels.index(label) + 1}")
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(got.content)) as shown:  # a piece of the page, not the page
            assert shown.format == "JPEG"
            assert 0 < shown.width <= 900 and 0 < shown.height <= 360, label
    assert staff.get(f"/case/{copy['case_no']}/file/{file_id}/crop/99").status_code == 404
    ledger.engine.dispose()

    # What staff do from here is replayed after a restore: a backup taken before it.
    backup = config.parent / "before-staff-checked.sqlite3"
    run(config, "backup", "--to", str(backup))
    case = copy["case_no"]

    # Staff check 邮编 (under the stamp's ring, not read) against the original and fill it
    # in: it is no longer uncertain; 手机, read but under the stamp, still is.
    run(config, "decide", "correct", case, "--field", "邮编", "--value", WORD_VALUES["邮编"])
    after = {r["message_id"]: r for r in export(config)}["bj-copy@x"]
    assert "邮编" not in after["uncertain"] and "手机" in after["uncertain"]

    # 手机 was read under the stamp; staff find it right on the original and keep it
    # (核对无误): it is no longer uncertain, its value and reading stay, and the unit's next
    # notice shows it instead of "to be checked".
    def return_notice() -> dict[str, str]:
        shown = run(config, "decide", "return", case, "--ask", "请补充盖章页", "--preview").stdout
        return field_lines(shown)

    assert return_notice()["手机"] == "（待工作人员对照原件核对）"
    phone = after["fields"]["手机"]
    out = run(config, "decide", "correct", case, "--field", "手机", "--value", phone).stdout
    assert f"核对「手机」无误：“{phone}”" in out and "不再列为待核对" in out, out
    checked = {r["message_id"]: r for r in export(config)}["bj-copy@x"]
    assert "手机" not in checked["uncertain"] and checked["fields"]["手机"] == phone
    assert checked["sources"]["手机"] == "工作人员核对无误（工作人员）"
    assert checked["fields_read"]["手机"] == copy["fields"]["手机"]
    assert set(checked["uncertain"]) == set(copy["uncertain"]) - {"手机", "邮编"}
    assert return_notice()["手机"] == phone
    assert f"核对「手机」无误：“{phone}”" in run(config, "show", case).stdout  # 处理记录

    # A value nobody has to check, given unchanged: nothing to do, refused as before —
    # through the command line and the staff layer alike; so is 手机 a second time.
    sure = next(label for label in WORD_VALUES if label not in copy["uncertain"] and copy["fields"][label])
    refused = run(
        config, "decide", "correct", case, "--field", sure, "--value", copy["fields"][sure], check=False
    )
    assert refused.returncode != 0 and f"「{sure}」的值没有变化" in refused.stderr, refused.stderr
    conf = load_config(config)
    ledger = Ledger(conf.database_url)
    for label, value in ((sure, copy["fields"][sure]), ("手机", phone)):
        with pytest.raises(DecisionError, match=f"「{label}」的值没有变化"):
            correct_field(ledger, conf, case, label, value, "刘晶晶")
    ledger.engine.dispose()

    # The backup put back: the journal replays the correction and the check.
    restored = run(config, "restore", str(backup)).stdout
    assert "恢复 2 条" in restored, restored
    again = {r["message_id"]: r for r in export(config)}["bj-copy@x"]
    assert again["uncertain"] == checked["uncertain"] and again["sources"] == checked["sources"]
    assert again["fields"] == checked["fields"]
    assert f"核对「手机」无误：“{phone}”" in run(config, "show", case).stdout


def test_a_unit_is_never_told_its_good_scan_is_damaged(mailbox, smtp_server):
    config, deliver = mailbox({"document_memory_mb": 40})  # the OCR child cannot even load the engine
    c = CONDITIONS["grey200"]
    deliver(scan_mail("bjzj@bj.example.cn", "bj-oom@x", c.name, c.make()))
    run_process(config, "once")  # a real run.py: an engine built in this process would lift the cap
    text = receipts(smtp_server)["bjzj@bj.example.cn"]
    (record,) = export(config)
    assert record["status"] == "manual_review"
    assert UNREAD in [p["code"] for p in record["problems"]]
    assert not DAMAGE & {p["code"] for p in record["problems"]}
    for wrong in ("损坏", "无法打开", "重新导出", "未找到推荐表", "超时"):
        assert wrong not in text, wrong
    assert "工作人员将对照原件录入" in text
    assert "识别预填" not in text  # nothing was read: no second note saying it was


def send_copy(config: Path, deliver, sender: str, msg_id: str, key: str) -> dict:
    """Mail the corpus's `key` copy from `sender`, run `once` (its reading shared with the
    corpus test: once per run), and return the submission's record."""
    copy = CONDITIONS[key]
    deliver(scan_mail(sender, msg_id, copy.name, copy.make()))
    with shared_readings():
        run(config, "once")
    return {r["message_id"]: r for r in export(config)}[msg_id]


def letter_about(smtp, msg_id: str) -> str:
    """The text of the last letter we sent that answers (or quotes) mail `msg_id`."""
    sent = [m for m in smtp.messages() if msg_id.encode() in m.data][-1]
    return email.message_from_bytes(sent.data, policy=policy.default).get_body(("plain",)).get_content()


def signed_in(config: Path, ledger: Ledger) -> TestClient:
    """The console (in this process) with 刘晶晶 of the staff signed in."""
    staff = TestClient(create_app(load_config(config)), follow_redirects=False)
    add_user(ledger, "刘晶晶", "staff", PASSWORDS["刘晶晶"])
    token = CSRF.search(staff.get("/login").text).group(1)
    staff.post("/login", data={"name": "刘晶晶", "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"})
    return staff


def word_mail(sender: str, msg_id: str) -> bytes:
    """The same 推荐表 as the corpus's photos, sent as the Word file it was made from."""
    form = ("推荐表.docx", scan_corpus.word_form_docx(), *DOCX)
    return unit_mail(sender, msg_id, "推荐表（电子版）", "补发推荐表电子版，请查收。", form)


def test_the_word_file_sent_after_an_unreadable_photo_replaces_it(mailbox, smtp_server):
    """The photo's receipt asks for the Word version; the unit sends it. The account's
    name read from the photo is wrong and marked for checking, so it names no other
    account: the Word file is the new version of the same nomination, never "over quota"."""
    config, deliver = mailbox()
    photo = send_copy(config, deliver, "tjzj@tj.example.cn", "tj-photo@x", "photo_small_blurred")
    identity = FORM.identity_label
    assert identity in photo["uncertain"] and photo["fields"][identity] != WORD_VALUES[identity]

    deliver(word_mail("tjzj@tj.example.cn", "tj-word@x"))
    run(config, "once")
    records = {r["message_id"]: r for r in export(config)}
    word, photo = records["tj-word@x"], records["tj-photo@x"]
    assert word["status"] == "accepted", word["problems"]
    assert photo["status"] == "superseded" and photo["superseded_by"] == word["case_no"]
    body = letter_about(smtp_server, "tj-word@x")
    assert "已替换此前的报送" in body and "超出" not in body
    ledger = Ledger(load_config(config).database_url)
    page = signed_in(config, ledger).get(f"/case/{word['case_no']}").text
    assert "同一单位的其他来信" in page and 'class="warning crowded"' not in page  # one place held
    ledger.engine.dispose()


def test_a_value_the_unit_replies_with_is_its_own_not_a_reading_to_check(mailbox, smtp_server):
    """On a stamped copy the phone number under the stamp is to check; the unit replies
    "手机：…" under the receipt. That value is the unit's own writing, not the OCR's: the
    answer shows it, and staff are no longer asked to check it against the original."""
    config, deliver = mailbox()
    copy = send_copy(config, deliver, "bjzj@bj.example.cn", "bj-copy@x", "bw200_over_values")
    assert "手机" in copy["uncertain"]
    (sent,) = smtp_server.messages()
    receipt = email.message_from_bytes(sent.data, policy=policy.default)
    shown = Received(
        str(receipt["Message-ID"]), str(receipt["Subject"]), receipt.get_body(("plain",)).get_content()
    )
    phone = "13912345678"  # not what the copy shows: the reply's value, wherever it shows
    dovecot_reply = qq(shown, f"手机：{phone}", "bjzj@bj.example.cn", "北京针灸学会")
    deliver(dovecot_reply)
    run(config, "once")

    after = {r["message_id"]: r for r in export(config)}["bj-copy@x"]
    assert after["fields"]["手机"] == phone and "手机" not in after["uncertain"]
    assert set(after["uncertain"]) == set(copy["uncertain"]) - {"手机"}
    answer = email.message_from_bytes(smtp_server.messages()[-1].data, policy=policy.default)
    lines = field_lines(answer.get_body(("plain",)).get_content())
    assert lines["手机"] == phone
    assert all(lines[label].startswith("（") for label in after["uncertain"])  # still masked


def test_an_unreadable_photo_after_the_word_file_does_not_replace_it(mailbox, smtp_server):
    """The other order: the Word file first, then the blurred photo (the stamped copy).
    The photo's unsure name is no second account (not over quota), and it does not push
    out the Word file read for sure: both stay for staff, and the unit, having sent the
    Word file, is not asked for a clearer copy."""
    config, deliver = mailbox()
    deliver(word_mail("tjzj@tj.example.cn", "tj-word@x"))
    run(config, "once")
    photo = send_copy(config, deliver, "tjzj@tj.example.cn", "tj-photo@x", "photo_small_blurred")
    word = {r["message_id"]: r for r in export(config)}["tj-word@x"]
    assert word["status"] == "accepted" and photo["status"] == "manual_review", photo["problems"]
    assert FORM.identity_label in photo["uncertain"]
    text = letter_about(smtp_server, "tj-photo@x")
    assert "超出" not in text and "已替换" not in text and "原图" not in text
    # Staff see, on both cases, that the unit now holds two places for one.
    ledger = Ledger(load_config(config).database_url)
    staff = signed_in(config, ledger)
    for case in (word["case_no"], photo["case_no"]):
        page = staff.get(f"/case/{case}").text
        warning = page.split('class="warning crowded"')[1].split("</div>")[0]
        assert "目前有 2 份报送占用名额（限 1 个）" in warning
        assert f'href="/case/{word["case_no"]}"' in warning and f'href="/case/{photo["case_no"]}"' in warning
    ledger.engine.dispose()


def test_the_request_for_a_clearer_copy_follows_what_staff_have_checked(mailbox, smtp_server):
    """A later letter about the blurred photo counts the values still to check as they are
    then, and no longer asks for a clearer copy once staff have checked all but half."""
    config, deliver = mailbox()
    photo = send_copy(config, deliver, "tjzj@tj.example.cn", "tj-photo@x", "photo_small_blurred")
    to_check = list(photo["uncertain"])
    assert len(to_check) == 13

    def letter() -> str:
        ledger = Ledger(load_config(config).database_url)
        try:
            with ledger.session() as s:
                row = s.scalar(select(MessageRow).where(MessageRow.message_id == "tj-photo@x"))
                return notice_text(load_config(config), row, kind=DECISION)
        finally:
            ledger.engine.dispose()

    for label in to_check[:3]:
        run(config, "decide", "correct", photo["case_no"], "--field", label, "--value", WORD_VALUES[label])
    text = letter()
    assert "15 栏中有 10 栏待核对" in text and "清晰的原图" in text and "无需重新发送" not in text
    for label in to_check[3:6]:
        run(config, "decide", "correct", photo["case_no"], "--field", label, "--value", WORD_VALUES[label])
    text = letter()  # 7 of 15 left: staff read the rest from the photo
    assert "原图" not in text and "暂无需重新发送" in text

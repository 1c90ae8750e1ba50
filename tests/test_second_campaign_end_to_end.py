"""The second campaign (examples/campaigns/kepu/) end to end through the real servers.

Its rules file and blank 申报表 are copied as staff would copy them, only the
mailbox, the SMTP server and the storage pointed at the test dovecot, aiosmtpd
and a temporary folder. Each unit named in expected.json sends its filled copy
(.docx, .doc, .pdf, .xlsx) by mail, and 天津 a description of its work without
the 申报表; one `run.py once` reads them. What comes out
speaks of 作品 and the 申报表's sixteen fields, never of the built-in 附件1's
账号名称/粉丝数量: the ledger's fields, the receipts, 汇总表.xlsx, the packet's
filled 申报表 (the campaign's own blank form) and 推荐作品汇总表, the console's
case page and scoring board.
"""

from __future__ import annotations

import email
import io
import json
import re
import secrets
import shutil
import zipfile
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml
from console_env import PASSWORDS
from intake_env import TZ, export, mail_servers, run
from mailservers import SmtpServer
from starlette.testclient import TestClient

from pipeline.accounts import add_user
from pipeline.campaign import builtin
from pipeline.config import load_config
from pipeline.documents import read_document
from pipeline.form import extract_form
from pipeline.ledger import Ledger
from pipeline.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
KEPU = ROOT / "examples" / "campaigns" / "kepu"
BLANK = "附件1-优秀科普作品申报表.docx"
EXPECTED: dict[str, dict] = json.loads((KEPU / "expected.json").read_text(encoding="utf-8"))
MIME = {
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".doc": ("application", "msword"),
    ".pdf": ("application", "pdf"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
TIANJIN = "天津市针灸学会"
# Labels only the built-in 附件1 has (账号名称, 粉丝数量 …): none may show in this campaign's output.
BUILTIN_ONLY = sorted(set(builtin().form.labels) - set(load_config(KEPU / "inbox_rules.yaml").form.labels))


def _install(tmp: Path, dovecot, account: tuple[str, str], smtp) -> Path:
    """kepu's inbox_rules.yaml and blank form in `tmp`, its mailbox, SMTP and storage pointed here."""
    shutil.copy(KEPU / BLANK, tmp / BLANK)
    data = yaml.safe_load((KEPU / "inbox_rules.yaml").read_text(encoding="utf-8"))
    mailbox, sender = mail_servers(
        tmp, dovecot, account, smtp, mailbox="科普作品邮箱", from_name=data["smtp"]["from_name"]
    )
    data["mailboxes"], data["smtp"] = [mailbox], sender
    data["upstream"]["accounts"] = len(EXPECTED)  # every copy goes into the packet, to read each back
    data["storage"] = {"database": "sqlite:///data/ledger.sqlite3"}  # the rest: data/, outbox/ here
    config = tmp / "inbox_rules.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config


def _sender(unit: str, rules: dict) -> str:
    entry = next(u for u in rules["units"] if u["name"] == unit)
    address = entry["addresses"][0] if entry.get("addresses") else f"office@{entry['domains'][0]}"
    return f"{unit} <{address}>"


def _mail(name: str, unit: str, rules: dict, n: int, data: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = _sender(unit, rules)
    msg["To"] = "kepu@society.example.cn"
    msg["Subject"] = f"{unit}申报优秀科普作品"
    msg["Message-ID"] = f"<kepu-{n}@units.example.cn>"
    msg["Date"] = "Thu, 20 Jun 2024 09:00:00 +0800"
    msg.set_content("附件是我会的申报表，作品链接见表中，请查收。")
    maintype, subtype = MIME[Path(name).suffix]
    data = data if data is not None else (KEPU / "filled" / name).read_bytes()
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, dovecot_server, smtp_module):
    """The installation after one `once` over the units' mails: (config, smtp, records by unit)."""
    tmp = tmp_path_factory.mktemp("kepu")
    user, password = f"kepu-{secrets.token_hex(4)}@example.org", secrets.token_urlsafe(12)
    dovecot_server.add_user(user, password)
    config = _install(tmp, dovecot_server, (user, password), smtp_module)
    rules = yaml.safe_load(config.read_text(encoding="utf-8"))
    for n, (name, case) in enumerate(sorted(EXPECTED.items()), 1):
        arrival = datetime(2024, 6, 20, 9, n, tzinfo=TZ)
        dovecot_server.append(user, password, "INBOX", _mail(name, case["unit"], rules, n), arrival)
    # 天津 sends a description of its work, not the 申报表.
    words = docx.Document()
    words.add_paragraph("《针灸与睡眠》作品说明：本作品为系列短视频，共5集。")
    data = io.BytesIO()
    words.save(data)
    arrival = datetime(2024, 6, 21, 9, 0, tzinfo=TZ)
    dovecot_server.append(
        user, password, "INBOX", _mail("作品说明.docx", TIANJIN, rules, 9, data.getvalue()), arrival
    )
    run(config, "once")
    records = {r["unit"]: r for r in export(config)}
    return config, smtp_module, records


@pytest.fixture(scope="module")
def smtp_module():
    server = SmtpServer()
    server.up()
    yield server
    server.cleanup()


def _mails(smtp) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=policy.default) for m in smtp.messages()]


def test_each_case_reads_the_campaigns_fields(campaign):
    _, _, records = campaign
    assert set(records) == {case["unit"] for case in EXPECTED.values()} | {TIANJIN}
    for name, case in EXPECTED.items():
        record = records[case["unit"]]
        assert record["fields"] == case["fields"], name
        assert record["status"] == "accepted", (name, record["problems"])
        assert record["normalized"]["累计阅读/播放次数"] > 0
        assert all(name in source for source in record["sources"].values()), record["sources"]


def test_receipts_name_the_campaigns_fields(campaign):
    _, smtp, records = campaign
    receipts = [m for m in _mails(smtp) if m["Subject"].startswith("【回执】")]
    assert len(receipts) == len(EXPECTED) + 1
    (tianjin,) = [m for m in receipts if records[TIANJIN]["case_no"] in m["Subject"]]
    assert "需补正" in tianjin["Subject"]
    body = tianjin.get_body(("plain",)).get_content()
    assert "附件中未找到申报表（附件1）。请按通知附件1的格式填写申报表" in body, body
    assert "推荐表" not in body, body
    for name, case in EXPECTED.items():
        case_no = records[case["unit"]]["case_no"]
        (receipt,) = [m for m in receipts if case_no in m["Subject"]]
        body = receipt.get_body(("plain",)).get_content()
        assert "已受理" in receipt["Subject"]
        assert f"作品名称：{case['fields']['作品名称']}" in body, body
        assert "累计阅读/播放次数：" in body and "首次发布时间：" in body
        assert not [label for label in BUILTIN_ONLY if label in body], (name, body)
        assert "推荐表" not in body, body  # this campaign's form is called 申报表


def test_summary_sheet_has_the_campaigns_columns(campaign):
    config, _, records = campaign
    run(config, "digest")
    book = openpyxl.load_workbook(config.parent / "outbox" / "reports" / "汇总表.xlsx")
    assert book.sheetnames == ["汇总", "申报表内容", "全部来信"]
    spec = load_config(config).form
    fields = book["申报表内容"]
    assert [c.value for c in fields[1]] == ["单位", "受理编号", "状态", *spec.labels]
    assert len(spec.labels) == 16
    rows = {row[0]: row for row in fields.iter_rows(min_row=2, values_only=True)}
    for case in EXPECTED.values():
        row = rows[case["unit"]]
        assert dict(zip(spec.labels, row[3:], strict=True)) == {
            k: v or None for k, v in case["fields"].items()
        }
    first = [c.value for c in book["汇总"][1]]
    assert "作品名称" in first and not set(BUILTIN_ONLY) & set(first), first


def test_packet_fills_the_campaigns_blank_form(campaign):
    config, _, records = campaign
    for case in EXPECTED.values():
        run(config, "decide", "选定", records[case["unit"]]["case_no"], "--by", "王老师")
    run(config, "packet")
    (zip_path,) = (config.parent / "outbox" / "reports" / "packet").glob("*.zip")
    with zipfile.ZipFile(zip_path) as zf:
        files = {info.filename: zf.read(info) for info in zf.infolist()}
    spec = load_config(config).form
    sheet = openpyxl.load_workbook(io.BytesIO(files["推荐作品汇总表.xlsx"]))["推荐作品"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["序号", "报送单位", "作品名称"] and not set(BUILTIN_ONLY) & set(header), header
    forms = {name: data for name, data in files.items() if name.endswith("/申报表.docx")}
    assert len(forms) == len(EXPECTED), sorted(files)
    blank = docx.Document(str(KEPU / BLANK))
    for name, data in forms.items():
        filled = docx.Document(io.BytesIO(data))
        # The campaign's own blank form: its heading, notes and the 推荐单位意见 row are kept.
        assert (
            [p.text for p in filled.paragraphs][:2]
            == [p.text for p in blank.paragraphs][:2]
            == [
                "附件1",
                "优秀科普作品申报表",
            ]
        )
        assert filled.tables[0].rows[-1].cells[0].text == "推荐单位\n意见"
        case = next(c for c in EXPECTED.values() if c["fields"]["作品名称"] in name)
        # The next level reads it back with this campaign's definition, every field as sent.
        read = extract_form(read_document("申报表.docx", data, form=spec), spec)
        assert read.fields == case["fields"], name


def _signed_in(app, ledger: Ledger, name: str, role: str) -> TestClient:
    add_user(ledger, name, role, PASSWORDS["刘晶晶"])
    client = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    login = {"name": name, "password": PASSWORDS["刘晶晶"], "csrf": token, "next": "/"}
    assert client.post("/login", data=login).status_code == 303
    return client


def test_console_shows_the_campaigns_labels_and_scoring_items(campaign):
    config_path, _, records = campaign
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    app = create_app(config, ledger)
    staff = _signed_in(app, ledger, "王老师", "staff")
    case = EXPECTED["申报表-北京针灸学会.docx"]
    page = staff.get(f"/case/{records[case['unit']]['case_no']}")
    assert page.status_code == 200
    for label in config.form.labels:
        assert label in page.text, label
    assert case["fields"]["作品名称"] in page.text and "申报表" in page.text
    assert not [label for label in BUILTIN_ONLY if label in page.text]

    board = _signed_in(app, ledger, "赵评委", "reviewer").get("/scoring")
    assert board.status_code == 200
    for item in config.scoring.items:  # 科学准确 … 转发转载, not 附件2's 粉丝量
        assert item.name in board.text, item.name
    assert "累计阅读/播放次数" in board.text and "粉丝" not in board.text

"""Every 推荐表 format through the whole pipeline (dovecot in, receipts out) and `run.py extract`."""

from __future__ import annotations

import email
import json
from datetime import datetime
from email import policy
from email.message import EmailMessage

import pytest
from fixtures_forms import sample_values
from intake_env import DOCX, TZ, export, run, write_config
from samples import article_docx
from test_dispatch import form_docx, soffice_batch
from test_ocr import VALUES as SCAN_VALUES
from test_ocr import form_image

from pipeline.campaign import builtin

# name sent, source key, values used, unit address
CASES = [
    ("推荐表.docx", "docx", 0, "u0@u0.example.cn"),
    ("推荐表.doc", "doc", 0, "u1@u1.example.cn"),
    ("推荐表.wps", "doc", 0, "u2@u2.example.cn"),  # WPS Writer files are .doc inside
    ("推荐表.pdf", "pdf", 0, "u3@u3.example.cn"),
    ("推荐表.xls", "xls", 1, "u4@u4.example.cn"),
    ("推荐表.et", "xls", 1, "u5@u5.example.cn"),  # WPS Spreadsheet: BIFF inside
]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    from fixtures_forms import xlsx_grid

    work = tmp_path_factory.mktemp("formats")
    form = form_docx(sample_values(0))
    return {
        "docx": form,
        "doc": soffice_batch({"f.docx": form}, "doc", work)["f"],
        "pdf": soffice_batch({"f.docx": form}, "pdf", work)["f"],
        "xls": soffice_batch({"f.xlsx": xlsx_grid(sample_values(1))}, "xls", work)["f"],
        "png": form_image("PNG"),
    }


def mail(sender: str, msg_id: str, name: str, data: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = f"推荐材料（{name}）"
    msg["Message-ID"] = f"<{msg_id}>"
    msg.set_content("附件为推荐表和图文案例。")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    msg.add_attachment(article_docx("图文案例"), maintype=DOCX[0], subtype=DOCX[1], filename="图文案例.docx")
    return msg.as_bytes()


def test_every_format_is_read_through_the_mail_pipeline(
    files, tmp_path, dovecot_server, imap_account, smtp_server
):
    units = [{"name": f"单位{i}", "addresses": [addr]} for i, (_, _, _, addr) in enumerate(CASES)]
    units.append({"name": "扫描单位", "addresses": ["scan@scan.example.cn"]})
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server, units=units)
    user, password = imap_account
    when = datetime(2021, 7, 20, 10, 0, tzinfo=TZ)
    for i, (name, key, _, addr) in enumerate(CASES):
        dovecot_server.append(user, password, "INBOX", mail(addr, f"fmt-{i}@x", name, files[key]), when)
    dovecot_server.append(
        user, password, "INBOX", mail("scan@scan.example.cn", "fmt-scan@x", "推荐表.png", files["png"]), when
    )
    run(config, "once")

    records = {r["message_id"]: r for r in export(config)}
    for i, (name, _, values, _) in enumerate(CASES):
        rec = records[f"fmt-{i}@x"]
        assert rec["fields"] == sample_values(values), name
        assert rec["status"] == "accepted", (name, rec["problems"])
        assert rec["attachments"][0]["kind"] == "推荐表"
    scan = records["fmt-scan@x"]
    for label in ("账号名称", "手机", "电子邮箱", "邮编", "联系人"):
        assert scan["fields"][label] == SCAN_VALUES[label]
    # The scan lacks most fields: staff check it, and the receipt says it is a scan.
    assert scan["status"] == "manual_review"
    receipt = next(
        email.message_from_bytes(m.data, policy=policy.default)
        for m in smtp_server.messages()
        if m.rcpts == ["scan@scan.example.cn"]
    )
    assert "扫描件" in receipt.get_body(("plain",)).get_content()


def test_extract_reads_legacy_formats(files, tmp_path):
    paths = []
    for name, key, _, _ in CASES:
        path = tmp_path / name
        path.write_bytes(files[key])
        paths.append(str(path))
    broken = tmp_path / "损坏.docx"
    broken.write_bytes(files["docx"][:3000])
    out = json.loads(run(tmp_path / "none.yaml", "extract", *paths, str(broken)).stdout)
    for obj, (name, _, values, _) in zip(out, CASES, strict=False):
        assert list(obj["fields"]) == list(builtin().form.labels)
        assert obj["fields"] == sample_values(values), name
        assert obj["problems"] == [], name
    assert [p["code"] for p in out[-1]["problems"]] == ["corrupt"]
    assert "无法打开" in out[-1]["problems"][0]["message"] or "损坏" in out[-1]["problems"][0]["message"]

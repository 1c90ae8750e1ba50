"""Hostile values in everything we write: spreadsheets, the digest HTML, logs,
and the permissions of the stored mail and ledger."""

from __future__ import annotations

import re
import stat
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
import yaml
from intake_env import DEADLINE, Nomination, export, run, submission, write_config

# Text that a spreadsheet would run as a formula if written as-is.
FORMULAS = {
    "账号名称": '=HYPERLINK("http://evil.example/x","点我")',
    "账号简介": "+1+cmd|' /C calc'!A0",
    "传播实效": "-2+3+cmd|' /C notepad'!A0",
    "联系人": "@SUM(1+1)*cmd|' /C calc'!A0",
    "推荐理由": "=1+2 官方账号推荐理由",
}
SCRIPT_NAME = "<script>alert('name')</script>"
SCRIPT_SUBJECT = "<img src=x onerror=alert('subject')>推荐表"
SCRIPT_ACCOUNT = "<b onmouseover=alert('acct')>账号</b>"


@pytest.fixture
def hostile(tmp_path, dovecot_server, imap_account, smtp_server):
    user, password = imap_account
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    arrival = DEADLINE - timedelta(days=5)
    evil = Nomination.sample("北京针灸学会", "x", **FORMULAS)
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission(
            f'"{SCRIPT_NAME}" <bjzj@bj.example.cn>',
            "=cmd|' /C calc'!A0 推荐",
            "f-1@bj.example.cn",
            nomination=evil,
        ),
        arrival,
    )
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission(
            f'"{SCRIPT_NAME}" <stranger@elsewhere.example.com>',
            SCRIPT_SUBJECT,
            "h-1@elsewhere.example.com",
            nomination=Nomination.sample("某医院", SCRIPT_ACCOUNT),
        ),
        arrival + timedelta(minutes=5),
    )
    dovecot_server.append(
        user,
        password,
        "INBOX",
        submission(
            "tjzj@tj.example.cn",
            SCRIPT_SUBJECT,
            "h-2@tj.example.cn",
            nomination=Nomination.sample("天津市针灸学会", SCRIPT_ACCOUNT),
        ),
        arrival + timedelta(minutes=6),
    )
    return config, imap_account, smtp_server


def _xlsx_cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws.title, cell


def assert_formulas_stay_text(path: Path, labels: tuple[str, ...] = ("账号简介", "联系人")) -> None:
    """No hostile value became a formula; each one is present as text."""
    texts = []
    for sheet, cell in _xlsx_cells(path):
        value = str(cell.value)
        if cell.data_type == "f":
            assert not any(bad.lstrip("=+-@") in value for bad in [*FORMULAS.values(), "cmd|"]), (
                f"{path.name}!{sheet}!{cell.coordinate} is a formula: {value}"
            )
        else:
            texts.append(value)
    # Belt and braces: the sheet XML holds no <f> element with the payload.
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode("utf-8")
                for formula in re.findall(r"<f[^>]*>(.*?)</f>", xml, re.S):
                    assert "cmd|" not in formula and "evil.example" not in formula, (path.name, formula)
    joined = "\n".join(texts)
    for label in labels:
        assert FORMULAS[label].lstrip("=+-@") in joined, f"{label} missing from {path.name}"


def test_formula_injection_stays_text_in_every_xlsx(hostile):
    config, _, _ = hostile
    run(config, "once", "--quiet")
    records = {r["message_id"]: r for r in export(config)}
    assert records["f-1@bj.example.cn"]["fields"]["账号简介"] == FORMULAS["账号简介"]

    run(config, "digest")
    run(config, "scoring")
    run(config, "export", "--format", "xlsx")
    reports = config.parent / "outbox" / "reports"
    written = {p.name: p for p in reports.glob("*.xlsx")}
    assert {"汇总表.xlsx", "评分表.xlsx", "台账.xlsx"} <= set(written), sorted(written)
    for name in ("汇总表.xlsx", "台账.xlsx"):
        assert_formulas_stay_text(written[name])
    # 评分表 lists accepted nominations only; the hostile one must be there as text.
    status = records["f-1@bj.example.cn"]["status"]
    if status == "accepted":
        assert_formulas_stay_text(written["评分表.xlsx"], ("账号名称",))
    else:
        for _sheet, cell in _xlsx_cells(written["评分表.xlsx"]):
            assert cell.data_type != "f" or "cmd|" not in str(cell.value)


def test_html_in_names_and_subjects_is_escaped_in_the_digest(hostile):
    config, _, _ = hostile
    run(config, "once", "--quiet")
    run(config, "digest")
    pages = list((config.parent / "outbox" / "reports").glob("每日汇总_*.html"))
    assert pages
    html = pages[0].read_text(encoding="utf-8")
    for raw in (SCRIPT_NAME, SCRIPT_SUBJECT, SCRIPT_ACCOUNT, "<script", "<img src=x", "<b onmouseover"):
        assert raw not in html, raw
    assert "&lt;img src=x onerror=alert(" in html  # the subject is shown, escaped
    # The digest mail carries the same HTML part.
    emls = list((config.parent / "outbox" / "digest").glob("*.eml"))
    for eml in emls:
        assert b"<script>alert" not in eml.read_bytes()


def _all_files(root: Path):
    return [p for p in root.rglob("*") if p.is_file() and p.suffix != ".pw"]


def test_passwords_never_appear_in_logs_or_outputs(hostile, tmp_path):
    config, (user, imap_password), smtp = hostile
    proc = run(config, "once", "-v")
    run(config, "digest")
    run(config, "export", "--format", "xlsx")
    run(config, "export", "--format", "json")
    proc2 = run(config, "status", "-v")
    outputs = proc.stdout + proc.stderr + proc2.stdout + proc2.stderr
    assert "DEBUG" in proc.stderr, "-v should log at debug level (IMAP and SMTP dialogue included)"

    # A run where the SMTP server rejects the login: error texts must not echo it.
    bad = tmp_path / "bad"
    bad.mkdir()
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    wrong_smtp = "Wr0ng-smtp-Secret-42"
    (bad / "smtp.pw").write_text(wrong_smtp)
    data["smtp"]["password"] = {"file": str(bad / "smtp.pw")}
    (bad / "inbox_rules.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc3 = run(bad / "inbox_rules.yaml", "once", "-v", check=False)
    outputs += proc3.stdout + proc3.stderr

    for secret in (imap_password, smtp.password, wrong_smtp):
        assert secret not in outputs, "password printed"
        for path in _all_files(tmp_path):
            if path.name in ("imap.pw", "smtp.pw"):
                continue
            assert secret.encode() not in path.read_bytes(), f"password stored in {path}"


def test_raw_mail_files_and_ledger_are_owner_only(hostile):
    config, _, _ = hostile
    run(config, "once", "--quiet")
    data = config.parent / "data"
    ledger = data / "ledger.sqlite3"
    checked = 0
    for path in [ledger, *data.glob("ledger.sqlite3-*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} mode {oct(path.stat().st_mode)}"
        checked += 1
    for root in (data / "raw", data / "files", data / "journal", data / "logs"):
        assert root.is_dir()
        for path in [root, *root.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, (
                f"{path.relative_to(config.parent)} is mode {oct(mode)}, expected owner only"
            )
            checked += 1
    assert checked > 5

"""`status` and `export`: what the ledger holds, for people and scripts."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, OutboxRow
from ..ledger.views import all_rows, uncertain_fields, unit_rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def print_status(config: Config, ledger: Ledger, out=None) -> None:
    """A table per unit: status, case number, account, arrival, problems."""
    out = out or sys.stdout
    with ledger.session() as s:
        units, views = unit_rows(s, config)
    identity = config.form.identity_label
    header = ["单位", "状态", "受理编号", identity, "到达时间", "问题数"]
    table = [header]
    for row in units:
        v = row.submission
        if v is None:
            table.append([row.unit, row.state.value, "", "", "", ""])
        else:
            table.append(
                [
                    row.unit,
                    row.state.value,
                    v.case_no,
                    v.fields.get(identity, "")[:20],
                    f"{v.arrival:%m-%d %H:%M}",
                    str(len(v.problems)),
                ]
            )
    others = [v for v in views if v.unit is None]
    widths = [max(_width(r[i]) for r in table) for i in range(len(header))]
    print(f"{config.campaign} — {config.this_level.name}", file=out)
    for i, r in enumerate(table):
        print("  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)), file=out)
        if i == 0:
            print("  ".join("-" * w for w in widths), file=out)
    if others:
        print(f"\n名单外来信 {len(others)} 封：", file=out)
        for v in others:
            print(f"  {v.case_no}  {v.status.zh}  {v.sender}  {v.subject[:30]}", file=out)


def export_records(config: Config, ledger: Ledger) -> list[dict]:
    with ledger.session() as s:
        rows = all_rows(s)
        sent = {
            r.case_no
            for r in s.scalars(
                select(OutboxRow).where(OutboxRow.kind == "receipt", OutboxRow.state == "sent")
            )
        }
        records = []
        for r in rows:
            records.append(
                {
                    "message_id": r.message_id,
                    "case_no": r.case_no,
                    "mailbox": r.mailbox,
                    "sender": r.sender,
                    "unit": r.unit,
                    "subject": r.subject,
                    "arrival": r.arrival.astimezone(config.tz).isoformat(timespec="seconds"),
                    "status": r.status,
                    "problems": list(r.problems or []),
                    "fields": config.form.ordered(r.fields) if r.fields else {},
                    "normalized": dict(r.normalized or {}),
                    "sources": dict(r.sources or {}),  # where each value was read, for staff to check
                    "uncertain": uncertain_fields(r),  # read from a scan: values a person must check
                    "fields_read": dict(r.fields_read) if r.fields_read is not None else None,
                    "is_scan": bool(r.is_scan),
                    "attachments": [
                        {"name": a.name, "kind": a.kind, "sha256": a.sha256} for a in r.attachments
                    ],
                    "receipt_sent": r.case_no in sent,
                    "superseded_by": r.superseded_by,
                    "related_case": r.related_case,
                    "selected": r.selected,
                    "answered": bool(r.answered),  # a letter staff (or the system's notice) answered
                }
            )
    return records


def export(config: Config, fmt: str, output: Path | None) -> Path | None:
    records = export_records(config, Ledger(config.database_url))
    if fmt == "json":
        text = json.dumps(records, ensure_ascii=False, indent=2)
        if output is None:
            print(text)
            return None
        output.write_text(text + "\n", encoding="utf-8")
        return output
    from openpyxl import Workbook  # here, not at the top: `status` and `once` print without it

    from ..model import Status
    from ..reports.xlsx_style import put, status_fill, style_sheet

    output = output or config.path(config.storage.reports_dir) / "台账.xlsx"
    output.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    header = [
        "受理编号",
        "Message-ID",
        "发件人",
        "单位",
        "到达时间",
        "状态",
        *config.form.labels,
        "问题",
        "附件",
        "回执已发送",
    ]
    for col, title in enumerate(header, 1):
        put(ws, 1, col, title)
    for row_no, r in enumerate(records, 2):
        status = Status(r["status"])
        values = [
            r["case_no"],
            r["message_id"],
            r["sender"],
            r["unit"] or "",
            r["arrival"],
            status.zh,
            *[r["fields"].get(label, "") for label in config.form.labels],
            "\n".join(p["message"] for p in r["problems"]),
            "\n".join(f"{a['name']}（{a['kind']}）" for a in r["attachments"]),
            "是" if r["receipt_sent"] else "否",
        ]
        for col, value in enumerate(values, 1):
            put(ws, row_no, col, value)
        ws.cell(row_no, 6).fill = status_fill(status)
    style_sheet(ws)
    wb.save(output)
    return output

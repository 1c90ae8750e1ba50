"""Console speed with 2,000 submissions in the ledger: server time per request
(median and p95) for the overview, the list of every message and one
submission's page, against a bare query of the same rows in the same run.

The requests go through the whole app in process (session lookup, CSRF
middleware, the same queries, Jinja rendering) but not through a socket, so
the figures are the server's own time.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import bench  # noqa: E402

SUBMISSIONS = 2000
UNITS = 40
ROUNDS = 30


def _ledger(tmp: Path):
    from pipeline.config import load_config
    from pipeline.ledger import AttachmentRow, DecisionRow, Ledger, MessageRow

    config_path = tmp / "inbox_rules.yaml"
    data = {
        "campaign": "走好网上群众路线“百佳账号”推选",
        "this_level": {
            "name": "中国针灸学会信息与会员部",
            "deadline": "2021-08-02 00:00",
            "staff": ["s@x.cn"],
        },
        "upstream": {
            "name": "中国科协调研宣传部",
            "addresses": ["u@cast.cn"],
            "deadline": "2021-08-10 00:00",
        },
        "mailboxes": [{"name": "m", "kind": "folder", "path": "mail"}],
        "smtp": {"dry_run": True, "from_addr": "intake@x.cn"},
        "units": [{"name": f"第{k:02d}省针灸学会", "addresses": [f"u{k}@unit{k}.cn"]} for k in range(UNITS)],
        "storage": {"database": "sqlite:///data/ledger.sqlite3"},
    }
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(config_path)
    ledger = Ledger(config.database_url)
    statuses = [
        "accepted",
        "needs_fix",
        "manual_review",
        "superseded",
        "late",
        "unknown_unit",
        "correspondence",
    ]
    start = datetime(2021, 7, 1, 9, 0).astimezone()
    with ledger.session() as s:
        for i in range(SUBMISSIONS):
            unit = i % UNITS
            fields = {label: f"{label}的值{i}" for label in config.form.labels}
            row = MessageRow(
                mailbox="m",
                folder="INBOX",
                uidvalidity=1,
                uid=i + 1,
                raw_sha256=f"{i:064x}",
                raw_path=str(tmp / "raw.eml"),
                arrival=start + timedelta(minutes=17 * i),
                state="done",
                claimed_by="bench",
                attempts=1,
                message_id=f"m{i}@unit{unit}.cn",
                subject=f"推荐材料{i}",
                sender=f"u{unit}@unit{unit}.cn",
                sender_name="",
                unit=None if statuses[i % 7] == "unknown_unit" else f"第{unit:02d}省针灸学会",
                case_no=f"TJ-20210701-{i + 1:04d}",
                status=statuses[i % 7],
                problems=[{"field": "手机", "code": "phone_invalid", "message": "「手机」应为11位手机号码"}]
                if i % 7 == 1
                else [],
                fields=fields,
                fields_read=fields,
                normalized={},
                sources={label: "推荐表.docx 表格1" for label in config.form.labels},
                account_key=f"账号{i}",
                reply_to_ids=[],
                big_links=[],
            )
            row.attachments = [
                AttachmentRow(
                    name="推荐表.docx",
                    origin="",
                    kind="推荐表",
                    sha256="0" * 64,
                    size=30000,
                    path=str(tmp / "x"),
                    facts={"format": "docx"},
                ),
                AttachmentRow(
                    name="案例.docx",
                    origin="",
                    kind="图文案例",
                    sha256="1" * 64,
                    size=90000,
                    path=str(tmp / "y"),
                    facts={"chars": 900, "pictures": 3},
                ),
            ]
            s.add(row)
            if i % 10 == 0:
                s.add(
                    DecisionRow(
                        who="刘晶晶", action="accept", case_no=row.case_no, unit=row.unit, detail="受理"
                    )
                )
    return config, ledger


def _timed(fn, rounds: int = ROUNDS) -> tuple[float, float]:
    fn()  # warm (templates compiled, caches filled)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def main() -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload
    from starlette.testclient import TestClient

    from pipeline.accounts import add_user
    from pipeline.ledger import DecisionRow, MessageRow
    from pipeline.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        config, ledger = _ledger(Path(tmp))
        add_user(ledger, "刘晶晶", "staff", "bench-password-1")
        client = TestClient(create_app(config, ledger), follow_redirects=False)
        token = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        client.post(
            "/login", data={"name": "刘晶晶", "password": "bench-password-1", "csrf": token, "next": "/"}
        )
        case = "TJ-20210701-1001"

        def overview():
            assert client.get("/").status_code == 200

        def messages():
            assert client.get("/messages").status_code == 200

        def case_page():
            assert client.get(f"/case/{case}").status_code == 200

        def bare_all():
            with ledger.session() as s:
                rows = s.scalars(
                    select(MessageRow)
                    .where(MessageRow.state == "done")
                    .options(selectinload(MessageRow.attachments))
                ).all()
                _ = [(r.case_no, r.fields, r.problems, len(r.attachments)) for r in rows]
                _ = s.scalars(select(DecisionRow)).all()

        def bare_one():
            with ledger.session() as s:
                row = s.scalar(
                    select(MessageRow)
                    .where(MessageRow.case_no == case)
                    .options(selectinload(MessageRow.attachments))
                )
                _ = (row.fields, row.problems, len(row.attachments))
                _ = s.scalars(select(DecisionRow).where(DecisionRow.case_no == case)).all()

        base_all = _timed(bare_all)
        base_one = _timed(bare_one)
        bench("web_bare_query_all_rows_median", base_all[0] * 1000, "ms")
        bench("web_bare_query_one_case_median", base_one[0] * 1000, "ms")
        for name, fn, base in (
            ("overview", overview, base_all),
            ("messages", messages, base_all),
            ("case_page", case_page, base_one),
        ):
            median, p95 = _timed(fn)
            bench(f"web_{name}_median", median * 1000, "ms")
            bench(f"web_{name}_p95", p95 * 1000, "ms")
            bench(f"web_{name}_vs_bare_query", median / base[0], "x")
        bench("web_submissions_in_ledger", SUBMISSIONS, "rows")


if __name__ == "__main__":
    main()

"""A message that always makes processing fail is retried, then handed to staff;
it never blocks the mail behind it."""

from __future__ import annotations

import json
from datetime import datetime

import yaml
from intake_env import TZ, Nomination, submission

from pipeline.config import load_config
from pipeline.intake import MAX_ATTEMPTS, step
from pipeline.staff.status import export_records
from pipeline.worker import Worker


def folder_config(tmp_path):
    box = tmp_path / "mail"
    box.mkdir()
    data = {
        "campaign": "测试",
        "this_level": {"name": "学会", "deadline": "2021-08-02 00:00"},
        "mailboxes": [{"name": "本地", "kind": "folder", "path": "mail"}],
        "smtp": {"dry_run": True, "from_addr": "me@society.example.cn"},
        "units": [{"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"]}],
    }
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for i, account in enumerate(["毒邮件", "正常账号"]):
        raw = submission(
            "bjzj@bj.example.cn",
            f"推荐表{i}",
            f"m{i}@x",
            nomination=Nomination.sample("北京针灸学会", account),
            sent=datetime(2021, 7, 20, 10, i, tzinfo=TZ),
        )
        stamp = f"X-Demo-Arrival: 2021-07-2{i}T10:00:00+08:00\n".encode()
        (box / f"{i}.eml").write_bytes(stamp + raw)
    return load_config(tmp_path / "rules.yaml")


def test_poison_message_goes_to_staff_after_retries(tmp_path, monkeypatch):
    config = folder_config(tmp_path)
    reading = step("read_attachments")
    real = reading.run

    def explode_on_poison(state):
        if state.parsed.message_id == "m0@x":
            raise RuntimeError("parser bug")
        return real(state)

    monkeypatch.setattr(reading, "run", explode_on_poison)
    worker = Worker(config)
    try:
        worker.run_cycle()
        records = {r["message_id"]: r for r in export_records(config, worker.ledger)}
        assert records["m1@x"]["status"] == "accepted"  # the mail behind it went through
        assert "m0@x" not in records  # still claimed, to be retried
        for _ in range(MAX_ATTEMPTS - 1):
            worker.run_cycle()
        records = {r["message_id"]: r for r in export_records(config, worker.ledger)}
        assert records["m0@x"]["status"] == "manual_review"
        assert [p["code"] for p in records["m0@x"]["problems"]] == ["processing_failed"]
        worker.run_cycle()  # nothing left to retry
        assert len(export_records(config, worker.ledger)) == 2
        json.dumps(records, ensure_ascii=False)
    finally:
        worker.close()

"""`make demo`: the whole job on the bundled demo mailbox, no account, no network.

Fetch and process every message, then do what staff would do next: pick the
accepted account with the most fans (the figure the scoring rules pre-fill from) for upstream, remind units that have
not sent anything, write the digest, the scoring sheet and the upstream packet. Everything lands in
outbox/demo/ (ledger in data/demo/), apart from what a live inbox_rules.yaml writes.
"""

from __future__ import annotations

import secrets
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.cli import main  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ledger import Ledger  # noqa: E402
from pipeline.ledger.views import unit_rows  # noqa: E402
from pipeline.model import Status  # noqa: E402

CONFIG = ROOT / "examples" / "demo_rules.yaml"


def step(*argv: str) -> None:
    print(f"\n$ python run.py {' '.join(argv)} --config examples/demo_rules.yaml", flush=True)
    rc = main([*argv, "--config", str(CONFIG)])
    if rc not in (0, None):
        raise SystemExit(rc)


def best_accepted() -> str | None:
    """The accepted nominee with the largest figure the scoring rules pre-fill from (粉丝数量)."""
    config = load_config(CONFIG)
    with Ledger(config.database_url).session() as s:
        units, _ = unit_rows(s, config, every_view=False)
    accepted = [u.submission for u in units if u.submission and u.submission.status is Status.ACCEPTED]
    figure = next((i.prefill.field for i in config.scoring.items if i.prefill is not None), None)
    if figure:
        accepted.sort(key=lambda v: v.normalized.get(figure) or 0, reverse=True)
    return accepted[0].case_no if accepted else None


if __name__ == "__main__":
    # A demo starts from scratch each time, so its output is always the same.
    # Only the demo's own folders: a live config's data/ and outbox/ are never touched.
    demo = load_config(CONFIG)
    outbox = demo.path(demo.storage.outbox_dir)  # outbox/demo
    shutil.rmtree(ROOT / "data" / "demo", ignore_errors=True)
    shutil.rmtree(outbox, ignore_errors=True)
    step("once")
    case = best_accepted()
    if case:
        step("decide", "select", case, "--by", "演示")
    # The demo's deadline is long past: remind as staff would have the day before it.
    step("remind", "--days", "1", "--send", "--as-of", "2021-08-01 09:00")
    step("scoring")
    step("digest", "--send")
    step("packet", "--send")
    step("backup")  # README“备份与恢复”uses this ledger and this backup as its example
    print(f"\n回执、每日汇总、评分表和上报材料包都在 {outbox}/ 下。")
    password = secrets.token_urlsafe(9)
    from pipeline.accounts import add_user

    config = load_config(CONFIG)
    add_user(Ledger(config.database_url), "演示", "admin", password, config)
    address = load_config(CONFIG).web.base_url or "http://127.0.0.1:8080/"
    print(
        "\n工作人员控制台（演示台账已准备好）：\n"
        "  启动：.venv/bin/python run.py web --config examples/demo_rules.yaml\n"
        f"  打开：{address}    登录：演示 / {password}"
    )

"""评分表 job."""

from __future__ import annotations

from ..config import Config
from ..ledger import Ledger
from ..ledger.views import unit_rows
from ..model import Status


def run_scoring(config: Config) -> str:
    from ..reports.scoring import build_scoring_xlsx

    ledger = Ledger(config.database_url)
    with ledger.session() as s:
        _, views = unit_rows(s, config)
    accepted = [v for v in views if v.status is Status.ACCEPTED]
    out = config.path(config.storage.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = build_scoring_xlsx(accepted, out / "评分表.xlsx")
    return f"评分表已生成（{len(accepted)} 个已受理账号）：{path}"

"""Scoring by reviewers (the campaign's scoring rules, `config.scoring`; 附件2 in the
built-in campaign): the nominees to score, saving a reviewer's points, the board
with each reviewer's totals, averages and ranking, and the 评分表.xlsx export —
the console and `run.py scoring` share these."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..campaign import ScoringItem, ScoringSpec, builtin
from ..config import Config
from ..errors import UserFacingError
from ..ledger import Ledger, MessageRow, ScoreRow, UserRow, utcnow
from ..ledger.views import to_view
from ..model import Status
from ..reports.scoring import UNFINISHED, build_scoring_xlsx, prefill
from ..reports.views import SubmissionView


class ScoringError(UserFacingError):
    """A score that cannot be saved; Chinese message."""


NOT_STARTED = "未评"


@dataclass
class BoardRow:
    view: SubmissionView
    totals: dict[str, int | None]  # reviewer -> total, only for a finished sheet (every item has points)
    average: float | None  # over the finished sheets only
    rank: int | None  # only nominees with a finished sheet are ranked
    filled: dict[str, int] = field(default_factory=dict)  # reviewer -> items with points (pre-filled count)

    def sheet_state(self, reviewer: str) -> str:
        """ "" for a finished sheet, else 未评完 (some items scored) or 未评."""
        if self.totals.get(reviewer) is not None:
            return ""
        return UNFINISHED if self.filled.get(reviewer) else NOT_STARTED

    def finished(self) -> int:
        return sum(1 for t in self.totals.values() if t is not None)


@dataclass
class Progress:
    """How far one reviewer is: finished, unfinished and untouched sheets."""

    reviewer: str
    finished: int
    unfinished: int
    total: int

    @property
    def phrase(self) -> str:
        rest = self.total - self.finished - self.unfinished
        parts = [f"评完 {self.finished}/{self.total}"]
        if self.unfinished:
            parts.append(f"{UNFINISHED} {self.unfinished}")
        if rest:
            parts.append(f"{NOT_STARTED} {rest}")
        return "，".join(parts)


@dataclass
class Board:
    reviewers: list[str]
    rows: list[BoardRow]
    scores: dict[tuple[str, str, str], int]  # (reviewer, case_no, item) -> points
    prefilled: dict[tuple[str, str], int | None]  # (case_no, objective item) -> pre-filled points
    items: tuple[ScoringItem, ...] = ()  # the campaign's scoring items, in order

    def progress(self) -> list[Progress]:
        """Each reviewer's progress over every nominee (the page shows it beside the ranking)."""
        return [
            Progress(
                r,
                sum(1 for row in self.rows if row.totals.get(r) is not None),
                sum(1 for row in self.rows if row.sheet_state(r) == UNFINISHED),
                len(self.rows),
            )
            for r in self.reviewers
        ]

    @property
    def prefill(self) -> dict[str, int | None]:
        """case_no -> pre-filled points of the first objective item (what the console page reads today)."""
        item = next((i.name for i in self.items if i.prefill is not None), None)
        return {case: pts for (case, name), pts in self.prefilled.items() if name == item}


def scoring_accounts(config: Config, ledger: Ledger) -> list[SubmissionView]:
    """Accepted nominees, in roster order (the order every sheet and page uses)."""
    order = {u.name: i for i, u in enumerate(config.units)}
    with ledger.session() as s:
        rows = s.scalars(
            select(MessageRow)
            .where(MessageRow.status == Status.ACCEPTED.value, MessageRow.state == "done")
            .options(selectinload(MessageRow.attachments))
        ).all()
        views = [to_view(r, config) for r in rows]
    return sorted(views, key=lambda v: (order.get(v.unit or "", len(order)), v.case_no))


def reviewer_names(ledger: Ledger) -> list[str]:
    with ledger.session() as s:
        return list(
            s.scalars(
                select(UserRow.name)
                .where(UserRow.role == "reviewer", UserRow.active.is_(True))
                .order_by(UserRow.id)
            )
        )


def save_scores(
    ledger: Ledger,
    reviewer: str,
    case_no: str,
    points: dict[str, int | None],
    *,
    config=None,
    replay: str | None = None,
) -> None:
    """Store one reviewer's points for one nominee; None clears an item (journaled when `config` is given).
    Items and their maximum points are the campaign's (`config.scoring`; the built-in 附件2 without config)."""
    spec: ScoringSpec = config.scoring if config is not None else builtin().scoring
    for item, value in points.items():
        if item not in spec.by_name:
            raise ScoringError(f"没有这个评分项：{item}")
        most = spec.by_name[item].points
        if value is not None and not (0 <= value <= most):
            raise ScoringError(f"“{item}”应为 0 到 {most} 之间的整数，填写的是 {value}。")
    from ..ledger import staff_journal as journal

    entry_id = replay or journal.new_id()
    with ledger.session() as s:
        if not journal.claim(s, entry_id):
            raise journal.AlreadyApplied(entry_id)
        row = s.scalar(select(MessageRow).where(MessageRow.case_no == case_no))
        if row is None or row.status != Status.ACCEPTED.value:
            noun = (config.form if config is not None else builtin().form).noun
            raise ScoringError(f"{case_no} 不是已受理的{noun}，不能评分。")
        existing = {
            r.item: r
            for r in s.scalars(
                select(ScoreRow).where(ScoreRow.reviewer == reviewer, ScoreRow.case_no == case_no)
            )
        }
        for item, value in points.items():
            if value is None:
                if item in existing:
                    s.delete(existing[item])
            elif item in existing:
                existing[item].points, existing[item].at = value, utcnow()
            else:
                s.add(ScoreRow(reviewer=reviewer, case_no=case_no, item=item, points=value, at=utcnow()))
    if config is not None and not replay:
        journal.record(config, "score", entry_id, reviewer=reviewer, case_no=case_no, points=points)


def scoring_board(config: Config, ledger: Ledger) -> Board:
    accounts = scoring_accounts(config, ledger)
    cases = {v.case_no for v in accounts}
    with ledger.session() as s:
        stored = [
            (r.reviewer, r.case_no, r.item, r.points)
            for r in s.scalars(select(ScoreRow))
            if r.case_no in cases
        ]
    reviewers = reviewer_names(ledger)
    for who, *_ in stored:
        if who not in reviewers:
            reviewers.append(who)  # a reviewer since removed: their scores still count
    scores = {(who, case, item): pts for who, case, item, pts in stored}
    items = config.scoring.items
    objective = {i.name for i in items if i.prefill is not None}
    if objective == {i.name for i in items}:
        objective = set()  # every item pre-filled: any score counts
    prefilled = prefill(accounts, config.scoring)
    rows = []
    for v in accounts:
        totals: dict[str, int | None] = {}
        filled: dict[str, int] = {}
        for r in reviewers:
            mine = {i.name: scores[(r, v.case_no, i.name)] for i in items if (r, v.case_no, i.name) in scores}
            started = bool(set(mine) - objective)  # pre-filled objective items alone are not a score
            sheet = {
                i.name: mine.get(i.name, prefilled.get((v.case_no, i.name)) if i.prefill else None)
                for i in items
            }
            done = [p for p in sheet.values() if p is not None]
            filled[r] = len(set(mine) - objective) if started else 0
            # As in 评分表.xlsx: a total only when every item has points; a half-scored sheet is 未评完.
            totals[r] = sum(done) if started and len(done) == len(items) else None
        given = [t for t in totals.values() if t is not None]
        rows.append(BoardRow(v, totals, round(sum(given) / len(given), 1) if given else None, None, filled))
    ranked = sorted((r for r in rows if r.average is not None), key=lambda r: -r.average)
    for r in ranked:
        r.rank = 1 + sum(1 for o in ranked if o.average > r.average)  # ties share a rank, like RANK()
    return Board(reviewers, rows, scores, prefilled, items)


def run_scoring(config: Config) -> str:
    """Write 评分表.xlsx (one sheet per reviewer with their console scores, plus 汇总)."""
    ledger = Ledger(config.database_url)
    board = scoring_board(config, ledger)
    out = config.path(config.storage.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = build_scoring_xlsx(
        [r.view for r in board.rows],
        out / "评分表.xlsx",
        board.reviewers,
        board.scores,
        link_base=config.web.base_url,
        form=config.form,
        scoring=config.scoring,
    )
    scored = sum(1 for r in board.rows if r.average is not None)
    noun = config.form.noun
    progress = "；".join(f"{p.reviewer}{p.phrase}" for p in board.progress())
    return (
        f"评分表已生成（{len(board.rows)} 个已受理{noun}，{len(board.reviewers) or 3} 位评委，"
        f"已有评完的 {scored} 个{('；' + progress) if progress else ''}）：{path}"
    )

"""评分表.xlsx, from the campaign's scoring rules (附件2 评议细则 in the built-in campaign).

One sheet per reviewer (the scores they entered in the console, or blank
cells with 0..max validation for scoring in WPS/Excel), and a 汇总 sheet
with each reviewer's total, the average and the ranking, which recalculate
when a reviewer sheet changes. Nominees are in roster order and link to their
page (the form's link field, 账号ID/网页链接) and, when the console address is
known, to the original files. An objective item (`ScoringItem.prefill`, 粉丝量
from 粉丝数量 in the built-in campaign) is pre-filled from its field (reviewers
may change it); the 说明 sheet explains the rule in words. Every item, field
and heading comes from `config.scoring` and `config.form`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from ..campaign import FormSpec, Kind, ScoringItem, ScoringSpec, builtin
from .print_layout import link_width, print_setup
from .summary import LINK_FONT
from .views import SubmissionView, account_name
from .xlsx_style import put, put_formula, style_sheet

UNFINISHED = "未评完"  # a reviewer's sheet with some items scored, not all (never totalled or ranked)
_MULTIPLIERS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000}
_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|千|w|k)?", re.IGNORECASE)
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def prefill_items(scoring: ScoringSpec) -> tuple[ScoringItem, ...]:
    """The objective items, pre-filled from a field of the form."""
    return tuple(item for item in scoring.items if item.prefill is not None)


def prefill_fields(scoring: ScoringSpec) -> tuple[str, ...]:
    """The fields objective items are pre-filled from, once each, in item order."""
    return tuple(dict.fromkeys(item.prefill.field for item in prefill_items(scoring)))


def field_number(view: SubmissionView, label: str) -> int | None:
    """A count field as an integer from normalized (or the raw field): 12.3万 -> 123000; None if unknown."""
    value = view.normalized.get(label) if isinstance(view.normalized, dict) else None
    if isinstance(value, bool):
        value = None
    if isinstance(value, (int, float)):
        return max(0, int(value))
    text = value if isinstance(value, str) else view.fields.get(label, "")
    text = (text or "").replace(",", "").replace("，", "").replace(" ", "")
    match = _NUMBER_RE.search(text)
    if not match:
        return None
    return int(float(match.group(1)) * _MULTIPLIERS.get((match.group(2) or "").lower(), 1))


def log_scale_points(value: int | None, most: int | None, points: int) -> int | None:
    """The largest value gets full `points`, the rest by log10 ratio; None when it cannot be computed."""
    if not value or value <= 0 or not most or most <= 0:
        return None
    return min(points, round(points * math.log10(1 + value) / math.log10(1 + most)))


def prefill(accounts: list[SubmissionView], scoring: ScoringSpec) -> dict[tuple[str, str], int | None]:
    """(case_no, item name) -> pre-filled points of each objective item, for each nominee."""
    out: dict[tuple[str, str], int | None] = {}
    for item in prefill_items(scoring):
        if item.prefill.method != "log_scale":
            continue  # a rule this version does not know: reviewers score the item themselves
        values = {v.case_no: field_number(v, item.prefill.field) for v in accounts}
        most = max((n for n in values.values() if n), default=None)
        for case, n in values.items():
            out[(case, item.name)] = log_scale_points(n, most, item.points)
    return out


def prefill_rule(item: ScoringItem, form: FormSpec) -> str:
    """The pre-fill rule of an objective item in words (for the 说明 sheet and the console)."""
    field, noun = item.prefill.field, form.noun
    return (
        f"按{field}折算：{field}最多的{noun}得 {item.points} 分，其余{noun}按“{field}的对数 ÷ 最多{field}的对数"
        f" × {item.points}”四舍五入取整；{field}为 0 或未填写时不预填，由评委打分。评委可以修改预填的分数。"
    )


def id_headers(form: FormSpec, scoring: ScoringSpec) -> tuple[str, ...]:
    """The columns that say which nominee a row is, then the fields objective items use."""
    return ("序号", "单位", form.identity_label, "受理编号", *prefill_fields(scoring))


def _link(view: SubmissionView, form: FormSpec) -> tuple[str, str | None]:
    """(what the form says, a web address to open) of the nominee's first link field."""
    for label in form.of_kind(Kind.URL):
        text = (view.fields.get(label) or "").strip()
        if text:
            return text, text if _URL.match(text) else None
    return "", None


def _subjective_cells(items: tuple[ScoringItem, ...], first: int, row: int) -> list[str]:
    """Cells of the items reviewers score themselves (all items when every one is pre-filled)."""
    cols = [first + i for i, item in enumerate(items) if item.prefill is None] or [
        first + i for i in range(len(items))
    ]
    return [f"{get_column_letter(c)}{row}" for c in cols]


def _reviewer_sheet(
    wb: Workbook,
    title: str,
    accounts: list[SubmissionView],
    scores: dict,
    prefilled: dict,
    form: FormSpec,
    scoring: ScoringSpec,
) -> str:
    ws = wb.create_sheet(title)
    items = scoring.items
    ids = id_headers(form, scoring)
    headers = [*ids, *(f"{item.name}\n（{item.points}分）" for item in items), f"小计\n（{scoring.total}分）"]
    for col, text in enumerate(headers, start=1):
        put(ws, 1, col, text)
    first = len(ids) + 1
    last_row = max(2, len(accounts) + 1)
    for row, view in enumerate(accounts, start=2):
        put(ws, row, 1, row - 1)
        put(ws, row, 2, view.unit or "")
        cell = put(ws, row, 3, account_name(view, form))
        _, target = _link(view, form)
        if target:
            cell.hyperlink = target
            cell.font = LINK_FONT
        put(ws, row, 4, view.case_no)
        for col, label in enumerate(ids[4:], start=5):
            put(ws, row, col, field_number(view, label))
        for i, item in enumerate(items):
            value = scores.get((view.case_no, item.name))
            if value is None:
                value = prefilled.get((view.case_no, item.name))
            put(ws, row, first + i, value)
        a, b = get_column_letter(first), get_column_letter(first + len(items) - 1)
        subjective = ",".join(_subjective_cells(items, first, row))
        # Blank until the reviewer scores something (pre-filled objective items alone are not a
        # score); 未评完 until every item has points: a half-scored sheet is never a total.
        put_formula(
            ws,
            row,
            first + len(items),
            f'=IF(COUNT({subjective})=0,"",IF(COUNT({a}{row}:{b}{row})<{len(items)},"{UNFINISHED}",'
            f"SUM({a}{row}:{b}{row})))",
        )
    for i, item in enumerate(items):
        dv = DataValidation(
            type="whole",
            operator="between",
            formula1="0",
            formula2=str(item.points),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="分值超出范围",
            error=f"“{item.name}”请填写 0 到 {item.points} 之间的整数。",
            promptTitle=item.name[:32],
            prompt=f"{item.rule}（0～{item.points} 分）"[:255],
            showInputMessage=True,
        )
        letter = get_column_letter(first + i)
        dv.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(dv)
    style_sheet(ws, widths={c: 9 for c in range(first, first + len(items) + 1)} | {1: 5})
    for cell in ws[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.row_dimensions[1].height = 36
    ws.freeze_panes = f"{get_column_letter(first)}2"
    print_setup(ws)
    return title


def _sheet_title(name: str, taken: set[str]) -> str:
    base = "评委-" + re.sub(r"[\[\]:*?/\\']", "_", name)[:24]
    title, n = base, 1
    while title in taken:
        n += 1
        title = f"{base}{n}"
    taken.add(title)
    return title


def build_scoring_xlsx(
    accounts: list[SubmissionView],
    path: Path,
    reviewers: list[str],
    scores: dict[tuple[str, str, str], int] | None = None,
    *,
    link_base: str = "",
    form: FormSpec | None = None,
    scoring: ScoringSpec | None = None,
) -> Path:
    """Write 评分表.xlsx for `accounts` (already in the order to show).

    `scores` maps (reviewer, case_no, item name) -> points; reviewers without
    scores get a blank sheet to fill in. `form` and `scoring` are the campaign's
    (the built-in 附件1 and 附件2 when None).
    """
    form = form or builtin().form
    scoring = scoring or builtin().scoring
    scores = scores or {}
    reviewers = list(reviewers) or ["评委1", "评委2", "评委3"]
    prefilled = prefill(accounts, scoring)
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    taken = {"汇总", "说明"}
    titles = []
    for reviewer in reviewers:
        mine = {(case, item): pts for (who, case, item), pts in scores.items() if who == reviewer}
        titles.append(
            _reviewer_sheet(wb, _sheet_title(reviewer, taken), accounts, mine, prefilled, form, scoring)
        )

    ids = id_headers(form, scoring)
    noun = form.noun
    headers = [
        *ids[:4],
        f"{noun}链接",
        "原件",
        *(f"{r}\n总分" for r in reviewers),
        "评完\n评委",
        "平均分",
        "排名",
    ]
    for col, text in enumerate(headers, start=1):
        put(summary, 1, col, text)
    subtotal_col = get_column_letter(len(ids) + len(scoring.items) + 1)
    first_total = 7
    done_col = first_total + len(reviewers)
    avg_col = done_col + 1
    last_row = max(2, len(accounts) + 1)
    for row, view in enumerate(accounts, start=2):
        put(summary, row, 1, row - 1)
        put(summary, row, 2, view.unit or "")
        put(summary, row, 3, account_name(view, form))
        put(summary, row, 4, view.case_no)
        # Links print as their addresses: on paper a word that was a link says nothing.
        text, target = _link(view, form)
        cell = put(summary, row, 5, text)
        if target:
            cell.hyperlink, cell.font = target, LINK_FONT
        if link_base:
            case = f"{link_base.rstrip('/')}/case/{view.case_no}"
            cell = put(summary, row, 6, case)
            cell.hyperlink, cell.font = case, LINK_FONT
        else:
            put(summary, row, 6, "、".join(a.name for a in view.attachments))
        for i, title in enumerate(titles):
            put_formula(summary, row, first_total + i, f"={quote_sheetname(title)}!{subtotal_col}{row}")
        totals = f"{get_column_letter(first_total)}{row}:{get_column_letter(done_col - 1)}{row}"
        # Only finished sheets are totals (numbers): the average and the rank see nothing else.
        put_formula(summary, row, done_col, f'=COUNT({totals})&"/{len(reviewers)}"')
        avg = f"{get_column_letter(avg_col)}{row}"
        put_formula(summary, row, avg_col, f'=IF(COUNT({totals})=0,"",ROUND(AVERAGE({totals}),1))')
        span = f"${get_column_letter(avg_col)}$2:${get_column_letter(avg_col)}${last_row}"
        put_formula(summary, row, avg_col + 1, f'=IF({avg}="","",RANK({avg},{span}))')
    style_sheet(
        summary,
        widths={
            1: 5,
            5: link_width([_link(v, form)[0] for v in accounts if _link(v, form)[1]]),
            6: link_width([f"{link_base.rstrip('/')}/case/{v.case_no}" for v in accounts])
            if link_base
            else 16,
        }
        | {c: 10 for c in range(first_total, avg_col + 2)},
    )
    for cell in summary[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    summary.row_dimensions[1].height = 36
    print_setup(summary)
    _write_notes(wb.create_sheet("说明"), reviewers, form, scoring)
    wb.calculation.fullCalcOnLoad = True  # totals and ranking are computed when the file is opened

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _write_notes(ws, reviewers: list[str], form: FormSpec, scoring: ScoringSpec) -> None:
    objective = prefill_items(scoring)
    rows: list[tuple[str, str, str]] = [("评分标准", "评分细则", "分值")]
    for item in scoring.items:
        rows.append((item.group, item.rule, f"{item.points} 分"))
    groups = " + ".join(f"{group} {sum(i.points for i in items)} 分" for group, items in scoring.groups)
    not_scored = f"除预填的{'、'.join(i.name for i in objective)}外" if objective else ""
    rows.extend(
        [
            ("总计", groups, f"{scoring.total} 分"),
            ("", "", ""),
            (
                "评委",
                f"共 {len(reviewers)} 位：{'、'.join(reviewers)}；每位评委一张工作表（“评委-姓名”）。",
                "",
            ),
            ("打分", "在本人工作表中填写 0 到该项满分之间的整数；在控制台打的分已经填好。", ""),
            (
                "小计",
                f"每位评委的小计 = 该评委各项得分之和，只在各项都有分数时计算；{not_scored}一项都没有填写时，"
                f"小计为空（尚未评分）；只填了部分项目时，小计显示“{UNFINISHED}”，不计入平均分和排名。",
                "",
            ),
            (
                "平均分与排名",
                "“汇总”表：平均分 = 已评完评委总分的平均（保留一位小数），排名按平均分从高到低，"
                "只排有评完评分的；“评完评委”一栏是评完该项的评委人数。",
                "",
            ),
        ]
    )
    for item in objective:
        rows.append((f"{item.name}（客观项）", prefill_rule(item, form), f"{item.points} 分"))
    for label in prefill_fields(scoring):
        rows.append(
            (
                f"{label}来源",
                f"取自各单位{form.title}中填写的{label}（“万”“亿”已换算）；工作人员在控制台更正过的以更正后的为准。",
                "",
            )
        )
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            put(ws, r, c, value)
    style_sheet(ws, widths={1: 16, 2: 56, 3: 8})
    print_setup(ws)

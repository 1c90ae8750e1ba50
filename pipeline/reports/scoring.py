"""评分表.xlsx, from the notice's 附件2 评议细则.

One sheet per reviewer (the scores they entered in the console, or blank
cells with 0..max validation for scoring in WPS/Excel), and a 汇总 sheet
with each reviewer's total, the average and the ranking, which recalculate
when a reviewer sheet changes. Accounts are in roster order and link to the
account's page (账号ID/网页链接) and, when the console address is known, to
the original files. The objective item, 粉丝量, is pre-filled from 粉丝数量
(reviewers may change it); the 说明 sheet explains the rule in words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .summary import LINK_FONT
from .views import SubmissionView, account_name
from .xlsx_style import print_setup, put, put_formula, style_sheet


@dataclass(frozen=True)
class Item:
    standard: str  # 群众性 / 创新性 / 传播力
    name: str  # short column name
    rule: str  # the notice's wording
    max_points: int


# 附件2 评议细则: 群众性 60, 创新性 20, 传播力 20 = 100.
ITEMS: tuple[Item, ...] = (
    Item("群众性", "群众导向", "坚持群众导向，能够急群众所急，想群众所想", 20),
    Item("群众性", "解决实际困难", "着力解决群众实际困难，走好网上群众路线", 20),
    Item("群众性", "内容充实典型", "账号内容充实，时效性强，案例具有典型性和借鉴意义", 20),
    Item("创新性", "表现形式", "表现形式生动多样，能够结合图文、音视频、漫画等形式", 10),
    Item("创新性", "特色亮点", "具有自身特色和亮点", 10),
    Item("传播力", "粉丝量", "账号粉丝量", 10),
    Item("传播力", "转评赞", "账号作品的转评、点赞量", 10),
)
ITEM_NAMES = tuple(item.name for item in ITEMS)
FANS_ITEM = "粉丝量"
ID_HEADERS = ("序号", "单位", "账号名称", "受理编号", "粉丝数量")
FANS_RULE = (
    "按粉丝数折算：粉丝数最多的账号得 10 分，其余账号按“粉丝数的对数 ÷ 最多粉丝数的对数 × 10”四舍五入取整；"
    "粉丝数为 0 或未填写时不预填，由评委打分。评委可以修改预填的分数。"
)

_MULTIPLIERS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000}
_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|千|w|k)?", re.IGNORECASE)
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def fans_number(view: SubmissionView) -> int | None:
    """粉丝数量 as an integer from normalized (or the raw field): 12.3万 -> 123000; None if unknown."""
    value = view.normalized.get("粉丝数量") if isinstance(view.normalized, dict) else None
    if isinstance(value, bool):
        value = None
    if isinstance(value, (int, float)):
        return max(0, int(value))
    text = value if isinstance(value, str) else view.fields.get("粉丝数量", "")
    text = (text or "").replace(",", "").replace("，", "").replace(" ", "")
    match = _NUMBER_RE.search(text)
    if not match:
        return None
    return int(float(match.group(1)) * _MULTIPLIERS.get((match.group(2) or "").lower(), 1))


def fans_points(fans: int | None, most: int | None) -> int | None:
    """The pre-filled 粉丝量 score (see FANS_RULE); None when it cannot be computed."""
    if not fans or fans <= 0 or not most or most <= 0:
        return None
    return min(10, round(10 * math.log10(1 + fans) / math.log10(1 + most)))


def prefill(accounts: list[SubmissionView]) -> dict[str, int | None]:
    """case_no -> pre-filled 粉丝量 points for each account."""
    fans = {v.case_no: fans_number(v) for v in accounts}
    most = max((n for n in fans.values() if n), default=None)
    return {case: fans_points(n, most) for case, n in fans.items()}


def _account_link(view: SubmissionView) -> str | None:
    link = (view.fields.get("账号ID/网页链接") or "").strip()
    return link if _URL.match(link) else None


def _reviewer_sheet(
    wb: Workbook, title: str, accounts: list[SubmissionView], scores: dict, fans: dict
) -> str:
    ws = wb.create_sheet(title)
    headers = [*ID_HEADERS, *(f"{item.name}\n（{item.max_points}分）" for item in ITEMS), "小计\n（100分）"]
    for col, text in enumerate(headers, start=1):
        put(ws, 1, col, text)
    first = len(ID_HEADERS) + 1
    last_row = max(2, len(accounts) + 1)
    for row, view in enumerate(accounts, start=2):
        put(ws, row, 1, row - 1)
        put(ws, row, 2, view.unit or "")
        cell = put(ws, row, 3, account_name(view))
        if _account_link(view):
            cell.hyperlink = _account_link(view)
            cell.font = LINK_FONT
        put(ws, row, 4, view.case_no)
        put(ws, row, 5, fans_number(view))
        for i, item in enumerate(ITEMS):
            value = scores.get((view.case_no, item.name))
            if value is None and item.name == FANS_ITEM:
                value = fans.get(view.case_no)
            put(ws, row, first + i, value)
        a, b = get_column_letter(first), get_column_letter(first + len(ITEMS) - 1)
        subjective = ",".join(
            f"{get_column_letter(first + i)}{row}" for i, item in enumerate(ITEMS) if item.name != FANS_ITEM
        )
        # Blank until the reviewer scores something: the pre-filled 粉丝量 alone is not a score.
        put_formula(ws, row, first + len(ITEMS), f'=IF(COUNT({subjective})=0,"",SUM({a}{row}:{b}{row}))')
    for i, item in enumerate(ITEMS):
        dv = DataValidation(
            type="whole",
            operator="between",
            formula1="0",
            formula2=str(item.max_points),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="分值超出范围",
            error=f"“{item.name}”请填写 0 到 {item.max_points} 之间的整数。",
            promptTitle=item.name,
            prompt=f"{item.rule}（0～{item.max_points} 分）",
            showInputMessage=True,
        )
        letter = get_column_letter(first + i)
        dv.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(dv)
    style_sheet(ws, widths={c: 9 for c in range(first, first + len(ITEMS) + 1)} | {1: 5})
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
) -> Path:
    """Write 评分表.xlsx for `accounts` (already in the order to show).

    `scores` maps (reviewer, case_no, item name) -> points; reviewers without
    scores get a blank sheet to fill in.
    """
    scores = scores or {}
    reviewers = list(reviewers) or ["评委1", "评委2", "评委3"]
    fans = prefill(accounts)
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    taken = {"汇总", "说明"}
    titles = []
    for reviewer in reviewers:
        mine = {(case, item): pts for (who, case, item), pts in scores.items() if who == reviewer}
        titles.append(_reviewer_sheet(wb, _sheet_title(reviewer, taken), accounts, mine, fans))

    headers = [*ID_HEADERS[:4], "账号链接", "原件", *(f"{r}\n总分" for r in reviewers), "平均分", "排名"]
    for col, text in enumerate(headers, start=1):
        put(summary, 1, col, text)
    subtotal_col = get_column_letter(len(ID_HEADERS) + len(ITEMS) + 1)
    first_total = 7
    avg_col = first_total + len(reviewers)
    last_row = max(2, len(accounts) + 1)
    for row, view in enumerate(accounts, start=2):
        put(summary, row, 1, row - 1)
        put(summary, row, 2, view.unit or "")
        put(summary, row, 3, account_name(view))
        put(summary, row, 4, view.case_no)
        link = _account_link(view)
        cell = put(summary, row, 5, "打开账号" if link else (view.fields.get("账号ID/网页链接") or ""))
        if link:
            cell.hyperlink, cell.font = link, LINK_FONT
        if link_base:
            cell = put(summary, row, 6, "推荐表与材料")
            cell.hyperlink, cell.font = f"{link_base.rstrip('/')}/case/{view.case_no}", LINK_FONT
        else:
            put(summary, row, 6, "、".join(a.name for a in view.attachments))
        for i, title in enumerate(titles):
            put_formula(summary, row, first_total + i, f"={quote_sheetname(title)}!{subtotal_col}{row}")
        totals = f"{get_column_letter(first_total)}{row}:{get_column_letter(avg_col - 1)}{row}"
        avg = f"{get_column_letter(avg_col)}{row}"
        put_formula(summary, row, avg_col, f'=IF(COUNT({totals})=0,"",ROUND(AVERAGE({totals}),1))')
        span = f"${get_column_letter(avg_col)}$2:${get_column_letter(avg_col)}${last_row}"
        put_formula(summary, row, avg_col + 1, f'=IF({avg}="","",RANK({avg},{span}))')
    style_sheet(summary, widths={1: 5, 5: 12, 6: 16} | {c: 10 for c in range(first_total, avg_col + 2)})
    for cell in summary[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    summary.row_dimensions[1].height = 36
    print_setup(summary)
    _write_notes(wb.create_sheet("说明"), reviewers)
    wb.calculation.fullCalcOnLoad = True  # totals and ranking are computed when the file is opened

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _write_notes(ws, reviewers: list[str]) -> None:
    rows: list[tuple[str, str, str]] = [("评分标准", "评分细则", "分值")]
    for item in ITEMS:
        rows.append((item.standard, item.rule, f"{item.max_points} 分"))
    rows.extend(
        [
            ("总计", "群众性 60 分 + 创新性 20 分 + 传播力 20 分", "100 分"),
            ("", "", ""),
            (
                "评委",
                f"共 {len(reviewers)} 位：{'、'.join(reviewers)}；每位评委一张工作表（“评委-姓名”）。",
                "",
            ),
            ("打分", "在本人工作表中填写 0 到该项满分之间的整数；在控制台打的分已经填好。", ""),
            (
                "小计",
                "每位评委的小计 = 该评委各项得分之和；除预填的粉丝量外一项都没有填写时，小计为空（视为尚未评分）。",
                "",
            ),
            (
                "平均分与排名",
                "“汇总”表：平均分 = 已打分评委总分的平均（保留一位小数），排名按平均分从高到低。",
                "",
            ),
            ("粉丝量（客观项）", FANS_RULE, "10 分"),
            (
                "粉丝数量来源",
                "取自各单位推荐表中填写的粉丝数量（“万”“亿”已换算）；工作人员在控制台更正过的以更正后的为准。",
                "",
            ),
            ("转评赞", "账号作品的转评、点赞量由评委根据推荐材料中的传播实效打分。", ""),
        ]
    )
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            put(ws, r, c, value)
    style_sheet(ws, widths={1: 16, 2: 70, 3: 10})
    print_setup(ws)

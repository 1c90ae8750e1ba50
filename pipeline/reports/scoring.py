"""评分表.xlsx for the reviewers, from the notice's 附件2 评议细则.

Each reviewer gets one column per scoring item with a whole-number
validation 0..max, a per-reviewer subtotal and an average over reviewers.
The only objective item, 粉丝量, is pre-filled by a formula from the
粉丝数量 column (reviewers may overwrite it); the 说明 sheet explains it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..model import Status
from .views import SubmissionView, account_name
from .xlsx_style import put, put_formula, style_sheet


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
FANS_ITEM = "粉丝量"
ID_HEADERS = ("序号", "单位", "账号名称", "受理编号", "粉丝数量")
FANS_COL = ID_HEADERS.index("粉丝数量") + 1  # column E

FANS_FORMULA_DOC = (
    "粉丝量得分 = MIN(10, ROUND(10 × LOG10(1 + 本账号粉丝数) ÷ LOG10(1 + 本表最大粉丝数), 0))，"
    "即按粉丝数的对数与本表最大值相比折算为 0～10 的整数分；粉丝数最多的账号得 10 分，"
    "粉丝数为 0 或未填写时该格为空，由评委自行打分。"
)

_MULTIPLIERS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000}
_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|千|w|k)?", re.IGNORECASE)


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
    number = float(match.group(1)) * _MULTIPLIERS.get((match.group(2) or "").lower(), 1)
    return int(number)


def _fans_formula(row: int, last_row: int) -> str:
    e = get_column_letter(FANS_COL)
    fans = f"${e}{row}"
    top = f"MAX(${e}$2:${e}${last_row})"
    return (
        f'=IF(OR({fans}="",N({fans})<=0),"",IFERROR(MIN(10,ROUND(10*LOG10(1+{fans})/LOG10(1+{top}),0)),""))'
    )


def build_scoring_xlsx(views: list[SubmissionView], path: Path, reviewers: int = 3) -> Path:
    """Write 评分表.xlsx: one row per ACCEPTED submission in `views`, `reviewers` blocks of score columns."""
    reviewers = max(1, int(reviewers))
    accepted = [v for v in views if v.status == Status.ACCEPTED]
    accepted.sort(key=lambda v: (v.unit or "", v.case_no))

    wb = Workbook()
    ws = wb.active
    ws.title = "评分"
    headers: list[str] = list(ID_HEADERS)
    first_item_col: list[int] = []
    subtotal_cols: list[int] = []
    for r in range(1, reviewers + 1):
        first_item_col.append(len(headers) + 1)
        headers.extend(f"评委{r}\n{item.name}（{item.max_points}）" for item in ITEMS)
        headers.append(f"评委{r}\n小计（100）")
        subtotal_cols.append(len(headers))
    headers.extend(["平均总分", "排名"])
    avg_col = len(headers) - 1
    rank_col = len(headers)
    for col, text in enumerate(headers, start=1):
        put(ws, 1, col, text)

    last_row = max(2, len(accepted) + 1)
    fans_offset = [i for i, item in enumerate(ITEMS) if item.name == FANS_ITEM][0]
    for row, view in enumerate(accepted, start=2):
        put(ws, row, 1, row - 1)
        put(ws, row, 2, view.unit or "")
        put(ws, row, 3, account_name(view))
        put(ws, row, 4, view.case_no)
        put(ws, row, FANS_COL, fans_number(view))
        for start, subtotal in zip(first_item_col, subtotal_cols, strict=True):
            first = get_column_letter(start)
            last = get_column_letter(start + len(ITEMS) - 1)
            put_formula(ws, row, start + fans_offset, _fans_formula(row, last_row))
            subjective = ",".join(
                f"{get_column_letter(start + i)}{row}"
                for i, item in enumerate(ITEMS)
                if item.name != FANS_ITEM
            )
            # Blank until the reviewer scores something, so AVERAGE skips reviewers who have not scored.
            put_formula(ws, row, subtotal, f'=IF(COUNT({subjective})=0,"",SUM({first}{row}:{last}{row}))')
        totals = ",".join(f"{get_column_letter(c)}{row}" for c in subtotal_cols)
        avg = f"{get_column_letter(avg_col)}{row}"
        put_formula(ws, row, avg_col, f'=IFERROR(ROUND(AVERAGE({totals}),1),"")')
        avg_range = f"${get_column_letter(avg_col)}$2:${get_column_letter(avg_col)}${last_row}"
        put_formula(ws, row, rank_col, f'=IF({avg}="","",RANK({avg},{avg_range}))')

    if accepted:
        for item in ITEMS:
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
            offset = ITEMS.index(item)
            for start in first_item_col:
                letter = get_column_letter(start + offset)
                dv.add(f"{letter}2:{letter}{last_row}")
            ws.add_data_validation(dv)

    style_sheet(ws, widths={c: 9 for c in range(FANS_COL + 1, rank_col + 1)})
    ws.column_dimensions[get_column_letter(FANS_COL)].width = 12
    for cell in ws[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = f"{get_column_letter(FANS_COL + 1)}2"  # keep header and account columns visible

    _write_notes(wb.create_sheet("说明"), reviewers)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _write_notes(ws, reviewers: int) -> None:
    rows: list[tuple[str, str, str]] = [("评分标准", "评分细则", "分值")]
    for item in ITEMS:
        rows.append((item.standard, item.rule, f"{item.max_points} 分"))
    rows.extend(
        [
            ("总计", "群众性 60 分 + 创新性 20 分 + 传播力 20 分", "100 分"),
            ("", "", ""),
            (
                "使用方法",
                f"“评分”表中每位评委（共 {reviewers} 位）各有一组评分列，请在本人列中填写 0 到该项满分之间的整数。",
                "",
            ),
            ("小计", "每位评委的小计 = 该评委各项得分之和；该评委尚未填写任何主观项时小计为空。", ""),
            ("平均总分", "平均总分 = 已打分评委小计的平均值（保留一位小数）；排名按平均总分从高到低。", ""),
            ("粉丝量（客观项）", FANS_FORMULA_DOC, "10 分"),
            ("粉丝量公式", _fans_formula(2, 11).replace("$E$11", "$E$最后一行"), ""),
            (
                "粉丝数量来源",
                "“粉丝数量”列取自各单位推荐表中填写的粉丝数量（“万”“亿”已换算），如有误请直接修改该列。",
                "",
            ),
            ("转评赞", "账号作品的转评、点赞量由评委根据推荐材料中的传播实效打分。", ""),
        ]
    )
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            put(ws, r, c, value)
    style_sheet(ws, widths={1: 16, 2: 70, 3: 10})

"""Shared pieces of the corpus documents: sample values and the 附件1 grid in WordprocessingML."""

from __future__ import annotations

from pipeline.campaign import builtin

from .wordml import Writer

FORM = builtin().form  # the notice's 附件1
GRID_ROWS = FORM.rows
WIDTHS = [1550, 2603, 1550, 2603]  # A4 text width, as the notice's 附件1
EMPTY = FORM.empty_fields()


def values(city: str, n: int) -> dict[str, str]:
    """Distinct plausible values per case (no spaces, so PDF wraps rejoin exactly)."""
    return {
        "账号名称": f"{city}针灸",
        "注册时间": f"201{n % 10}年{n % 12 + 1}月",
        "粉丝数量": str(15600 + 111 * n),
        "运营主体": f"{city}市针灸学会",
        "账号ID/网页链接": f"https://weibo.com/zhenjiu{n:02d}",
        "运营人数": str(3 + n % 5),
        "发布数量": str(1680 + 7 * n),
        "账号简介": f"{city}市针灸学会官方科普账号，普及针灸知识，传播中医药文化。",
        "传播实效": f"年阅读量超过{n + 1}百万次，多篇文章被人民网转载。",
        "推荐理由": "坚持群众路线，答疑解惑，服务基层群众健康。",
        "联系人": "王晓东",
        "手机": f"138{n:04d}5678",
        "电子邮箱": f"zhenjiu{n:02d}@163.com",
        "邮编": f"{116001 + n:06d}",
        "联系地址": f"{city}市中山区人民路{n + 1}号",
    }


def para(w: Writer, text: str) -> str:
    return w.para(w.run(text) if text else "")


def grid(
    w: Writer,
    v: dict[str, str],
    inner: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    after: dict[str, list[str]] | None = None,
) -> str:
    """The 附件1 grid; `inner` overrides a value cell's XML, `after` adds rows after a label's row."""
    inner = inner or {}
    labels = labels or {}
    after = after or {}
    rows = [w.row(w.cell(w.text_para("推荐表", center=True, size=32), sum(WIDTHS), span=4), height=680)]
    for row in GRID_ROWS:
        cells = ""
        for label in row:
            cells += w.cell(para(w, labels.get(label, label)), WIDTHS[0], shade=True)
            content = inner.get(label, para(w, v[label]))
            if len(row) == 1:
                cells += w.cell(content, sum(WIDTHS[1:]), span=3)
            else:
                cells += w.cell(content, WIDTHS[1])
        rows.append(
            w.row(
                cells, height=900 if len(row) == 1 and row[0] in ("账号简介", "传播实效", "推荐理由") else 454
            )
        )
        for label in row:
            rows.extend(after.get(label, []))
    return w.table(rows, WIDTHS)


def framed(w: Writer, table: str, track: bool = False) -> bytes:
    body = para(w, "附件1") + w.text_para("推荐表", center=True, size=36) + table
    body += para(w, "推荐单位（盖章）：") + para(w, "填表日期：2021年7月30日")
    return w.package(body, track_revisions=track)


def label_row(w: Writer, table: str, label: str) -> str:
    """The w:tr XML of the grid row holding `label` (to move it elsewhere)."""
    at = table.index(f">{label}<")
    start = max(table.rfind("<w:tr>", 0, at), table.rfind("<w:tr ", 0, at))
    end = table.index("</w:tr>", at) + len("</w:tr>")
    return table[start:end]


def kv_table(w: Writer, rows: list[list[tuple[str, int]]], widths: list[int]) -> str:
    """Rows of (text, span) cells; odd cells shaded like labels."""
    out = []
    for row in rows:
        cells = ""
        col = 0
        for text, span in row:
            width = sum(widths[col : col + span])
            cells += w.cell(para(w, text), width, span=span)
            col += span
        out.append(w.row(cells))
    return w.table(out, widths)

"""评分表.xlsx and the scoring board: one sheet per reviewer, a summary with
averages and ranking (recomputed by LibreOffice as staff would open it), roster
order, links, and a 说明 sheet without raw formula text."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from pipeline.campaign import builtin
from pipeline.documents.convert import seed_profile
from pipeline.model import Status
from pipeline.reports.scoring import build_scoring_xlsx, field_number, log_scale_points, prefill, prefill_rule
from pipeline.reports.views import SubmissionView

SCORING = builtin().scoring
ITEMS = SCORING.items
FANS = SCORING.by_name["粉丝量"]

BJ = timezone(timedelta(hours=8))


def view(
    case_no: str, unit: str, name: str, fans_norm=None, fans_field: str = "", link: str = ""
) -> SubmissionView:
    return SubmissionView(
        case_no=case_no,
        unit=unit,
        sender="s@example.cn",
        message_id=f"{case_no}@x",
        arrival=datetime(2021, 7, 30, 9, 0, tzinfo=BJ),
        status=Status.ACCEPTED,
        fields={"账号名称": name, "粉丝数量": fans_field, "账号ID/网页链接": link},
        normalized={"粉丝数量": fans_norm} if fans_norm is not None else {},
        problems=[],
        attachments=[],
    )


ACCOUNTS = [
    view("TJ-01", "北京针灸学会", "京针", 123000, link="https://weibo.com/u/1"),
    view("TJ-02", "上海市针灸学会", "=cmd|' /C calc'!A0", None, "约12.3万"),
    view("TJ-03", "天津市针灸学会", "津针", 500, link="gh_123456"),
]


def scores_for(reviewer: str, case: str, points: list[int]) -> dict:
    return {(reviewer, case, item.name): p for item, p in zip(ITEMS, points, strict=True)}


@pytest.fixture()
def sheet(tmp_path: Path):
    scores = {}
    scores |= scores_for("王评委", "TJ-01", [18, 17, 16, 8, 9, 10, 8])  # 86
    scores |= scores_for("王评委", "TJ-02", [15, 15, 15, 7, 7, 10, 6])  # 75
    scores |= scores_for("李评委", "TJ-01", [16, 16, 16, 8, 8, 10, 8])  # 82
    scores |= scores_for("李评委", "TJ-02", [19, 19, 18, 9, 9, 10, 9])  # 93
    scores[("王评委", "TJ-03", ITEMS[0].name)] = 15  # one item, plus the pre-filled 粉丝量: unfinished
    path = build_scoring_xlsx(
        ACCOUNTS, tmp_path / "评分表.xlsx", ["王评委", "李评委"], scores, link_base="https://i.example.cn"
    )
    return path, openpyxl.load_workbook(path)


def fans_number(v: SubmissionView) -> int | None:
    return field_number(v, FANS.prefill.field)


def test_fans_number_and_points():
    assert FANS.prefill.field == "粉丝数量" and FANS.points == 10
    assert fans_number(view("x", "u", "n", 42)) == 42
    assert fans_number(view("x", "u", "n", None, "1,234")) == 1234
    assert fans_number(view("x", "u", "n", None, "约1.5亿人")) == 150_000_000
    assert fans_number(view("x", "u", "n", "3w")) == 30000
    assert fans_number(view("x", "u", "n", None, "暂无")) is None
    assert log_scale_points(123000, 123000, 10) == 10
    assert log_scale_points(None, 100, 10) is None and log_scale_points(0, 10, 10) is None
    assert prefill(ACCOUNTS, SCORING) == {
        ("TJ-01", "粉丝量"): 10,
        ("TJ-02", "粉丝量"): 10,
        ("TJ-03", "粉丝量"): 5,
    }


def test_one_sheet_per_reviewer_and_a_summary(sheet):
    _, wb = sheet
    assert wb.sheetnames == ["汇总", "评委-王评委", "评委-李评委", "说明"]
    ws = wb["评委-王评委"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["序号", "单位", "账号名称", "受理编号", "粉丝数量"]
    assert [ws.cell(r, 4).value for r in (2, 3, 4)] == ["TJ-01", "TJ-02", "TJ-03"]  # the given (roster) order
    first = 6
    assert [ws.cell(2, first + i).value for i in range(len(ITEMS))] == [18, 17, 16, 8, 9, 10, 8]
    # Half scored: one item and the pre-filled objective item.
    row3 = [ws.cell(4, first + i).value for i in range(len(ITEMS))]
    assert row3 == [15, None, None, None, None, 5, None]
    assert ws.cell(3, 3).value == "=cmd|' /C calc'!A0" and ws.cell(3, 3).data_type == "s"
    assert ws.cell(2, 3).hyperlink.target == "https://weibo.com/u/1"
    summary = wb["汇总"]
    sh = [c.value for c in summary[1]]
    assert sh[:6] == ["序号", "单位", "账号名称", "受理编号", "账号链接", "原件"]
    assert sh[-3:] == ["评完\n评委", "平均分", "排名"]
    assert summary.cell(2, 5).hyperlink.target == "https://weibo.com/u/1"
    assert summary.cell(4, 5).value == "gh_123456" and summary.cell(4, 5).hyperlink is None
    assert summary.cell(2, 6).hyperlink.target == "https://i.example.cn/case/TJ-01"
    for ws in wb.worksheets:
        assert ws.print_title_rows == "$1:$1"  # the printed size: tests/test_printed_sheets.py


def test_notes_show_no_formula_text(sheet):
    _, wb = sheet
    notes = wb["说明"]
    texts = [c.value for row in notes.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(t.lstrip().startswith("=") or "LOG10" in t or "$E$" in t for t in texts)
    assert prefill_rule(FANS, builtin().form) in texts
    assert "群众性 60 分 + 创新性 20 分 + 传播力 20 分" in texts and "100 分" in texts
    assert any("王评委、李评委" in t for t in texts)


def test_libreoffice_computes_totals_averages_and_ranking(sheet, tmp_path: Path):
    """Open as staff would (LibreOffice recalculates on load) and read the results."""
    path, _ = sheet
    out = tmp_path / "lo"
    seed_profile(tmp_path / "profile")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    wb = openpyxl.load_workbook(out / path.name, data_only=True)
    summary = wb["汇总"]
    rows = {summary.cell(r, 4).value: [c.value for c in summary[r]] for r in range(2, 5)}
    # 王 86 / 75, 李 82 / 93 → TJ-01 84.0, TJ-02 84.0 (tie: both rank 1); TJ-03 half scored by 王
    # (15 + the pre-filled 5 would be 20): 未评完, no average, no rank.
    assert rows["TJ-01"][6:11] == [86, 82, "2/2", 84, 1]
    assert rows["TJ-02"][6:11] == [75, 93, "2/2", 84, 1]
    assert rows["TJ-03"][6:9] == ["未评完", None, "0/2"] or rows["TJ-03"][6:9] == ["未评完", "", "0/2"]
    assert rows["TJ-03"][9] in (None, "") and rows["TJ-03"][10] in (None, "")
    wang = wb["评委-王评委"]
    assert wang.cell(2, 6 + len(ITEMS)).value == 86 and wang.cell(4, 6 + len(ITEMS)).value == "未评完"
    li = wb["评委-李评委"]
    assert li.cell(4, 6 + len(ITEMS)).value in (None, "")  # not started: blank


def test_another_campaigns_scoring_rules(tmp_path: Path):
    """Items, groups, points, the pre-filled item and its field all come from the spec."""
    from pipeline.campaign import FieldSpec, FormSpec, Kind, Prefill, ScoringItem, ScoringSpec

    form = FormSpec(
        fields=(
            FieldSpec("作品名称"),
            FieldSpec("阅读量", kind=Kind.INTEGER),
            FieldSpec("作品链接", kind=Kind.URL),
        ),
        title="申报表",
    )
    rules = ScoringSpec(
        (
            ScoringItem("科学性", "内容准确", "内容科学准确", 40),
            ScoringItem("传播力", "阅读量", "作品阅读量", 30, Prefill("阅读量")),
            ScoringItem("传播力", "互动", "评论、转发", 30),
        )
    )

    def work(case: str, reads: str, link: str) -> SubmissionView:
        v = view(case, "北京针灸学会", f"作品{case}")
        v.fields = {"作品名称": f"作品{case}", "阅读量": reads, "作品链接": link}
        return v

    works = [work("W-1", "10万", "https://example.cn/w1"), work("W-2", "1000", "公众号文章")]
    assert prefill(works, rules) == {("W-1", "阅读量"): 30, ("W-2", "阅读量"): 18}
    path = build_scoring_xlsx(
        works,
        tmp_path / "评分表.xlsx",
        ["评委甲"],
        {("评委甲", "W-1", "内容准确"): 35},
        form=form,
        scoring=rules,
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["评委-评委甲"]
    header = [c.value for c in ws[1]]
    assert header == ["序号", "单位", "作品名称", "受理编号", "阅读量", "内容准确\n（40分）", "阅读量\n（30分）",
                      "互动\n（30分）", "小计\n（100分）"]  # fmt: skip
    assert [ws.cell(2, c).value for c in range(3, 9)] == ["作品W-1", "W-1", 100000, 35, 30, None]
    # The pre-filled item alone is not a score; a half-scored sheet is 未评完, never a total.
    assert ws.cell(2, 9).value == '=IF(COUNT(F2,H2)=0,"",IF(COUNT(F2:H2)<3,"未评完",SUM(F2:H2)))'
    summary = wb["汇总"]
    assert [c.value for c in summary[1]][:6] == ["序号", "单位", "作品名称", "受理编号", "作品链接", "原件"]
    assert (
        summary.cell(2, 5).hyperlink.target == "https://example.cn/w1"
        and summary.cell(2, 5).value == "https://example.cn/w1"  # printed as its address
    )
    assert summary.cell(3, 5).value == "公众号文章" and summary.cell(3, 5).hyperlink is None
    notes = [c.value for row in wb["说明"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "科学性 40 分 + 传播力 60 分" in notes and "100 分" in notes
    assert any(t.startswith("按阅读量折算：阅读量最多的作品得 30 分") for t in notes)
    assert "阅读量来源" in notes and not any("粉丝" in t for t in notes)

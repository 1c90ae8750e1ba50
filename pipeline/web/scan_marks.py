"""What the case page shows of a scanned form's reading (issues 19 and 20.7): which values
staff must check against the original and why, and where each value was read on it.

All of it comes from the facts of the form file the values were read from (recorded at
intake: `uncertain`, `boxes`, `doubts`, see documents/ocr_confidence.py); a value staff
corrected is no longer marked (ledger/views.uncertain_fields).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..ledger import MessageRow
from ..ledger.views import scanned_form_file, uncertain_fields
from .crops import crop_frame, stored_box

# ocr_confidence.doubts codes (and its UNREAD) as staff read them.
WHY = {
    "scan_unread": "整页未能可靠识别",
    "empty": "没有识别出内容",
    "no_cell": "不在表格格子里，按文字位置找到",
    "stamp": "被印章覆盖",
    "lettering": "印章文字已从中去除",
    "unread": "有字迹未能识别",
    "crowded": "文字顶到格线，可能不全",
    "loose": "跨多行，按栏目位置推定",
    "soft": "照片模糊，长段文字中的标点或个别字可能有误",
    "label_guessed": "栏目名被印章盖住，按内容的格式推定属于此栏",
    "low_score": "识别把握不高",
    "kind": "格式不符",
}
DEFAULT_WHY = "识别结果需对照原件"


@dataclass(frozen=True)
class FieldMark:
    """One field's marks: whether staff must check it and why (Chinese), and where its
    value lies on the original (the file, page and box as percentages of the page)."""

    uncertain: bool
    why: tuple[str, ...]
    file_id: int | None = None
    page: int = 0
    box: dict[str, float] | None = None
    crop_size: tuple[int, int] = (0, 0)  # the crop picture's width and height (crops.crop_frame)

    def crop_url(self, case_no: str, index: int) -> str:
        """The crop of the original around the value (routers/cases.file_crop); `index` is
        the field's 1-based place in the form."""
        return f"/case/{case_no}/file/{self.file_id}/crop/{index}" if self.box else ""


def field_marks(config: Config, row: MessageRow) -> dict[str, FieldMark]:
    """label -> FieldMark for the fields of a scanned form that are uncertain or located."""
    scan = scanned_form_file(row)
    if scan is None:
        return {}
    facts = scan.facts or {}
    uncertain = set(uncertain_fields(row))
    boxes = facts.get("boxes") or {}
    doubts = facts.get("doubts") or {}
    marks = {}
    for spec in config.form.fields:
        label = spec.label
        box = stored_box(boxes.get(label))
        if label not in uncertain and box is None:
            continue
        codes = list(doubts.get(label, ()))
        if "empty" in codes and "no_cell" in codes:  # nothing read, so nowhere read: one reason
            codes.remove("no_cell")
        why = tuple(dict.fromkeys(WHY.get(code, DEFAULT_WHY) for code in codes))
        marks[label] = FieldMark(
            uncertain=label in uncertain,
            why=(why or (DEFAULT_WHY,)) if label in uncertain else (),
            file_id=scan.id if box else None,
            page=box.page if box else 0,
            box=box.percent() if box else None,
            crop_size=crop_frame(box).size if box else (0, 0),
        )
    return marks

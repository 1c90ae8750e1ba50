"""The real-document corpus: each case is a structure found in files units send.

Positive cases are 推荐表 with exact expected values for the 15 fields;
negative cases are documents that are not the 推荐表 (contest and forum
报名表, 申请表, 会议通知, cover letters, manifests, summary sheets, English
office files) and must yield no fields at all. The structures reproduce
what we found in public files: apache/poi test-data (delins.docx,
58067.docx tracked changes; 55966.docx/60316.docx content controls with
w:showingPlcHdr; form_footnotes.docx, a visa form whose photo column sits
right of labels that stand above their values; Tika-792.docx moves),
Chinese contest/forum 报名表 on GitHub (team-member tables with phones and
e-mails of other people, "所在地址及邮编", "（必填，用于通知与联系）" left in
value cells), and the packet's 汇总表.xlsx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import forms, others
from .wordml2003 import to_flat_opc


@dataclass
class Case:
    """One corpus document: how to build it and what a correct reader finds."""

    name: str  # file stem
    build: Callable[[], bytes]
    expected: dict[str, str]  # all 15 labels; all "" for a document that is not the form
    ext: str = "docx"
    # Extra copies made with LibreOffice: "doc" (Word 97 round trip), "pdf" (printed).
    variants: tuple[str, ...] = ()
    # Per-variant differences from `expected` (e.g. what a .doc round trip keeps).
    variant_expected: dict[str, dict[str, str]] = field(default_factory=dict)
    note: str = ""
    # A form holding several accounts: every account's fields, `expected` being the first's.
    accounts: list[dict[str, str]] = field(default_factory=list)

    @property
    def positive(self) -> bool:
        return any(self.expected.values())


def _case(name: str, func: Callable[[], tuple[bytes, dict[str, str]]], **kw) -> Case:
    data, expected = func()
    return Case(name, lambda: data, dict(expected), note=(func.__doc__ or "").strip(), **kw)


def _flat_opc(func: Callable[[], tuple[bytes, dict[str, str]]]) -> Callable[[], tuple[bytes, dict[str, str]]]:
    def build() -> tuple[bytes, dict[str, str]]:
        data, expected = func()
        return to_flat_opc(data), expected

    build.__doc__ = f'{(func.__doc__ or "").strip()} Saved by Word 2016 as "Word XML 文档" (Flat OPC, .xml).'
    return build


def all_cases() -> list[Case]:
    """Every corpus case, positives first."""
    return [
        _case("word2016_tracked", forms.word2016_tracked, variants=("doc", "pdf", "xml")),
        _case("row_deleted_unmarked", forms.row_deleted_unmarked, variants=("doc", "pdf")),
        _case("word2016_controls", forms.word2016_controls, variants=("pdf",)),
        _case("saved_as_word97", forms.saved_as_word97, variants=("doc",)),
        _case("legacy_fields", forms.legacy_fields, variants=("doc", "xml")),
        _case("wps_textboxes", forms.wps_textboxes, variants=("pdf",)),
        _case("vmerge_photo_column", forms.vmerge_photo_column, variants=("doc", "pdf")),
        _case("visa_label_above", forms.visa_label_above, variants=("pdf",)),
        _case("combined_labels", forms.combined_labels, variants=("pdf",)),
        _case("combined_labels_2", forms.combined_labels_2),
        _case("instructions_left_in", forms.instructions_left_in, variants=("doc", "pdf")),
        _case("flattened_text", forms.flattened_text, variants=("doc",)),
        _case("narrow_cells", forms.narrow_cells, variants=("pdf",)),
        _case("cid_glyphs", forms.cid_glyphs, ext="pdf"),
        _case("summary_one_record", others.summary_one_record, ext="xlsx"),
        # Word structures of issue 19: text boxes, fields below labels, shared cells, revisions, two accounts
        _case("textboxes_over_cells", forms.textboxes_over_cells, variants=("doc", "pdf", "xml")),
        _case("wps_textboxes_beside_labels", forms.wps_textboxes_beside_labels, variants=("doc", "pdf")),
        _case("legacy_fields_below", forms.legacy_fields_below, variants=("doc", "pdf")),
        _case("label_and_value_in_one_cell", forms.label_and_value_in_one_cell, variants=("doc", "pdf")),
        _case("tracked_email_changed", forms.tracked_email_changed, variants=("doc", "pdf")),
        _case(
            "two_accounts_side_by_side",
            forms.two_accounts_side_by_side,
            variants=("doc", "pdf"),
            accounts=forms.two_accounts_values(),
        ),
        _case("word2016_controls_flat_opc", _flat_opc(forms.word2016_controls), ext="xml"),
        # negatives
        _case("设计大赛报名表", others.design_contest_form, variants=("doc", "pdf")),
        _case("竞赛报名表", others.team_contest_form, variants=("pdf",)),
        _case("论坛报名表", others.forum_form),
        _case("竞选报名表", others.community_form),
        _case("会议通知", others.meeting_notice, variants=("pdf",)),
        _case("申请表", others.application_form, variants=("doc",)),
        _case("优秀论文推荐表", others.paper_recommendation),
        _case("推荐函", others.cover_letter),
        _case("报送材料清单", others.manifest_list),
        _case("registration_form", others.english_contact_form),
        _case("contacts", others.english_contacts_xlsx, ext="xlsx"),
        _case("汇总表", others.summary_many_records, ext="xlsx"),
    ]

"""Render a filled 推荐表.docx (the notice's 附件1 grid) from the 15 extracted fields.

The template templates/推荐表模板.docx is made by templates/make_form_template.py.
Jinja identifiers cannot be Chinese or contain "/", so each label has an
ASCII placeholder name (FIELD_KEYS below). The recommending unit is not part
of 附件1, so it goes in the page footer ({{ unit }}) where a form reader at
the next level will not mistake it for a field.

Placeholder mapping (label -> jinja name):
    账号名称 -> name          注册时间 -> reg_date
    粉丝数量 -> fans          运营主体 -> operator
    账号ID/网页链接 -> account_id
    运营人数 -> staff_count   发布数量 -> post_count
    账号简介 -> intro         传播实效 -> impact
    推荐理由 -> reason
    联系人 -> contact         手机 -> mobile
    电子邮箱 -> email         邮编 -> postcode
    联系地址 -> address
    (footer) 推荐单位 -> unit
"""

from __future__ import annotations

import re
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined

from ..model import FORM_GRID, FORM_LABELS

FIELD_KEYS: dict[str, str] = {
    "账号名称": "name",
    "注册时间": "reg_date",
    "粉丝数量": "fans",
    "运营主体": "operator",
    "账号ID/网页链接": "account_id",
    "运营人数": "staff_count",
    "发布数量": "post_count",
    "账号简介": "intro",
    "传播实效": "impact",
    "推荐理由": "reason",
    "联系人": "contact",
    "手机": "mobile",
    "电子邮箱": "email",
    "邮编": "postcode",
    "联系地址": "address",
}
if tuple(FIELD_KEYS) != FORM_LABELS:  # the template must follow model.FORM_LABELS
    raise RuntimeError("FIELD_KEYS out of sync with FORM_LABELS")

# The notice's 附件1 (model.FORM_GRID) as a 4-column grid: each row is a list of
# (label, value span). A span of 3 means the value cell runs over columns 2-4.
FORM_ROWS: tuple[tuple[tuple[str, int], ...], ...] = tuple(
    tuple((label, 3 if len(row) == 1 else 1) for label in row) for row in FORM_GRID
)

# XML 1.0 forbids most C0 controls; \t \a \f would become tabs/paragraphs/page breaks in docxtpl.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
MAX_VALUE_CHARS = 20000


def clean_text(value: object) -> str:
    """Plain text safe for a Word text run: newlines kept (become line breaks), controls dropped."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _BAD_CHARS.sub("", text)
    # Lone surrogates (from badly decoded mail) cannot be encoded to UTF-8.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:MAX_VALUE_CHARS]


def form_context(fields: dict[str, str], unit: str) -> dict[str, str]:
    """The docxtpl context: ASCII placeholder -> cleaned value."""
    context = {key: clean_text((fields or {}).get(label, "")) for label, key in FIELD_KEYS.items()}
    context["unit"] = clean_text(unit)
    return context


def render_form_docx(fields: dict[str, str], unit: str, template: Path, out: Path) -> Path:
    """Fill the 附件1 template with `fields` (FORM_LABELS keys) and save it to `out`."""
    doc = DocxTemplate(str(template))
    env = Environment(
        autoescape=True, undefined=StrictUndefined
    )  # escape <, & so values cannot break the XML
    doc.render(form_context(fields, unit), jinja_env=env, autoescape=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    doc.save(str(tmp))
    tmp.replace(out)
    return out

"""`run.py form init`: a campaign's blank form (and scoring table) -> `form:` / `scoring:` YAML.

The files are read by the same readers as attachments (documents/), so a
blank form may come as .docx, .doc, .wps, .xlsx or a PDF exported from Word.
What is printed is loaded back through the configuration's own reader before
it is shown: text that `load_config` would refuse is a bug here, never
something staff discover after pasting.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..campaign import FormSpec, form_from_mapping, scoring_from_mapping
from ..documents import read_document
from ..errors import UserFacingError
from ..model import Document
from .blank import BlankFormError, read_blank_form
from .draft_yaml import form_section, header, scoring_section
from .scoring_table import read_scoring_table


class InitError(UserFacingError):
    """A file given to `form init` could not be read."""


def form_init(blank: Path, scoring: Path | None = None, converter=None) -> str:
    """The YAML text of the `form:` section (and `scoring:` when a scoring table is given)."""
    doc = _read(blank, converter)
    draft = read_blank_form(doc)
    sources = [f"表格：{blank.name}"]
    lines = form_section(draft, blank.name)
    checks = list(draft.checks)
    spec = _load_form(lines)
    if scoring is not None:
        scoring_draft = read_scoring_table(_read(scoring, converter), form=spec)
        sources.append(f"评分：{scoring.name}")
        checks.extend(scoring_draft.checks)
        lines += [""] + scoring_section(scoring_draft, scoring.name)
    text = "\n".join(header(sources, checks) + [""] + lines) + "\n"
    _check_round_trip(text)
    return text


def _read(path: Path, converter) -> Document:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InitError(f"找不到文件：{path}") from None
    except IsADirectoryError:
        raise InitError(f"{path} 是文件夹，请给出其中的表格文件") from None
    except OSError as exc:
        raise InitError(f"无法读取 {path}：{exc.strerror or exc}") from None
    doc = read_document(path.name, data, converter=converter)
    if not doc.tables and not doc.paragraphs and doc.problems:
        raise BlankFormError("；".join(p.message for p in doc.problems))
    return doc


def _load_form(lines: list[str]) -> FormSpec:
    data = yaml.safe_load("\n".join(lines))
    return form_from_mapping(data["form"], _bug)


def _check_round_trip(text: str) -> None:
    data = yaml.safe_load(text)
    form = form_from_mapping(data["form"], _bug)
    if "scoring" in data:
        scoring_from_mapping(data["scoring"], _bug, form=form)


def _bug(key: str, message: str, fix: str) -> None:
    raise RuntimeError(f"form init wrote a section the configuration refuses: {key}: {message} ({fix})")

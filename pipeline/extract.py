"""`run.py extract`: read 推荐表 files directly, one JSON object per file."""

from __future__ import annotations

from pathlib import Path

from .config import Config, Limits
from .documents import read_document
from .form import analyze_document
from .model import FORM_LABELS


def extract_file(path: Path, config: Config | None, converter=None) -> dict:
    limits = config.limits if config else Limits()
    required = config.form.required if config else list(FORM_LABELS)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {
            "file": str(path),
            "fields": dict.fromkeys(FORM_LABELS, ""),
            "normalized": {},
            "problems": [{"field": None, "code": "unreadable", "message": f"无法读取文件：{exc.strerror}"}],
        }
    doc = read_document(path.name, data, limits, converter)
    form, normalized, problems = analyze_document(doc, required)
    return {
        "file": str(path),
        "fields": {label: form.fields.get(label, "") for label in FORM_LABELS},
        "normalized": normalized,
        "problems": [p.as_dict() for p in problems],
        "sources": form.sources,
        "format": doc.format,
        "is_scan": doc.is_scan,
        "form_score": form.score,  # 0 when the file is not the 推荐表 (see form/judge.py)
    }


def extract_files(paths: list[Path], config: Config | None) -> list[dict]:
    from .documents.convert import Converter

    with Converter() as converter:  # one warm LibreOffice for the whole batch
        return [extract_file(p, config, converter) for p in paths]

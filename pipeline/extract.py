"""`run.py extract`: read filled forms directly, one JSON object per file.

The fields are the campaign's (`config.form`: the built-in 附件1 unless the
configuration defines `form.fields`, e.g. from `run.py form init`). A path
that cannot be read is reported in one Chinese line and left out of the
JSON: empty fields would look like a form that was read and is blank.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .campaign import builtin
from .config import Config, Limits
from .documents import read_document
from .errors import UserFacingError, describe
from .form import analyze_document

log = logging.getLogger(__name__)


class UnreadableFile(UserFacingError):
    """A path given to `extract` that is missing, a folder, or not readable."""


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"找不到文件：{path}") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path} 是文件夹，请给出其中的推荐表文件") from None
    except PermissionError:
        raise UnreadableFile(f"没有权限读取：{path}") from None
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        name = path.name if len(path.name) <= 60 else path.name[:30] + "…" + path.name[-20:]
        raise UnreadableFile(f"无法读取“{name}”：{describe(exc)}") from None


def extract_file(path: Path, config: Config | None, converter=None) -> dict:
    limits = config.limits if config else Limits()
    spec = config.form if config else builtin().form
    data = read_file(path)
    doc = read_document(path.name, data, limits, converter, spec)
    form, normalized, problems = analyze_document(doc, spec)
    return {
        "file": str(path),
        "fields": spec.ordered(form.fields),
        "normalized": normalized,
        "problems": [p.as_dict() for p in problems],
        "sources": form.sources,
        "uncertain": form.uncertain,  # read from a scan: the labels a person must check
        "boxes": form.boxes,  # ... and where each value lies on the original page
        "format": doc.format,
        "is_scan": doc.is_scan,
        "form_score": form.score,  # 0 when the file is not the form (see form/judge.py)
    }


def extract_files(paths: list[Path], config: Config | None) -> tuple[list[dict], list[str]]:
    """JSON objects for the files read, and one Chinese line per file that was not."""
    from .documents.convert import Converter

    results: list[dict] = []
    failures: list[str] = []
    with Converter() as converter:  # one warm LibreOffice for the whole batch
        for path in paths:
            try:
                results.append(extract_file(path, config, converter))
            except UnreadableFile as exc:
                failures.append(str(exc))
    return results, failures

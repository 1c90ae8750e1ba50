"""Regenerate tests/corpus/real/: the documents and expected.json.

    .venv/bin/python tests/corpus/make_corpus.py

Word files are written from XML (cases.py, wordml.py); the .doc copies are
LibreOffice's Word 97 round trip of them and the .pdf copies are printed by
LibreOffice, both in one soffice run each with a private profile. The .doc
and .pdf bytes depend on the LibreOffice version, so they are checked in
rather than made at test time; tests/test_real_corpus.py checks that the
XML-built files still come out byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "real"
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from corpus.cases import Case, all_cases  # noqa: E402

TARGETS = {"doc": "doc:MS Word 97", "pdf": "pdf:writer_pdf_Export"}


def soffice_convert(files: dict[str, bytes], target: str, timeout: int = 300) -> dict[str, bytes]:
    """Convert every file with one soffice run; returns stem -> converted bytes."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("需要 LibreOffice（soffice）来生成 .doc/.pdf 样本")
    ext = target.split(":", 1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        src, out, profile = (Path(tmp) / d for d in ("src", "out", "profile"))
        for d in (src, out, profile):
            d.mkdir()
        for name, data in files.items():
            (src / name).write_bytes(data)
        cmd = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *sorted(str(p) for p in src.iterdir()),
        ]
        subprocess.run(
            cmd, check=True, timeout=timeout, capture_output=True, env=dict(os.environ, HOME=str(profile))
        )
        result = {}
        for name in files:
            stem = Path(name).stem
            made = out / f"{stem}.{ext}"
            if not made.exists():
                raise SystemExit(f"LibreOffice 未生成 {made.name}")
            result[stem] = made.read_bytes()
        return result


def build(out: Path = OUT) -> dict[str, dict]:
    """Write every case and its variants into `out`; return the expected.json content."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    manifest: dict[str, dict] = {}
    wanted: dict[str, dict[str, bytes]] = {ext: {} for ext in TARGETS}
    cases: dict[str, Case] = {}
    for case in all_cases():
        data = case.build()
        name = f"{case.name}.{case.ext}"
        (out / name).write_bytes(data)
        manifest[name] = _entry(case, case.expected, case.ext)
        cases[case.name] = case
        for ext in case.variants:
            wanted[ext][name] = data
    for ext, files in wanted.items():
        if not files:
            continue
        for stem, data in soffice_convert(files, TARGETS[ext]).items():
            case = cases[stem]
            name = f"{stem}.{ext}"
            (out / name).write_bytes(data)
            manifest[name] = _entry(case, {**case.expected, **case.variant_expected.get(ext, {})}, ext)
    (out / "expected.json").write_text(
        json.dumps(dict(sorted(manifest.items())), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


def _entry(case: Case, expected: dict[str, str], fmt: str) -> dict:
    return {"format": fmt, "form": any(expected.values()), "fields": expected, "structure": case.note}


if __name__ == "__main__":
    made = build()
    print(f"{len(made)} files in {OUT}")

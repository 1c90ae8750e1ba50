"""Regenerate tests/corpus/real/: the documents and expected.json.

    .venv/bin/python tests/corpus/make_corpus.py

    .venv/bin/python tests/corpus/make_corpus.py --only NAME ...   # only these cases' files

Word files are written from XML (cases.py, wordml.py); the .doc copies are
LibreOffice's Word 97 round trip of them and the .pdf copies are printed by
LibreOffice, both in one soffice run each with a private profile; the .xml
copies are the same document as Word 2003 XML (wordml2003.py). The .doc
and .pdf bytes depend on the LibreOffice version, so they are checked in
rather than made at test time; tests/test_real_corpus.py checks that the
XML-built files still come out byte for byte. `--only` rewrites just the
named cases' files (so a new case does not churn every checked-in PDF) and
expected.json as a whole.
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
from corpus.wordml2003 import to_word2003  # noqa: E402
from pipeline.documents.convert import seed_profile  # noqa: E402

TARGETS = {"doc": "doc:MS Word 97", "pdf": "pdf:writer_pdf_Export"}
MADE_HERE = {"xml": to_word2003}  # variants written in Python, not by LibreOffice


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
        seed_profile(profile)
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


def build(out: Path = OUT, only: set[str] | None = None) -> dict[str, dict]:
    """Write every case (or the `only` ones) and its variants into `out`; return expected.json's content."""
    out.mkdir(parents=True, exist_ok=True)
    if only is None:
        for old in out.iterdir():
            old.unlink()
    manifest: dict[str, dict] = {}
    wanted: dict[str, dict[str, bytes]] = {ext: {} for ext in TARGETS}
    cases: dict[str, Case] = {}
    for case in all_cases():
        data = case.build()
        name = f"{case.name}.{case.ext}"
        write = only is None or case.name in only
        if write:
            (out / name).write_bytes(data)
        manifest[name] = _entry(case, case.expected, case.ext)
        cases[case.name] = case
        for ext in case.variants:
            variant = f"{case.name}.{ext}"
            manifest[variant] = _entry(case, {**case.expected, **case.variant_expected.get(ext, {})}, ext)
            if not write:
                if not (out / variant).exists():
                    raise SystemExit(f"缺少 {variant}：请不带 --only 重新生成")
            elif ext in MADE_HERE:
                (out / variant).write_bytes(MADE_HERE[ext](data))
            else:
                wanted[ext][name] = data
    for ext, files in wanted.items():
        if not files:
            continue
        for stem, data in soffice_convert(files, TARGETS[ext]).items():
            (out / f"{stem}.{ext}").write_bytes(data)
    (out / "expected.json").write_text(
        json.dumps(dict(sorted(manifest.items())), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


def _entry(case: Case, expected: dict[str, str], fmt: str) -> dict:
    entry = {"format": fmt, "form": any(expected.values()), "fields": expected, "structure": case.note}
    if case.accounts:
        entry["accounts"] = case.accounts
    return entry


if __name__ == "__main__":
    args = sys.argv[1:]
    only = set(args[args.index("--only") + 1 :]) if "--only" in args else None
    made = build(only=only)
    print(f"{len(made)} files in {OUT}" + (f" ({', '.join(sorted(only))} rewritten)" if only else ""))

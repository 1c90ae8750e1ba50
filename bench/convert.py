"""Benchmark: cold vs warm LibreOffice conversion of .doc -> .docx.

Makes ~10 .doc forms (from generated .docx, one soffice call), then in the
same run times
  cold: a fresh `soffice --headless --convert-to docx` process per file
        (private profile, created once beforehand so only startup is measured);
  warm: one Converter (one long-lived soffice driven over UNO) for all files,
        started before timing (a service pays the start once).
Prints `BENCH doc_convert_cold <s> s/file`, `BENCH doc_convert_warm <s> s/file`
and `BENCH doc_convert_ratio <cold/warm>`. Also the warm start-up cost.

Usage: .venv/bin/python bench/convert.py [--files 10]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import docx  # noqa: E402
from fixtures_forms import docx_grid, sample_values  # noqa: E402

from pipeline.documents.convert import Converter, verify_output  # noqa: E402


def make_docs(work: Path, count: int) -> list[Path]:
    src = work / "src"
    src.mkdir()
    for i in range(count):
        document = docx.Document(io.BytesIO(docx_grid(sample_values(i))))
        document.add_paragraph("推荐单位（盖章）")
        document.save(src / f"form{i}.docx")
    soffice(
        work / "profile_make",
        ["--convert-to", "doc", "--outdir", str(work / "doc"), *map(str, sorted(src.iterdir()))],
    )
    return sorted((work / "doc").iterdir())


def soffice(profile: Path, args: list[str]) -> None:
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}", *args],
        check=True,
        capture_output=True,
        timeout=300,
    )


def cold(files: list[Path], work: Path) -> float:
    profile = work / "profile_cold"
    soffice(profile, ["--version"])  # create the profile outside the timing
    out = work / "cold"
    start = time.perf_counter()
    for path in files:
        soffice(profile, ["--convert-to", "docx", "--outdir", str(out), str(path)])
    elapsed = time.perf_counter() - start
    for path in files:
        verify_output((out / f"{path.stem}.docx").read_bytes(), "docx")
    return elapsed / len(files)


def warm(files: list[Path], work: Path) -> tuple[float, float]:
    with Converter(work / "warm") as conv:
        start = time.perf_counter()
        conv.convert(files[0].read_bytes(), "doc", "docx")  # start-up + first file
        startup = time.perf_counter() - start
        datas = [p.read_bytes() for p in files]
        start = time.perf_counter()
        for data in datas:
            conv.convert(data, "doc", "docx")  # verified inside
        elapsed = time.perf_counter() - start
    return elapsed / len(files), startup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_convert_") as tmp:
        work = Path(tmp)
        files = make_docs(work, args.files)
        cold_s = cold(files, work)
        warm_s, startup = warm(files, work)
    print(f"BENCH doc_convert_cold {cold_s:.3f} s/file")
    print(f"BENCH doc_convert_warm {warm_s:.3f} s/file")
    print(f"BENCH doc_convert_ratio {cold_s / warm_s:.1f}")
    print(f"BENCH doc_convert_warm_startup {startup:.3f} s (once per process)")


if __name__ == "__main__":
    main()

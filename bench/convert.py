"""Benchmark: cold vs warm LibreOffice conversion of .doc -> .docx.

Makes ~10 .doc forms (from generated .docx, one soffice call), then in the
same run times
  cold: a fresh `soffice --headless --convert-to docx` process per file
        (private profile, created once beforehand so only startup is measured);
  warm: one Converter (one long-lived soffice driven over UNO) for all files,
        started before timing (a service pays the start once).
Prints `BENCH doc_convert_cold <s> s/file`, `BENCH doc_convert_warm <s> s/file`
and `BENCH doc_convert_ratio <cold/warm>`. Also the warm start-up cost.

Exit cost, in the same run: seconds from the last conversion to process exit.
  ours: a Python process that reads a .doc three times through read_document
        (warm converter + sandbox child, as run.py does) and exits normally;
  baseline: a bare `soffice --convert-to`, from its "convert ... ->" line
        to its exit (LibreOffice's own shutdown after a conversion).
Prints `BENCH doc_exit_cost`, `BENCH doc_exit_cost_soffice` and their ratio
(median of --exits runs each).

Usage: .venv/bin/python bench/convert.py [--files 10] [--exits 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
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

from pipeline.documents.convert import Converter, seed_profile, verify_output  # noqa: E402


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
    seed_profile(profile)  # as the Converter's profiles are: a fair baseline
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


# Runs in a child: three reads, print the moment the last conversion returned, exit normally.
_READ_THEN_EXIT = """
import pathlib, sys, time
sys.path.insert(0, sys.argv[1])
from pipeline.documents import read_document
data = pathlib.Path(sys.argv[2]).read_bytes()
for _ in range(3):
    doc = read_document("form.doc", data)
assert not doc.problems and doc.tables, doc.problems
print(time.monotonic(), flush=True)
"""


def exit_cost_ours(path: Path, work: Path) -> float:
    """Seconds from the last read_document of a .doc to the reading process's exit."""
    env = dict(os.environ, TMPDIR=str(work))  # the scratch root falls back to TMPDIR without a config
    proc = subprocess.Popen(
        [sys.executable, "-c", _READ_THEN_EXIT, str(ROOT), str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    done = float(proc.stdout.readline())
    proc.wait(timeout=120)
    ended = time.monotonic()
    if proc.returncode != 0:
        raise SystemExit(f"reader exited {proc.returncode}")
    return ended - done


def exit_cost_soffice(path: Path, work: Path) -> float:
    """Seconds from a bare soffice --convert-to's "convert ... ->" line to its exit."""
    profile = work / "profile_exit"
    soffice(profile, ["--version"])  # profile creation is not shutdown
    proc = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "docx",
            "--outdir",
            str(work / "exit_out"),
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in proc.stdout:
        if line.startswith("convert "):
            done = time.monotonic()
            break
    else:
        raise SystemExit("soffice printed no convert line")
    proc.wait(timeout=120)
    ended = time.monotonic()
    verify_output((work / "exit_out" / f"{path.stem}.docx").read_bytes(), "docx")
    return ended - done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--exits", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_convert_") as tmp:
        work = Path(tmp)
        files = make_docs(work, args.files)
        cold_s = cold(files, work)
        warm_s, startup = warm(files, work)
        ours = statistics.median(exit_cost_ours(files[0], work) for _ in range(args.exits))
        bare = statistics.median(exit_cost_soffice(files[0], work) for _ in range(args.exits))
    print(f"BENCH doc_convert_cold {cold_s:.3f} s/file")
    print(f"BENCH doc_convert_warm {warm_s:.3f} s/file")
    print(f"BENCH doc_convert_ratio {cold_s / warm_s:.1f}")
    print(f"BENCH doc_convert_warm_startup {startup:.3f} s (once per process)")
    print(f"BENCH doc_exit_cost {ours:.3f} s (last conversion to exit: warm converter + sandbox)")
    print(f"BENCH doc_exit_cost_soffice {bare:.3f} s (baseline: a bare soffice --convert-to)")
    print(f"BENCH doc_exit_cost_ratio {ours / bare:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark on the real-document corpus (tests/corpus/real): speed and field accuracy per format.

For each format, in the same process and run, interleaved best-of-N:
  docx: read_docx + extract_form   vs  python-docx Document() + every paragraph and cell.text
  pdf:  read_pdf  + extract_form   vs  pdfplumber open() + extract_tables() + extract_text()
  xlsx: read_xlsx + extract_form   vs  openpyxl load_workbook() + every value
  doc:  read_document + extract_form (LibreOffice conversion, isolated parse)
        vs  the warm LibreOffice conversion alone
and the field accuracy of extract_form(read_document(...)) against expected.json:
fields right / fields expected over the 推荐表 files, and how many non-form
files yielded any field (must be 0).

Prints `BENCH corpus_<fmt>_files_per_s`, `corpus_<fmt>_raw_files_per_s`,
`corpus_<fmt>_ratio` (our time / library time), `corpus_<fmt>_field_accuracy`,
`corpus_fields_right`, `corpus_fields_expected`, `corpus_negatives_with_fields`.

Usage: .venv/bin/python bench/corpus.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import docx  # noqa: E402
import openpyxl  # noqa: E402
import pdfplumber  # noqa: E402
from common import bench  # noqa: E402
from extract import timed_pair  # noqa: E402

from pipeline.campaign import builtin  # noqa: E402
from pipeline.documents import default_converter, read_document  # noqa: E402
from pipeline.documents.docx_reader import read_docx  # noqa: E402
from pipeline.documents.pdf_reader import read_pdf  # noqa: E402
from pipeline.documents.xlsx_reader import read_xlsx  # noqa: E402
from pipeline.form import extract_form  # noqa: E402

FORM = builtin().form

REAL = ROOT / "tests" / "corpus" / "real"


def raw_docx(data: bytes) -> None:
    d = docx.Document(io.BytesIO(data))
    for p in d.paragraphs:
        _ = p.text
    for table in d.tables:
        for row in table.rows:
            for cell in row.cells:
                _ = cell.text


def raw_pdf(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_tables()
            page.extract_text()


def raw_xlsx(data: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for _ in row:
                pass


def raw_doc(data: bytes) -> None:
    default_converter().convert(data, "doc", "docx")


def ours(reader: Callable) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        extract_form(reader(data, "bench.x"), FORM)

    return run


def dispatched(data: bytes) -> None:
    extract_form(read_document("bench.doc", data), FORM)


PAIRS = {
    "docx": (ours(read_docx), raw_docx),
    "pdf": (ours(read_pdf), raw_pdf),
    "xlsx": (ours(read_xlsx), raw_xlsx),
    "doc": (dispatched, raw_doc),
}


def accuracy(expected: dict[str, dict]) -> dict[str, tuple[int, int, int, int]]:
    """format -> (fields right, fields expected, non-form files, non-form files with fields)."""
    out: dict[str, list[int]] = {}
    for name, entry in expected.items():
        form = extract_form(read_document(name, (REAL / name).read_bytes()), FORM)
        stats = out.setdefault(entry["format"], [0, 0, 0, 0])
        if entry["form"]:
            stats[0] += sum(form.fields[k] == v for k, v in entry["fields"].items())
            stats[1] += len(entry["fields"])
        else:
            stats[2] += 1
            stats[3] += int(any(form.fields.values()))
    return {fmt: tuple(v) for fmt, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    expected = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))
    by_format: dict[str, list[bytes]] = {}
    for name, entry in expected.items():
        by_format.setdefault(entry["format"], []).append((REAL / name).read_bytes())
    for fmt, (mine, raw) in PAIRS.items():
        files = by_format[fmt]
        mine(files[0])  # warm imports, caches, the converter and the sandbox child
        raw(files[0])
        rounds = args.rounds if fmt != "doc" else max(1, args.rounds // 2)
        t_ours, t_raw = timed_pair(mine, raw, files, rounds)
        bench(f"corpus_{fmt}_files_per_s", len(files) / t_ours, "files/s")
        bench(f"corpus_{fmt}_raw_files_per_s", len(files) / t_raw, "files/s")
        bench(f"corpus_{fmt}_ratio", t_ours / t_raw, "x")
    totals = [0, 0, 0, 0]
    for fmt, stats in sorted(accuracy(expected).items()):
        right, wanted, negatives, leaked = stats
        if wanted:
            bench(f"corpus_{fmt}_field_accuracy", right / wanted, "fraction")
        totals = [a + b for a, b in zip(totals, stats, strict=True)]
    bench("corpus_fields_right", totals[0], "fields")
    bench("corpus_fields_expected", totals[1], "fields")
    bench("corpus_negatives", totals[2], "files")
    bench("corpus_negatives_with_fields", totals[3], "files")


if __name__ == "__main__":
    main()

"""What a `run.py` process imports before it knows what it must do.

Every cron `run.py once` and every `status` starts an interpreter; the readers'
heavy libraries (OCR, images, spreadsheets, PDF, the web server) are imported where a
file or a page needs them. `from openpyxl import Workbook` at the top of staff/status.py
had `status` and the table `once` prints load openpyxl, numpy and Pillow: 0.84 CPU-s a
`run.py status` before it was moved into the export, 0.60 after (2026-12-08)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = (
    "openpyxl",
    "numpy",
    "PIL",
    "cv2",
    "onnxruntime",
    "rapidocr_onnxruntime",
    "onnx",
    "docx",
    "pdfplumber",
    "pypdfium2",
    "starlette",
    "uvicorn",
    "playwright",
)

PROBE = """
import json, sys
import pipeline.cli, pipeline.staff.status, pipeline.worker
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_commands_and_the_status_table_load_no_reader_library():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(out.stdout))
    assert "sqlalchemy" in loaded  # the probe imported the stack
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))

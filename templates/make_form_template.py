"""Write templates/推荐表模板.docx: the notice's blank 附件1 推荐表, drawn from the built-in campaign.

Run from the project root:  .venv/bin/python templates/make_form_template.py
The form comes from pipeline/campaign/builtin.yaml (its fields and layout) through
pipeline.reports.blank_form, the same code that draws the form the packet fills
when a campaign gives no blank form of its own; the file is checked in for
people to look at or send to units, and a test keeps it equal to what the code draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.campaign import builtin  # noqa: E402
from pipeline.reports.blank_form import build_blank_form  # noqa: E402

OUT = ROOT / "templates" / "推荐表模板.docx"


def build(out: Path = OUT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    build_blank_form(builtin().form).save(str(out))
    return out


if __name__ == "__main__":
    print(build())

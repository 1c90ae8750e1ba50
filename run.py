#!/usr/bin/env python3
"""推荐材料邮件受理 — entry point. See README.md (`python run.py --help`)."""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())

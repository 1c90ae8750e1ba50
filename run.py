#!/usr/bin/env python3
"""推荐材料邮件受理 — entry point. See README.md (`python run.py --help`).

Only the standard library is imported until pipeline.environment has checked
that this Python has the project's packages: `python3 run.py status` outside
.venv gets Chinese instructions, not a ModuleNotFoundError.
"""

import sys

from pipeline.environment import check

if __name__ == "__main__":
    problem = check()
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(1)
    from pipeline.cli import main

    sys.exit(main())

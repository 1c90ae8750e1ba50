"""Is this Python the project's environment? Standard library only.

Staff often type `python3 run.py status` instead of `.venv/bin/python run.py
status`. The system Python may have PyYAML but not SQLAlchemy, so some
commands would work and others end in ModuleNotFoundError. run.py asks here
first, before importing anything else, and explains in Chinese how to run it.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_PYTHON = (3, 11)


def required_distributions() -> list[str]:
    """The `dependencies` names in pyproject.toml (the one list to keep up to date)."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        with pyproject.open("rb") as fh:
            requirements = tomllib.load(fh).get("project", {}).get("dependencies", [])
    else:  # installed without the source tree
        requirements = metadata.requires("nomination-intake") or []
        requirements = [r for r in requirements if "extra ==" not in r]
    return [m[0] for r in requirements if (m := re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", r))]


def missing_distributions() -> list[str]:
    missing = []
    for name in required_distributions():
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def how_to_run(argv: list[str], missing: list[str], root: Path = ROOT) -> str:
    """Chinese instructions: which Python to use, or how to create it."""
    script = sys.argv[0] or "run.py"
    command = " ".join([script, *argv]) if argv else f"{script} check-config"
    names = "、".join(missing[:3]) + (f" 等 {len(missing)} 个" if len(missing) > 3 else "")
    venv_python = root / ".venv" / "bin" / "python"
    lines = [f"现在使用的 Python（{sys.executable}）没有安装本程序需要的软件包（缺少 {names}）。"]
    if venv_python.exists():
        activate = _shown(root / ".venv" / "bin" / "activate")
        lines += [
            "请用项目环境中的 Python 运行：",
            f"  {_shown(venv_python)} {command}",
            f"或者先执行 source {activate}，再运行 python {command}",
        ]
    else:
        lines += [
            "还没有创建项目环境。在项目文件夹中运行：",
            f"  cd {root} && make demo",
            f"（创建 .venv、安装所需软件包，并运行一遍演示），之后用 .venv/bin/python {command} 运行。",
        ]
    return "\n".join(lines)


def check() -> str | None:
    """None when this Python can run the program, else what to tell the user."""
    if sys.version_info < MIN_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        return f"本程序需要 Python 3.11 或更高版本（现在是 {found}）：请用 .venv/bin/python run.py …，或运行 make demo 创建环境。"
    missing = missing_distributions()
    return how_to_run(sys.argv[1:], missing) if missing else None

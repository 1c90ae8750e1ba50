"""After `make demo`, the real configuration still runs (issue 20.1), as it was found:
`python run.py status` with the shipped inbox_rules.yaml exited 4 — "台账…是空的，但发件箱
…/outbox 中有 19 封已写出的邮件" — counting the demo's mail in outbox/demo/. The
ledger-loss guard looks only at what its own configuration wrote; demo and live
never touch each other. In a copy of the repository's layout, with the demo run
the way `make demo` runs it (the demo mailbox, the same commands)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from inprocess import run_main

ROOT = Path(__file__).resolve().parent.parent


def run_py(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`python run.py ARGS` in `cwd` (in this process: tests/inprocess.py)."""
    return run_main(list(args), cwd=cwd)


def demo_run(repo: Path) -> None:
    """What examples/run_demo.py does, in `repo` (make_demo.py builds the mailbox there)."""
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_demo.py"), str(repo / "examples" / "demo_mailbox")],
        check=True,
        capture_output=True,
        timeout=600,
    )
    demo = ("--config", "examples/demo_rules.yaml")
    for step in (
        ("once", "--quiet"),
        ("remind", "--days", "1", "--send", "--as-of", "2021-08-01 09:00"),
        ("digest", "--send"),
    ):
        proc = run_py(repo, *step, *demo)
        assert proc.returncode == 0, (step, proc.stdout, proc.stderr)


def test_the_live_configuration_runs_beside_the_demo(tmp_path):
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "inbox_rules.yaml", tmp_path / "inbox_rules.yaml")
    shutil.copy(ROOT / "examples" / "demo_rules.yaml", tmp_path / "examples" / "demo_rules.yaml")
    demo_run(tmp_path)
    written = list((tmp_path / "outbox" / "demo").glob("*/*.eml"))
    assert len(written) >= 10, written

    for command in (("status",), ("check",), ("export", "--format", "json")):
        proc = run_py(tmp_path, *command)  # ./inbox_rules.yaml, as staff run it
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
    assert (tmp_path / "data" / "ledger.sqlite3").exists()
    assert not (tmp_path / "data" / "journal" / "claims.jsonl").exists()

    # The demo is untouched and still runs; the live run wrote nothing into its folders.
    assert sorted((tmp_path / "outbox" / "demo").glob("*/*.eml")) == sorted(written)
    proc = run_py(tmp_path, "status", "--config", "examples/demo_rules.yaml")
    assert proc.returncode == 0, proc.stderr


def test_the_guard_still_sees_what_the_live_configuration_wrote(tmp_path):
    """Mail the live configuration wrote (outbox/<kind>/) beside an empty ledger still stops it."""
    shutil.copy(ROOT / "inbox_rules.yaml", tmp_path / "inbox_rules.yaml")
    receipt = tmp_path / "outbox" / "receipt" / "receipt_TJ-20210801-0001_0123456789.eml"
    receipt.parent.mkdir(parents=True)
    receipt.write_bytes(b"Subject: x\r\n\r\nx\r\n")
    proc = run_py(tmp_path, "status")
    assert proc.returncode == 4
    assert "发件箱" in proc.stderr and "1 封" in proc.stderr, proc.stderr

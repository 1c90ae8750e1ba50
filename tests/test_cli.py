"""`run.py` as staff run it: closed pipes, bad input, the wrong Python, demo vs live outputs.

The closed-pipe, output-order and wrong-Python tests run `run.py` as a real child process
with real pipes; the others run the same `main()` in this process (tests/inprocess.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from inprocess import run_main

ROOT = Path(__file__).resolve().parent.parent
RUN = str(ROOT / "run.py")
sys.path.insert(0, str(ROOT / "examples"))

from samples import Nomination, form_docx  # noqa: E402

CLOSED_PIPE_EXIT = 141  # 128 + SIGPIPE, what a shell reports for `cmd | head` under pipefail


def write_config(tmp: Path, *, units: int = 2, mailboxes: dict[str, str] | None = None) -> Path:
    """A folder-mailbox, dry-run installation in `tmp` (no servers needed)."""
    (tmp / "mail").mkdir(exist_ok=True)
    boxes = mailboxes or {"报送邮箱": "mail"}
    data = {
        "campaign": "测试活动",
        "this_level": {"name": "学会", "deadline": "2021-08-02 00:00", "staff": ["staff@example.org"]},
        "mailboxes": [{"name": name, "kind": "folder", "path": path} for name, path in boxes.items()],
        "smtp": {"dry_run": True, "from_addr": "intake@example.org"},
        "units": [{"name": f"第{i}单位", "addresses": [f"u{i}@example.org"]} for i in range(units)],
    }
    path = tmp / "inbox_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_py(
    *args: str, cwd: Path = ROOT, python: list[str] | None = None, env=None
) -> subprocess.CompletedProcess:
    """`python run.py ARGS` in `cwd`: in this process, unless another Python or environment is asked for."""
    if python is None and env is None:
        return run_main(list(args), cwd=cwd)
    return subprocess.run(
        [*(python or [sys.executable]), RUN, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def run_with_closed_stdout(*args: str, cwd: Path = ROOT) -> tuple[int, str]:
    """Run with stdout a pipe whose reader is already gone, as after `| head` has exited."""
    proc = subprocess.Popen(
        [sys.executable, RUN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd
    )
    proc.stdout.close()  # the only read end: every write by the child now fails with EPIPE
    err = proc.stderr.read().decode()
    return proc.wait(timeout=300), err


# ---------------------------------------------------------------- closed pipes


def test_status_into_head_exits_quietly(tmp_path):
    """`status | head -3` on a roster long enough that head leaves while status still writes."""
    config = write_config(tmp_path, units=3000)
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f'"{sys.executable}" "{RUN}" status --config "{config}" | head -3'],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.stdout.splitlines()[0] == "测试活动 — 学会"
    assert len(proc.stdout.splitlines()) == 3
    assert proc.stderr == ""
    assert proc.returncode == CLOSED_PIPE_EXIT


@pytest.mark.parametrize("command", [["status"], ["export", "--format", "json"]])
def test_ledger_commands_with_a_closed_pipe(tmp_path, command):
    config = write_config(tmp_path)
    assert run_py("once", "--config", str(config)).returncode == 0  # creates the ledger
    code, err = run_with_closed_stdout(*command, "--config", str(config))
    assert (code, err) == (CLOSED_PIPE_EXIT, "")
    # With a reader, the same command succeeds: the exit status above is the pipe's.
    assert run_py(*command, "--config", str(config)).returncode == 0


def test_extract_with_a_closed_pipe(tmp_path):
    form = tmp_path / "推荐表.docx"
    form.write_bytes(form_docx(Nomination.sample("北京针灸学会", "北京针灸")))
    code, err = run_with_closed_stdout("extract", str(form), "--config", str(tmp_path / "none.yaml"))
    assert (code, err) == (CLOSED_PIPE_EXIT, "")


def test_only_a_closed_stdout_counts_as_a_closed_pipe(tmp_path):
    """A BrokenPipeError from a socket (an SMTP server hanging up) must not pass for `| head`."""
    probe = (
        "import sys; from pipeline.cli.output import stdout_is_closed_pipe; "
        "sys.stdin.readline(); print(stdout_is_closed_pipe(), file=sys.stderr)"
    )

    def answer(close_reader: bool, stdout=subprocess.PIPE) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-c", probe],
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            text=True,
        )
        if close_reader:
            proc.stdout.close()
        proc.stdin.write("go\n")  # the child checks only after the reader is gone (or not)
        proc.stdin.close()
        err = proc.stderr.read().strip()
        proc.wait(timeout=60)
        if proc.stdout and not proc.stdout.closed:
            proc.stdout.close()
        return err

    assert answer(close_reader=True) == "True"
    assert answer(close_reader=False) == "False"
    with open(tmp_path / "out.txt", "w") as file:
        assert answer(close_reader=False, stdout=file) == "False"


def test_help_with_a_closed_pipe():
    assert run_with_closed_stdout("-h") == (0, "")
    assert run_with_closed_stdout("decide", "-h") == (0, "")


def test_once_with_a_closed_pipe_keeps_its_errors_and_exit_status(tmp_path):
    # A roster long enough that the status table overflows the output buffer.
    config = write_config(tmp_path, units=400, mailboxes={"报送邮箱": "mail", "备用邮箱": "missing"})
    code, err = run_with_closed_stdout("once", "--config", str(config))
    assert code == 2, err  # the run's error, not the pipe
    assert err.startswith("错误：邮箱 备用邮箱：找不到文件夹")
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err

    config = write_config(tmp_path, units=400)
    code, err = run_with_closed_stdout("once", "--config", str(config))
    assert (code, err) == (0, "")


def test_once_prints_errors_before_the_status_table(tmp_path):
    config = write_config(tmp_path, mailboxes={"报送邮箱": "mail", "备用邮箱": "missing"})
    merged = subprocess.run(
        [sys.executable, RUN, "once", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    assert merged.returncode == 2
    assert merged.stdout.index("错误：邮箱 备用邮箱") < merged.stdout.index("测试活动 — 学会")


# ---------------------------------------------------------------- bad input


def test_digest_with_a_slash_date_says_the_format(tmp_path):
    config = write_config(tmp_path)
    proc = run_py("digest", "--date", "2021/08/01", "--config", str(config))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "run.py digest：错误：参数 --date：日期格式应为 YYYY-MM-DD，例如 2021-08-01" in proc.stderr
    assert "用法：run.py digest" in proc.stderr


def test_digest_with_a_good_date(tmp_path):
    config = write_config(tmp_path)
    proc = run_py("digest", "--date", "2021-08-01", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "outbox" / "reports" / "每日汇总_2021-08-01.html").is_file()


def test_extract_a_missing_file_fails_and_still_reads_the_others(tmp_path):
    form = tmp_path / "推荐表.docx"
    form.write_bytes(form_docx(Nomination.sample("北京针灸学会", "北京针灸")))
    proc = run_py("extract", "nope.docx", str(form), str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "找不到文件：nope.docx",
        f"{tmp_path} 是文件夹，请给出其中的推荐表文件",
    ]
    (read,) = json.loads(proc.stdout)
    assert read["file"] == str(form) and read["fields"]["账号名称"] == "北京针灸"


def test_config_before_the_command_is_used(tmp_path):
    config = write_config(tmp_path)
    proc = run_py("--config", str(config), "check-config")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("配置正确：测试活动（学会）")


# ---------------------------------------------------------------- wrong Python


def python_with_only_yaml(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """This Python without its site-packages but with PyYAML: like a system python3
    where `check-config` used to work and `status` ended in ModuleNotFoundError."""
    import yaml as yaml_module

    site = tmp_path / "site"
    site.mkdir()
    package = Path(yaml_module.__file__).parent
    os.symlink(package, site / "yaml")
    for info in package.parent.glob("[Pp]y[Yy][Aa][Mm][Ll]-*.dist-info"):
        os.symlink(info, site / info.name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return [sys.executable, "-S"], {**env, "PYTHONPATH": str(site)}


@pytest.mark.parametrize("command", ["status", "check-config"])
def test_outside_the_venv_says_how_to_run_it(tmp_path, command):
    python, env = python_with_only_yaml(tmp_path)
    probe = subprocess.run(
        [*python, "-c", "import yaml, sqlalchemy"], env=env, capture_output=True, text=True
    )
    assert "No module named 'sqlalchemy'" in probe.stderr  # the environment reproduces the report
    config = write_config(tmp_path)
    proc = subprocess.run(  # `python3 run.py status` typed in the project folder
        [*python, "run.py", command, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "ModuleNotFoundError" not in proc.stderr
    assert "没有安装本程序需要的软件包（缺少 " in proc.stderr
    assert "SQLAlchemy" in proc.stderr and "PyYAML" not in proc.stderr
    assert f".venv/bin/python run.py {command} --config {config}" in proc.stderr
    assert "make demo" in proc.stderr or "source .venv/bin/activate" in proc.stderr


def test_how_to_run_names_the_project_python_when_it_exists(tmp_path, monkeypatch):
    from pipeline.environment import how_to_run

    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["run.py", "status"])
    text = how_to_run(["status"], ["SQLAlchemy"], root=tmp_path)
    assert "  .venv/bin/python run.py status" in text.splitlines()
    assert "或者先执行 source .venv/bin/activate，再运行 python run.py status" in text
    assert "make demo" not in text
    text = how_to_run(["status"], ["SQLAlchemy"], root=tmp_path / "elsewhere")
    assert f"cd {tmp_path / 'elsewhere'} && make demo" in text


# ---------------------------------------------------------------- demo vs live


def test_demo_and_live_exports_do_not_overwrite_each_other(tmp_path):
    """The shipped configs in a copy of the repository's layout: export xlsx with each."""
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "inbox_rules.yaml", tmp_path / "inbox_rules.yaml")
    shutil.copy(ROOT / "examples" / "demo_rules.yaml", tmp_path / "examples" / "demo_rules.yaml")
    demo = run_py("export", "--format", "xlsx", "--config", "examples/demo_rules.yaml", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    demo_file = Path(demo.stdout.removeprefix("已导出：").strip())
    before = hashlib.sha256(demo_file.read_bytes()).hexdigest()

    live = run_py("export", "--format", "xlsx", cwd=tmp_path)  # ./inbox_rules.yaml, as staff run it
    assert live.returncode == 0, live.stderr
    live_file = Path(live.stdout.removeprefix("已导出：").strip())
    assert live_file != demo_file
    assert hashlib.sha256(demo_file.read_bytes()).hexdigest() == before
    assert demo_file.is_relative_to(tmp_path / "outbox" / "demo")
    assert live_file == tmp_path / "outbox" / "reports" / "台账.xlsx"


def test_the_shipped_demo_config_writes_only_under_its_own_folders():
    from pipeline.config import load_config

    demo = load_config(ROOT / "examples" / "demo_rules.yaml")
    live = load_config(ROOT / "inbox_rules.yaml")
    for attr in ("outbox_dir", "reports_dir"):
        assert demo.path(getattr(demo.storage, attr)).is_relative_to(ROOT / "outbox" / "demo")
        assert not live.path(getattr(live.storage, attr)).is_relative_to(ROOT / "outbox" / "demo")
    for attr in ("raw_dir", "files_dir"):
        assert demo.path(getattr(demo.storage, attr)).is_relative_to(ROOT / "data" / "demo")
        assert not live.path(getattr(live.storage, attr)).is_relative_to(ROOT / "data" / "demo")
    assert demo.database_url != live.database_url


# ---------------------------------------------------------------- decide aliases


def test_decide_in_chinese_and_in_english_reach_the_same_action(tmp_path):
    from intake_env import submission

    config = write_config(tmp_path)
    for i, unit in enumerate(("第0单位", "第1单位")):
        nomination = Nomination.sample(unit, f"账号{i}", 手机="123")  # a bad phone: needs a fix
        eml = submission(
            f"u{i}@example.org",
            "推荐材料",
            f"m{i}@example.org",
            nomination=nomination,
            headers={"X-Demo-Arrival": "2021-07-20T09:00:00+08:00"},  # before the deadline
        )
        (tmp_path / "mail" / f"{i}.eml").write_bytes(eml)
    assert run_py("once", "--quiet", "--config", str(config)).returncode == 0
    with sqlite3.connect(tmp_path / "data" / "ledger.sqlite3") as db:
        cases = [
            c
            for (c,) in db.execute("SELECT case_no FROM messages WHERE status = 'needs_fix' ORDER BY case_no")
        ]
    assert len(cases) == 2
    chinese = run_py("decide", "受理", cases[0], "--by", "刘晶晶", "--config", str(config))
    english = run_py("decide", "accept", cases[1], "--by", "刘晶晶", "--config", str(config))
    assert chinese.returncode == english.returncode == 0, chinese.stderr + english.stderr
    for case, proc in ((cases[0], chinese), (cases[1], english)):
        first = proc.stdout.splitlines()[0]
        assert first.startswith(f"{case}：受理（豁免：「手机」应为11位手机号码") and first.endswith(
            "当前状态：已受理"
        )
    with sqlite3.connect(tmp_path / "data" / "ledger.sqlite3") as db:
        actions = db.execute("SELECT case_no, action FROM decisions ORDER BY case_no").fetchall()
    assert actions == [(cases[0], "accept"), (cases[1], "accept")]

"""inbox_rules.yaml: the shipped files load; mistakes are named in Chinese."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from inprocess import run_main

from pipeline.config import ConfigError, load_config, resolve_secrets

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def minimal() -> dict:
    return {
        "campaign": "测试活动",
        "this_level": {"name": "学会", "deadline": "2021-08-02 00:00"},
        "mailboxes": [{"name": "m", "kind": "folder", "path": "mail"}],
        "smtp": {"dry_run": True, "from_addr": "a@example.org"},
        "units": [{"name": "单位一", "addresses": ["A@Example.org"]}],
    }


@pytest.mark.parametrize("name", ["inbox_rules.yaml", "examples/demo_rules.yaml"])
def test_shipped_configs_load(name):
    config = load_config(ROOT / name)
    assert config.this_level.deadline.utcoffset().total_seconds() == 8 * 3600
    assert config.this_level.quota_per_unit == 1


def test_deadline_is_beijing_time_and_times_parse(tmp_path):
    data = minimal()
    data["this_level"]["digest_time"] = "07:30"
    config = load_config(write(tmp_path, data))
    assert config.this_level.deadline.isoformat() == "2021-08-02T00:00:00+08:00"
    assert config.this_level.digest_time.hour == 7 and config.this_level.digest_time.minute == 30


def test_unknown_key_is_named(tmp_path):
    data = minimal()
    data["this_level"]["quota"] = 2
    with pytest.raises(ConfigError, match=r"this_level\.quota: 未知的配置项"):
        load_config(write(tmp_path, data))


def test_wrong_type_is_named(tmp_path):
    data = minimal()
    data["this_level"]["grace_minutes"] = "十分钟"
    with pytest.raises(ConfigError, match=r"this_level\.grace_minutes: 应是整数"):
        load_config(write(tmp_path, data))


def test_password_in_yaml_is_refused(tmp_path):
    data = minimal()
    data["mailboxes"] = [{"name": "m", "host": "imap.qq.com", "user": "u@qq.com", "password": "secret"}]
    with pytest.raises(ConfigError, match=r"mailboxes\[0\]\.password"):
        load_config(write(tmp_path, data))


def test_missing_password_env_says_which(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_PW", raising=False)
    data = minimal()
    data["mailboxes"] = [
        {"name": "m", "host": "imap.qq.com", "user": "u@qq.com", "password": {"env": "NO_SUCH_PW"}}
    ]
    config = load_config(write(tmp_path, data))
    with pytest.raises(ConfigError, match="NO_SUCH_PW"):
        resolve_secrets(config)
    monkeypatch.setenv("NO_SUCH_PW", "abc")
    resolve_secrets(config)


def test_same_address_in_two_units_is_an_error(tmp_path):
    data = minimal()
    data["units"].append({"name": "单位二", "addresses": ["a@example.org"]})
    with pytest.raises(ConfigError, match="同时属于"):
        load_config(write(tmp_path, data))


def test_missing_required_key(tmp_path):
    data = minimal()
    del data["campaign"]
    with pytest.raises(ConfigError, match="campaign: 缺少必填项"):
        load_config(write(tmp_path, data))


def test_check_config_command(tmp_path):
    from pipeline.cli import main

    path = write(tmp_path, minimal())
    assert main(["check-config", "--config", str(path)]) == 0
    data = minimal()
    data["bogus"] = 1
    assert main(["check-config", "--config", str(write(tmp_path, data))]) == 3


def test_from_address_must_be_the_login(tmp_path):
    data = minimal()
    data["smtp"] = {
        "host": "smtp.qq.com",
        "user": "a@qq.com",
        "password": {"env": "X"},
        "from_addr": "office@society.example.cn",
    }
    with pytest.raises(ConfigError, match="smtp.from_addr: .*必须与登录账号"):
        load_config(write(tmp_path, data))


# ------------------------------------------- check-config as staff meet it


def check_config(path: Path, **env: str) -> subprocess.CompletedProcess:
    """`python run.py check-config` (in this process: tests/inprocess.py), with no
    password variables set unless given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    return run_main(["check-config", "--config", str(path)], cwd=path.parent, env={**clean, **env})


def edited_rules(tmp_path: Path, *edits: tuple[str, str]) -> tuple[Path, str]:
    """The shipped inbox_rules.yaml with `old → new` text edits, as a staff member makes them."""
    text = (ROOT / "inbox_rules.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "inbox_rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def line_of(text: str, needle: str) -> int:
    return next(no for no, line in enumerate(text.splitlines(), 1) if needle in line)


def test_check_config_reports_every_mistake_with_its_line_and_fix(tmp_path):
    path, text = edited_rules(
        tmp_path,
        (
            "staff: [staff@society.example.cn]",
            "staff: [刘晶晶, liu@society.example.cn，yi@society.example.cn]",
        ),
        ("addresses: [bjzj@bjzj.example.cn]", "addresses: [bjzj@bjzj.example.cn，bj2@bjzj.example.cn]"),
        ("deadline: 2021-08-10 00:00", "deadline: 2021-07-30 00:00"),
    )
    proc = check_config(path)
    assert proc.returncode == 3, proc.stderr
    err = proc.stderr
    assert "Traceback" not in err
    expected = [
        (line_of(text, "staff: [刘晶晶"), "this_level.staff[0]: “刘晶晶”不是邮箱地址"),
        (
            line_of(text, "staff: [刘晶晶"),
            "this_level.staff[1]: “liu@society.example.cn，yi@society.example.cn”是几个地址连在了一起（中间是全角“，”）",
        ),
        (
            line_of(text, "bj2@bjzj.example.cn"),
            "units[0].addresses[0]: “bjzj@bjzj.example.cn，bj2@bjzj.example.cn”是几个地址连在了一起",
        ),
        (
            line_of(text, "deadline: 2021-07-30"),
            "upstream.deadline: 上报上级的截止时间 2021-07-30 00:00 不晚于本级报送截止 2021-08-02 00:00",
        ),
        (
            line_of(text, "INTAKE_IMAP_PASSWORD"),
            "mailboxes[0].password: 环境变量 INTAKE_IMAP_PASSWORD 未设置",
        ),
        (line_of(text, "INTAKE_SMTP_PASSWORD"), "smtp.password: 环境变量 INTAKE_SMTP_PASSWORD 未设置"),
    ]
    for line, message in expected:
        assert f"第 {line} 行  {message}" in err, (message, err)
    assert "有 6 处需要修改" in err
    assert err.count("改法：") == 6
    assert "[bjzj@bjzj.example.cn, bj2@bjzj.example.cn]" in err  # the fix shows the corrected list


def test_check_config_accepts_the_shipped_file_once_passwords_are_set(tmp_path):
    path, _ = edited_rules(tmp_path)
    proc = check_config(path, INTAKE_IMAP_PASSWORD="x", INTAKE_SMTP_PASSWORD="y")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("配置正确：走好网上群众路线“百佳账号”推选（中国针灸学会信息与会员部）")
    assert "上报：中国科协调研宣传部，截止 2021-08-10 00:00" in proc.stdout


def test_a_pasted_password_is_explained_and_never_echoed(tmp_path):
    path, text = edited_rules(
        tmp_path, ("password: {env: INTAKE_SMTP_PASSWORD}", "password: Xq7pasted9Secret")
    )
    proc = check_config(path, INTAKE_IMAP_PASSWORD="x")
    assert proc.returncode == 3
    line = line_of(text, "Xq7pasted9Secret")
    assert f"第 {line} 行  smtp.password: 密码不能直接写在配置文件里" in proc.stderr
    assert "password: {env: INTAKE_SMTP_PASSWORD}" in proc.stderr
    assert "export INTAKE_SMTP_PASSWORD=" in proc.stderr
    assert "Xq7pasted9Secret" not in proc.stderr + proc.stdout
    assert "应是键值对" not in proc.stderr and "str" not in proc.stderr
    assert proc.stderr.count("smtp.password") == 1  # not also "缺少密码的来源"


def test_a_tab_is_explained_in_chinese_with_line_and_column(tmp_path):
    path, text = edited_rules(tmp_path, ("  grace_minutes: 0", "\tgrace_minutes: 0"))
    proc = check_config(path)
    assert proc.returncode == 3
    line = line_of(text, "\tgrace_minutes")
    assert f"第 {line} 行第 1 列  这一行有制表符（Tab）" in proc.stderr
    assert "把 Tab 换成空格" in proc.stderr
    for english in ("found character", "while scanning", "cannot start any token", "line "):
        assert english not in proc.stderr


def test_a_full_width_colon_is_explained_at_its_own_line(tmp_path):
    path, text = edited_rules(tmp_path, ("  quota_per_unit: 1", "  quota_per_unit： 1"))
    proc = check_config(path)
    assert proc.returncode == 3
    line = line_of(text, "quota_per_unit：")
    assert f"第 {line} 行第 17 列  用了全角冒号“：”" in proc.stderr
    assert "改成半角冒号“:”" in proc.stderr
    assert "mapping values" not in proc.stderr and "could not find" not in proc.stderr


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("campaign: 活动\nthis_level:\n  name:学会\n  deadline: 2021-08-02 00:00\n", 3, "冒号后面缺少空格"),
        ("campaign: 活动\nthis_level:\n  name: 学会\n deadline: 2021-08-02 00:00\n", 4, "缩进不一致"),
        ("campaign: '活动\nthis_level:\n  name: 学会\n", 1, "引号没有配对"),
        ("campaign: 活动\nunits: [a@x.cn\nmailboxes: []\n", 3, "方括号里的列表格式不对"),
        ("campaign: 活动: 第二期\n", 1, "这里不能出现冒号"),
    ],
)
def test_other_yaml_mistakes_are_explained(tmp_path, text, line, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    (problem,) = err.value.problems
    assert (problem.line, problem.message.split("（")[0]) == (line, message)
    assert problem.fix


def test_load_config_lists_all_errors_and_their_lines(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "campaign: 测试活动\n"
        "this_level:\n"
        "  name: 学会\n"
        "  deadline: 2021-08-02 00:00\n"
        "  quota: 2\n"  # line 5: unknown
        "  grace_minutes: 十分钟\n"  # line 6: not an integer
        "mailboxes:\n"
        "  - {name: m, kind: folder, path: mail}\n"
        "smtp: {dry_run: true, from_addr: a@example.org}\n"
        "units:\n"
        "  - {name: 单位一, domains: ['@example.org']}\n"  # line 11: not a domain
        "smtp: {dry_run: true}\n",  # line 12: duplicate key
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    found = [(p.line, p.key, p.message) for p in err.value.problems]
    assert found == [
        (5, "this_level.quota", "未知的配置项"),
        (6, "this_level.grace_minutes", "应是整数"),
        (11, "units[0].domains[0]", "“@example.org”不是域名"),
        (12, "smtp", "与第 9 行重复（后写的会覆盖前面的）"),
    ]
    assert "是不是 quota_per_unit？" in str(err.value)


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("liu@society.example.cn", None),
        ("1187093@qq.com", None),
        ("刘晶晶", "不是邮箱地址"),
        ("a@x.cn，b@y.cn", "是几个地址连在了一起"),
        ("a@x.cn；b@y.cn", "是几个地址连在了一起"),
        ("a@x.cn b@y.cn", "是几个地址连在了一起"),
        ("刘晶晶 <liu@x.cn>", "不是有效的邮箱地址"),
        ("liu@localhost", "不是有效的邮箱地址"),
        ("liu@", "不是有效的邮箱地址"),
    ],
)
def test_address_check(address, problem):
    from pipeline.config.checks import address_problem

    found = address_problem(address, "写邮箱地址")
    if problem is None:
        assert found is None
    else:
        message, fix = found
        assert message.startswith(f"“{address}”{problem}") and fix


def test_both_missing_password_variables_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_PW", raising=False)
    monkeypatch.delenv("NO_SUCH_SMTP_PW", raising=False)
    data = minimal()
    data["mailboxes"] = [
        {"name": "m", "host": "imap.qq.com", "user": "u@qq.com", "password": {"env": "NO_SUCH_PW"}}
    ]
    data["smtp"] = {
        "host": "smtp.qq.com",
        "user": "u@qq.com",
        "from_addr": "u@qq.com",
        "password": {"env": "NO_SUCH_SMTP_PW"},
    }
    config = load_config(write(tmp_path, data))
    with pytest.raises(ConfigError) as err:
        resolve_secrets(config)
    assert [p.key for p in err.value.problems] == ["mailboxes[0].password", "smtp.password"]
    assert "NO_SUCH_PW" in str(err.value) and "NO_SUCH_SMTP_PW" in str(err.value)


def test_every_mailbox_kind_is_known_to_the_config_check():
    """A new mailbox kind is a module in pipeline/mailbox/, one entry in sources.KINDS and its name here."""
    from pipeline.config.checks import MAILBOX_KINDS
    from pipeline.mailbox.sources import KINDS

    assert tuple(KINDS) == MAILBOX_KINDS

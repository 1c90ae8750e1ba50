"""inbox_rules.yaml: the shipped files load; mistakes are named in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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

"""`run.py user …`: console accounts from the terminal (the administrator's first account,
scripts); the same functions as the console's accounts page (pipeline/accounts/)."""

from __future__ import annotations

import getpass
import sys

from ..accounts import AccountError, add_user, list_users, remove_user, reset_password
from ..config import Config
from ..ledger import Ledger


def _password(args) -> str:
    """From standard input (--password-stdin, for scripts) or asked twice at the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AccountError("没有终端可以输入密码：请加 --password-stdin 并从标准输入提供密码。")
    first = getpass.getpass("密码（至少 8 个字符，输入时不显示）：")
    if getpass.getpass("再输入一次：") != first:
        raise AccountError("两次输入的密码不一致。")
    return first


def user_command(config: Config, args, out=None) -> int:
    out = out or sys.stdout
    ledger = Ledger(config.database_url)
    if args.user_action == "add":
        user = add_user(ledger, args.name, args.role, _password(args), config)
        print(f"已添加账号：{user.name}（{user.role_zh}）", file=out)
    elif args.user_action == "reset":
        reset_password(ledger, args.name, _password(args), config)
        print(f"已重设 {args.name} 的密码；该账号已在所有浏览器中退出登录。", file=out)
    elif args.user_action == "remove":
        remove_user(ledger, args.name, config)
        print(f"已停用账号：{args.name}（处理记录中的姓名保留）。", file=out)
    else:
        rows = list_users(ledger)
        if not rows:
            print("还没有账号：python run.py user add 姓名 --role admin", file=out)
        for account in rows:
            print(f"{account.name}\t{account.role_zh}\t{'正常' if account.active else '已停用'}", file=out)
    return 0

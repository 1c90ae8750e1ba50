"""`run.py web` and `run.py user …`: serve the console, manage its accounts."""

from __future__ import annotations

import getpass
import sys
import threading

from ..config import Config
from ..ledger import Ledger
from . import auth


def _password(args) -> str:
    """From standard input (--password-stdin, for scripts) or asked twice at the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise auth.AccountError("没有终端可以输入密码：请加 --password-stdin 并从标准输入提供密码。")
    first = getpass.getpass("密码（至少 8 个字符，输入时不显示）：")
    if getpass.getpass("再输入一次：") != first:
        raise auth.AccountError("两次输入的密码不一致。")
    return first


def user_command(config: Config, args, out=None) -> int:
    out = out or sys.stdout
    ledger = Ledger(config.database_url)
    if args.user_action == "add":
        user = auth.add_user(ledger, args.name, args.role, _password(args), config)
        print(f"已添加账号：{user.name}（{user.role_zh}）", file=out)
    elif args.user_action == "reset":
        auth.reset_password(ledger, args.name, _password(args), config)
        print(f"已重设 {args.name} 的密码；该账号已在所有浏览器中退出登录。", file=out)
    elif args.user_action == "remove":
        auth.remove_user(ledger, args.name, config)
        print(f"已停用账号：{args.name}（处理记录中的姓名保留）。", file=out)
    else:
        rows = auth.list_users(ledger)
        if not rows:
            print("还没有账号：python run.py user add 姓名 --role staff", file=out)
        for name, role, active in rows:
            print(f"{name}\t{auth.ROLES.get(role, role)}\t{'正常' if active else '已停用'}", file=out)
    return 0


def make_server(config: Config, host: str | None = None, port: int | None = None):
    import uvicorn

    from ..documents import scratch
    from .app import create_app

    scratch.configure(config.path(config.storage.tmp_dir))  # previews convert under data/tmp

    settings = uvicorn.Config(
        create_app(config),
        host=host or config.web.host,
        port=port or config.web.port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
    )
    return uvicorn.Server(settings)


def console_address(config: Config, host: str | None = None, port: int | None = None) -> str:
    return config.web.base_url or f"http://{host or config.web.host}:{port or config.web.port}/"


def serve_web(config: Config, host: str | None = None, port: int | None = None) -> int:
    server = make_server(config, host, port)
    print(f"控制台已启动：{console_address(config, host, port)}（按 Ctrl-C 停止）", flush=True)
    server.run()
    return 0


def start_in_thread(config: Config) -> tuple[object, threading.Thread]:
    """For `serve` with web.enabled: the console in a thread beside the worker."""
    server = make_server(config)
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    return server, thread

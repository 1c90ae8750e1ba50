"""Command line: `python run.py <command>`. Names and outputs are a contract."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path

from . import logsetup
from .cli_ledger import add_ledger_commands
from .config import Config, ConfigError, load_config, resolve_secrets
from .errors import UserFacingError

DEFAULT_CONFIG = "inbox_rules.yaml"
# Commands that read or write the ledger: it is checked before they start (status: in full).
LEDGER_COMMANDS = {"once", "serve", "status", "export", "digest", "packet", "remind", "scoring", "decide"}


def _config(args) -> Config:
    config = load_config(args.config)
    if getattr(args, "command", None) in LEDGER_COMMANDS:
        from .ledger.open import open_ledger

        open_ledger(config, full_check=args.command == "status")
    return config


def cmd_check_config(args) -> int:
    config = _config(args)
    resolve_secrets(config)
    print(f"配置正确：{config.campaign}（{config.this_level.name}）")
    print(f"  邮箱 {len(config.mailboxes)} 个，推荐单位 {len(config.units)} 个")
    print(
        f"  报送截止：{config.this_level.deadline:%Y-%m-%d %H:%M}（宽限 {config.this_level.grace_minutes} 分钟）"
    )
    if config.upstream:
        print(f"  上报：{config.upstream.name}，截止 {config.upstream.deadline:%Y-%m-%d %H:%M}")
    return 0


def cmd_test_connection(args) -> int:
    from .mailbox.connection_test import test_connection

    config = _config(args)
    resolve_secrets(config)
    ok_all = True
    for name, ok, detail in test_connection(config):
        print(f"{'✔' if ok else '✘'} {name}：{detail}")
        ok_all &= ok
    return 0 if ok_all else 1


def cmd_once(args) -> int:
    from .worker import Worker

    config = _config(args)
    resolve_secrets(config)
    worker = Worker(config)
    try:
        report = worker.run_cycle(progress=_progress_bar(args))
    finally:
        worker.close()
    for name, n in report.processed.items():
        others = report.others.get(name, 0)
        print(
            f"邮箱 {name}：本进程处理新邮件 {n} 封"
            + (f"（另有 {others} 封由其他进程处理）" if others else "")
        )
    if report.resumed:
        print(f"继续处理上次中断的邮件 {report.resumed} 封")
    for name in report.skipped:
        print(f"邮箱 {name}：另一个进程正在读取，本次跳过")
    if config.smtp.dry_run:
        print(f"演示/试运行模式：外发邮件只写入 {config.path(config.storage.outbox_dir).resolve()}，未发送")
    elif report.sent:
        print(
            f"发送邮件 {report.sent.get('sent', 0)} 封，失败 {report.sent.get('failed', 0)} 封，"
            f"稍后重试 {report.sent.get('deferred', 0)} 封"
            + (
                f"，结果不确定 {report.sent['unknown']} 封（下次运行核实，不在本次重发）"
                if report.sent.get("unknown")
                else ""
            )
        )
    if not args.quiet:
        from .staff.status import print_status

        print_status(config, worker.ledger)
    for err in report.errors.values():
        print(f"错误：{err}", file=sys.stderr)
    return 2 if report.errors else 0


def _progress_bar(args):
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(unit="封", desc="处理邮件", leave=False)
    return bar.update


def cmd_serve(args) -> int:
    from .scheduler import serve

    config = _config(args)
    resolve_secrets(config)
    return serve(config)


def cmd_extract(args) -> int:
    from .extract import extract_files

    config = load_config(args.config) if Path(args.config).is_file() else None
    results = extract_files([Path(f) for f in args.files], config)
    json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_export(args) -> int:
    from .staff.status import export

    config = _config(args)
    out = export(config, args.format, Path(args.output) if args.output else None)
    if out is not None:
        print(f"已导出：{out}")
    return 0


def cmd_status(args) -> int:
    from .ledger import Ledger
    from .staff.status import print_status

    config = _config(args)
    print_status(config, Ledger(config.database_url))
    return 0


def cmd_digest(args) -> int:
    from .staff.digest import run_digest

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    day = date.fromisoformat(args.date) if args.date else None
    result = run_digest(config, day=day, send=args.send, force=True)
    print(result)
    return 0


def cmd_packet(args) -> int:
    from .staff.packet import run_packet

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    print(run_packet(config, send=args.send))
    return 0


def cmd_remind(args) -> int:
    from .staff.reminders import run_reminders

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    print(run_reminders(config, send=args.send, force_days=args.days))
    return 0


def cmd_scoring(args) -> int:
    from .staff.scoring import run_scoring

    print(run_scoring(_config(args)))
    return 0


def cmd_decide(args) -> int:
    from .staff.decisions import apply_decision

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    print(apply_decision(config, args))
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=DEFAULT_CONFIG, help="配置文件（默认 ./inbox_rules.yaml）")
    common.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    p = argparse.ArgumentParser(prog="run.py", description="推荐材料邮件受理", parents=[common])
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("check-config", parents=[common], help="检查配置文件").set_defaults(func=cmd_check_config)
    sub.add_parser("test-connection", parents=[common], help="测试 IMAP/SMTP 连接").set_defaults(
        func=cmd_test_connection
    )
    once = sub.add_parser("once", parents=[common], help="读取所有邮箱一次并处理（供 cron 使用）")
    once.add_argument("--quiet", action="store_true", help="不打印汇总表")
    once.set_defaults(func=cmd_once)
    sub.add_parser("serve", parents=[common], help="常驻运行：定时收信、汇总、催报").set_defaults(
        func=cmd_serve
    )
    ex = sub.add_parser("extract", parents=[common], help="直接读取推荐表文件，输出 JSON")
    ex.add_argument("files", nargs="+")
    ex.set_defaults(func=cmd_extract)
    exp = sub.add_parser("export", parents=[common], help="导出台账全部记录")
    exp.add_argument("--format", choices=["json", "xlsx"], default="json")
    exp.add_argument("--output", help="输出文件（xlsx 默认 outbox/reports/台账.xlsx）")
    exp.set_defaults(func=cmd_export)
    dg = sub.add_parser("digest", parents=[common], help="生成每日汇总（HTML + 汇总表.xlsx）")
    dg.add_argument("--date", help="汇总日期 YYYY-MM-DD（默认今天）")
    dg.add_argument("--send", action="store_true", help="发送给工作人员")
    dg.set_defaults(func=cmd_digest)
    pk = sub.add_parser("packet", parents=[common], help="生成上报材料包")
    pk.add_argument("--send", action="store_true", help="发送给上级")
    pk.set_defaults(func=cmd_packet)
    rm = sub.add_parser("remind", parents=[common], help="向未报送单位发送催报邮件")
    rm.add_argument("--send", action="store_true", help="立即发送（否则只写入 outbox）")
    rm.add_argument("--days", type=int, help="按“截止前 N 天”这一档发送（默认按今天对应的档）")
    rm.set_defaults(func=cmd_remind)
    sub.add_parser("scoring", parents=[common], help="生成评分表.xlsx").set_defaults(func=cmd_scoring)
    sub.add_parser("status", parents=[common], help="按单位显示报送情况").set_defaults(func=cmd_status)

    dec = sub.add_parser("decide", parents=[common], help="工作人员决定（记入审计日志）")
    dec.add_argument(
        "action",
        choices=["assign", "accept", "reject", "withdraw", "allow-late", "select", "unselect", "answered"],
        help="assign 指定单位 | accept 受理 | reject 不予受理 | withdraw 撤回 | allow-late 允许逾期 | "
        "select 选送上级 | unselect 取消选送 | answered 来信已回复",
    )
    dec.add_argument("case", help="受理编号，如 TJ-20210801-0007")
    dec.add_argument("--unit", help="assign 时指定的单位名称")
    dec.add_argument("--reason", default="", help="原因（写入审计日志，并告知单位）")
    dec.add_argument("--by", default="工作人员", help="决定人姓名")
    dec.add_argument("--send", action="store_true", help="立即发送通知邮件")
    dec.set_defaults(func=cmd_decide)
    add_ledger_commands(sub, common)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Everything we write (raw mail, attachments, ledger, outbox, reports) holds
    # personal data: owner-only unless an operator loosens it on purpose.
    os.umask(0o077)
    logsetup.setup(args.verbose, args.config)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 3
    except UserFacingError as exc:
        logging.getLogger(__name__).warning("%s", exc, exc_info=True)
        print(exc, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已停止。", file=sys.stderr)
        return 130
    except Exception as exc:  # tracebacks go to the log file; the terminal gets one line
        return logsetup.report_unexpected(exc)

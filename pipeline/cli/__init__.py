"""Command line: `python run.py <command>`. Names and outputs are a contract.

The grammar and help text are in parser.py; this module is what each
command does, and main(): closed pipes, configuration and other user-facing
errors end in one Chinese line and an exit status, not a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from .. import logsetup
from ..config import Config, ConfigError, load_config, resolve_secrets
from ..errors import UserFacingError
from . import ledger_commands, output
from .parser import build_parser

# Commands that read or write the ledger: it is checked before they start (status: in full).
LEDGER_COMMANDS = {
    "once", "serve", "status", "export", "digest", "packet", "remind", "scoring", "decide", "show", "reply",
    "reply-fix",
    "web", "user",
}  # fmt: skip


def _config(args) -> Config:
    config = load_config(args.config)
    if getattr(args, "command", None) in LEDGER_COMMANDS:
        from ..ledger.open import open_ledger

        open_ledger(config, full_check=args.command == "status")
    return config


def cmd_check_config(args) -> int:
    config = load_config(args.config, check_secrets=True)
    print(f"配置正确：{config.campaign}（{config.this_level.name}）")
    print(f"  邮箱 {len(config.mailboxes)} 个，推荐单位 {len(config.units)} 个")
    print(
        f"  报送截止：{config.this_level.deadline:%Y-%m-%d %H:%M}（宽限 {config.this_level.grace_minutes} 分钟）"
    )
    if config.upstream:
        print(f"  上报：{config.upstream.name}，截止 {config.upstream.deadline:%Y-%m-%d %H:%M}")
    _describe_form(config)
    return 0


def _describe_form(config) -> None:
    """The campaign's form as check-config reports it, and where its blank form cannot be filled."""
    from ..reports.form_docx import template_problems

    form = config.form
    print(
        f"  {form.title}：{len(form.labels)} 个栏目（必填 {len(form.required)} 个），"
        f"以“{form.identity_label}”区分每个推荐"
    )
    if form.template is None:
        print(f"  上报材料包中的{form.title}：按各栏目生成表格")
        return
    print(f"  上报材料包中的{form.title}：填写空白表格 {form.template}")
    for label in template_problems(form):
        print(
            f"  注意：空白表格中找不到“{label}”的填写位置（该栏目右侧或下方的空白格），"
            f"上报材料包的{form.title}中这一栏将空着，内容只在汇总表中。"
        )


def cmd_test_connection(args) -> int:
    from .connection_test import test_connection

    config = _config(args)
    resolve_secrets(config)
    ok_all = True
    for name, ok, detail in test_connection(config):
        print(f"{'✔' if ok else '✘'} {name}：{detail}")
        ok_all &= ok
    return 0 if ok_all else 1


def cmd_once(args) -> int:
    from ..worker import Worker

    config = _config(args)
    resolve_secrets(config)
    worker = Worker(config)
    try:
        report = worker.run_cycle(progress=_progress_bar(args))
    finally:
        worker.close()
    # Errors first, on stderr: a reader that stops early (`once | head`) must not cost them.
    for err in report.errors.values():
        print(f"错误：{err}", file=sys.stderr)
    with output.tolerate_closed_stdout():
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
            print(
                f"演示/试运行模式：外发邮件只写入 {config.path(config.storage.outbox_dir).resolve()}，未发送"
            )
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
            from ..staff.status import print_status

            print_status(config, worker.ledger)
    return 2 if report.errors else 0


def _progress_bar(args):
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(unit="封", desc="处理邮件", leave=False)
    return bar.update


def cmd_serve(args) -> int:
    from ..scheduler import serve

    config = _config(args)
    resolve_secrets(config)
    return serve(config)


def cmd_extract(args) -> int:
    from ..extract import extract_files

    config = load_config(args.config) if Path(args.config).is_file() else None
    if config is not None:  # LibreOffice and OCR scratch under the installation's data/tmp
        from ..documents import scratch

        scratch.configure(config.path(config.storage.tmp_dir))
    results, failures = extract_files([Path(f) for f in args.files], config)
    for message in failures:
        print(message, file=sys.stderr)
    json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 1 if failures else 0


def cmd_form(args) -> int:
    from ..documents.convert import Converter
    from ..form.init import form_init

    if Path(args.config).is_file():  # LibreOffice scratch under the installation's data/tmp
        from ..documents import scratch

        try:
            config = load_config(args.config)
        except ConfigError:
            pass  # a configuration being written: the form section is what is missing
        else:
            scratch.configure(config.path(config.storage.tmp_dir))
    with Converter() as converter:
        text = form_init(Path(args.blank), Path(args.scoring) if args.scoring else None, converter)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"已写入：{args.output}（核对后粘贴到 inbox_rules.yaml）")
    else:
        sys.stdout.write(text)
    return 0


def cmd_export(args) -> int:
    from ..staff.status import export

    config = _config(args)
    out = export(config, args.format, Path(args.output) if args.output else None)
    if out is not None:
        print(f"已导出：{out}")
    return 0


def cmd_status(args) -> int:
    from ..ledger import Ledger
    from ..staff.status import print_status

    config = _config(args)
    print_status(config, Ledger(config.database_url))
    return 0


def cmd_digest(args) -> int:
    from ..staff.digest import run_digest

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    result = run_digest(config, day=args.date, send=args.send, force=True)
    print(result)
    return 0


def cmd_packet(args) -> int:
    from ..staff.packet import run_packet

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    print(run_packet(config, send=args.send, replace=args.replace))
    return 0


def cmd_remind(args) -> int:
    from ..staff.reminders import run_reminders

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    now = None
    if args.as_of:
        from datetime import datetime

        try:
            now = datetime.fromisoformat(args.as_of.replace(" ", "T"))
        except ValueError as exc:
            raise ConfigError(
                f"--as-of 的格式应为 YYYY-MM-DD HH:MM，例如 2021-08-01 09:00（收到：{args.as_of}）"
            ) from exc
        now = now if now.tzinfo else now.replace(tzinfo=config.tz)
    print(run_reminders(config, send=args.send, force_days=args.days, now=now))
    return 0


def cmd_scoring(args) -> int:
    from ..staff.scoring import run_scoring

    print(run_scoring(_config(args)))
    return 0


def cmd_decide(args) -> int:
    from ..staff.commands import decide

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    return decide(config, args)


def cmd_show(args) -> int:
    from ..staff.commands import show

    return show(_config(args), args)


def cmd_reply(args) -> int:
    from ..staff.commands import reply

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    return reply(config, args)


def cmd_reply_fix(args) -> int:
    from ..staff.commands import reply_fix

    config = _config(args)
    if args.send:
        resolve_secrets(config)
    return reply_fix(config, args)


def cmd_web(args) -> int:
    from ..web.server import serve_web

    return serve_web(_config(args), args.host, args.port)


def cmd_user(args) -> int:
    from .user_commands import user_command

    return user_command(_config(args), args)


COMMANDS = {
    "check-config": cmd_check_config,
    "test-connection": cmd_test_connection,
    "once": cmd_once,
    "serve": cmd_serve,
    "extract": cmd_extract,
    "form": cmd_form,
    "export": cmd_export,
    "digest": cmd_digest,
    "packet": cmd_packet,
    "remind": cmd_remind,
    "scoring": cmd_scoring,
    "status": cmd_status,
    "decide": cmd_decide,
    "show": cmd_show,
    "reply": cmd_reply,
    "reply-fix": cmd_reply_fix,
    "web": cmd_web,
    "user": cmd_user,
    **ledger_commands.COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # -h printed the help (or a usage error was printed): argparse exits
        output.flush_stdout()  # `run.py -h | head -3` must not end in a BrokenPipeError at exit
        raise
    # Everything we write (raw mail, attachments, ledger, outbox, reports) holds
    # personal data: owner-only unless an operator loosens it on purpose.
    os.umask(0o077)
    logsetup.setup(args.verbose, args.config)
    try:
        code = COMMANDS[args.command](args)
        # Flush here, not at exit, so that a closed pipe is seen and ends quietly.
        return code if output.flush_stdout() else output.CLOSED_PIPE_EXIT
    except BrokenPipeError:
        if not output.stdout_is_closed_pipe():
            raise
        output.discard_stdout()
        return output.CLOSED_PIPE_EXIT
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

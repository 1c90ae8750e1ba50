"""The command line's grammar: commands, options, Chinese help, and value checks.

Kept apart from pipeline/cli.py (what each command does) so that help text
and argument checks can be read, and tested, in one place. Every command has
a description with an example; wrong values are refused here with a Chinese
message instead of failing later with a traceback.
"""

from __future__ import annotations

import argparse
import re
from datetime import date

from .argparse_zh import ChineseArgumentParser, display_width

DEFAULT_CONFIG = "inbox_rules.yaml"

# `decide` actions: canonical name (what pipeline/staff/decisions.py receives
# in args.action), the Chinese words staff may type instead, and what it does.
DECIDE_ACTIONS: list[tuple[str, tuple[str, ...], str]] = [
    ("accept", ("受理",), "人工核对后受理；给单位发通知"),
    ("return", ("退回", "补正", "退回补正"), "退回补正：请单位按问题修改后重新报送；给单位发通知"),
    ("reject", ("不予受理", "驳回"), "不予受理（用 --reason 写明原因）；给单位发通知"),
    ("allow-late", ("允许逾期",), "逾期的报送按时处理；给单位发通知"),
    ("assign", ("指定单位",), "名单外的发件人：用 --unit 指定所属单位后重新判定；给单位发通知"),
    ("withdraw", ("撤回",), "标记为单位已撤回；给单位发通知"),
    ("select", ("选定", "选定上报"), "选定这个账号上报上级（只能选已受理的）"),
    ("unselect", ("取消选定",), "取消选定上报"),
    ("answered", ("已回复",), "来信已回复，不再列入每日汇总的待回复"),
    ("correct", ("更正",), "更正推荐表中的栏目"),
]
DECIDE_ALIASES: dict[str, str] = {word: name for name, words, _ in DECIDE_ACTIONS for word in (name, *words)}


def decide_action(text: str) -> str:
    """The canonical action for an English name or a Chinese alias."""
    action = DECIDE_ALIASES.get(text.strip()) or DECIDE_ALIASES.get(text.strip().lower())
    if action is None:
        zh = "、".join(words[0] for _, words, _ in DECIDE_ACTIONS)
        raise argparse.ArgumentTypeError(f"“{text}”不是可用的动作（可选：{zh}；或英文 accept、reject 等）")
    return action


def iso_date(text: str) -> date:
    """A YYYY-MM-DD date (nothing looser: 2021/08/01 and 20210801 are refused)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"没有这一天：{text}") from None
    raise argparse.ArgumentTypeError("日期格式应为 YYYY-MM-DD，例如 2021-08-01")


def day_count(text: str) -> int:
    if text.strip().isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"天数应是 0 或正整数，例如 3（不是“{text}”）")


def _decide_table() -> str:
    width = max(display_width("、".join(words)) for _, words, _ in DECIDE_ACTIONS) + 2
    rows = []
    for name, words, what in DECIDE_ACTIONS:
        zh = "、".join(words)
        rows.append(f"  {zh}{' ' * (width - display_width(zh))}{name:<12}{what}")
    return "\n".join(rows)


PROG = "run.py"
MAIN_DESCRIPTION = """推荐材料邮件受理：收取各单位的推荐表和材料，核对、回执、汇总、上报。

常用：
  python run.py check-config     检查配置文件
  python run.py once             收信并处理一次
  python run.py status           查看各单位报送情况
每个命令的说明：python run.py 命令 -h"""

# name → (one-line help in the command list, description with examples)
COMMANDS: dict[str, tuple[str, str]] = {
    "check-config": (
        "检查配置文件",
        "检查配置文件：一次列出所有错误（行号、原因、改法），包括没有设置的密码环境变量。\n\n"
        "例如：\n  python run.py check-config\n  python run.py check-config --config 其他配置.yaml",
    ),
    "test-connection": (
        "测试 IMAP/SMTP 连接",
        "测试收件（IMAP：登录、ID、SELECT、SEARCH）和发件（SMTP：EHLO、登录）连接；不取信，也不发信。\n\n"
        "例如：\n  python run.py test-connection",
    ),
    "once": (
        "读取所有邮箱一次并处理（供 cron 使用）",
        "读取所有邮箱一次：处理新邮件、发送待发邮件，打印按单位的汇总表后退出。\n"
        "某个邮箱无法读取时，先在屏幕上（标准错误输出）说明原因，退出状态为 2。\n\n"
        "例如：\n  python run.py once\n"
        "  cron：*/5 * * * * cd /path/to/repo && .venv/bin/python run.py once --quiet",
    ),
    "serve": (
        "常驻运行：定时收信、汇总、催报",
        "常驻运行（前台，Ctrl-C 停止）：按 poll_minutes 轮询邮箱（服务器支持 IDLE 时新邮件几秒内处理），"
        "每天 digest_time 发每日汇总，按 reminders_days_before 催报。\n\n"
        "例如：\n  python run.py serve",
    ),
    "extract": (
        "直接读取推荐表文件，输出 JSON",
        "直接读取推荐表文件（Word、WPS、Excel、PDF、图片），输出 JSON：15 个栏目、规范化的值、问题清单。\n"
        "找不到或无法读取的文件逐个说明，退出状态为 1；读到的文件照常输出。\n\n"
        "例如：\n  python run.py extract 推荐表.docx 推荐表.xlsx",
    ),
    "export": (
        "导出台账全部记录",
        "导出台账中的全部邮件和报送：json 输出到屏幕（或 --output 指定的文件），"
        "xlsx 写入 台账.xlsx（默认在配置 storage.reports_dir 指定的文件夹）。\n\n"
        "例如：\n  python run.py export --format xlsx\n  python run.py export --format json --output 台账.json",
    ),
    "digest": (
        "生成每日汇总（HTML + 汇总表.xlsx）",
        "生成每日汇总（HTML）和 汇总表.xlsx；加 --send 发给工作人员。\n\n"
        "例如：\n  python run.py digest\n  python run.py digest --date 2021-08-01 --send",
    ),
    "packet": (
        "生成上报材料包",
        "为选定上报的账号生成上报材料包（推荐表、原始材料、汇总表、manifest.json）；"
        "加 --send 发给上级（超过 upstream.max_mail_mb 时分多封）。\n\n"
        "例如：\n  python run.py packet\n  python run.py packet --send",
    ),
    "remind": (
        "向未报送单位发送催报邮件",
        "向尚未受理的单位发催报（抄送工作人员）；每档每单位只发一次。\n"
        "不加 --days 时按今天对应的档（截止前 reminders_days_before 天）。\n\n"
        "例如：\n  python run.py remind --send\n  python run.py remind --days 1 --send",
    ),
    "scoring": (
        "生成评分表.xlsx",
        "按附件2 生成 评分表.xlsx（评审栏有 0～满分的数据验证，粉丝量一项按公式预填）。\n\n"
        "例如：\n  python run.py scoring",
    ),
    "status": (
        "按单位显示报送情况",
        "按单位列出当前状态、受理编号、账号名称、到达时间和问题数；名单外的来信列在最后。\n\n"
        "例如：\n  python run.py status",
    ),
    "decide": (
        "工作人员决定（记入审计日志）",
        "工作人员的决定：记入审计日志，出现在所有汇总中；改变单位所知结果时给单位发通知"
        "（加 --send 立即发送，否则在下次 once/serve 时发送）。\n\n"
        "动作（写中文或英文均可）：\n" + _decide_table() + "\n\n"
        "例如：\n"
        "  python run.py decide 受理 TJ-20210801-0007 --reason 粉丝数已电话核实 --by 刘晶晶\n"
        "  python run.py decide 指定单位 TJ-20210801-0012 --unit 天津市针灸学会\n"
        "  python run.py decide 选定 TJ-20210801-0007",
    ),
}


def _common_options(parser: argparse.ArgumentParser, *, in_command: bool) -> None:
    """--config and -v, accepted before and after the command name.

    In a command's own parser the defaults are SUPPRESS, so `--config x.yaml
    status` is not silently reset to the default by the command's parser.
    """
    parser.add_argument(
        "--config",
        default=argparse.SUPPRESS if in_command else DEFAULT_CONFIG,
        metavar="配置文件",
        help=f"配置文件（默认 ./{DEFAULT_CONFIG}）",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if in_command else False,
        help="输出调试日志",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog=PROG, description=MAIN_DESCRIPTION)
    _common_options(parser, in_command=False)
    sub = parser.add_subparsers(
        dest="command", required=True, title="命令", metavar="命令", help="以下命令之一"
    )
    commands = {}
    for name, (help_text, description) in COMMANDS.items():
        commands[name] = sub.add_parser(name, help=help_text, description=description)
        _common_options(commands[name], in_command=True)

    commands["once"].add_argument("--quiet", action="store_true", help="不打印汇总表（cron 中使用）")

    commands["extract"].add_argument("files", nargs="+", metavar="文件", help="推荐表文件，可以有多个")

    exp = commands["export"]
    exp.add_argument("--format", choices=["json", "xlsx"], default="json", help="导出格式（默认 json）")
    exp.add_argument("--output", metavar="文件", help="输出文件（xlsx 默认写入 reports_dir 下的 台账.xlsx）")

    dg = commands["digest"]
    dg.add_argument("--date", type=iso_date, metavar="YYYY-MM-DD", help="汇总日期，如 2021-08-01（默认今天）")
    dg.add_argument("--send", action="store_true", help="发送给工作人员")

    commands["packet"].add_argument("--send", action="store_true", help="发送给上级")

    rm = commands["remind"]
    rm.add_argument(
        "--send", action="store_true", help="立即发送（否则只写入 outbox，下次 once/serve 时发送）"
    )
    rm.add_argument(
        "--days", type=day_count, metavar="N", help="按“截止前 N 天”这一档发送（默认按今天对应的档）"
    )

    dec = commands["decide"]
    dec.add_argument(
        "action", type=decide_action, metavar="动作", help="见上表：中文（如 受理）或英文（如 accept）"
    )
    dec.add_argument("case", metavar="受理编号", help="如 TJ-20210801-0007（见 status 或每日汇总）")
    dec.add_argument("--unit", metavar="单位", help="指定单位时：名单中的单位名称")
    dec.add_argument("--reason", default="", metavar="原因", help="原因（写入审计日志，并告知单位）")
    dec.add_argument("--by", default="工作人员", metavar="姓名", help="决定人姓名（默认“工作人员”）")
    dec.add_argument("--send", action="store_true", help="立即发送通知邮件")
    return parser

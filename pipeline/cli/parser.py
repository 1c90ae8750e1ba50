"""The command line's grammar: commands, options, Chinese help, and value checks.

Kept apart from pipeline/cli/__init__.py (what each command does) so that help text
and argument checks can be read, and tested, in one place. Every command has
a description with an example; wrong values are refused here with a Chinese
message instead of failing later with a traceback.
"""

from __future__ import annotations

import argparse
import functools
import re
from datetime import date

from ..accounts.roles import ROLE_HELP, Role
from .argparse_zh import ChineseArgumentParser, display_width

DEFAULT_CONFIG = "inbox_rules.yaml"

# `decide` actions: canonical name (what pipeline/staff/decisions.py receives
# in args.action), the Chinese words staff may type instead, and what it does.
# The actions and their wording come from the staff layer (the console shows the
# same); here only the extra words staff may type and the command-line flags.
_EXTRA_WORDS: dict[str, tuple[str, ...]] = {
    "return": ("退回", "补正"),
    "reject": ("驳回",),
    "select": ("选定",),
    "dismiss": ("忽略",),
    "spam": ("垃圾邮件",),
}
_FLAGS: dict[str, str] = {
    "return": "（--fix 序号、--ask 文字）",
    "reject": "（--reason 原因）",
    "assign": "（--unit 单位）",
}


def _decide_actions() -> list[tuple[str, tuple[str, ...], str]]:
    from ..staff.decisions import ACTIONS

    rows = [
        (a.name, (a.zh, *_EXTRA_WORDS.get(a.name, ())), a.help + _FLAGS.get(a.name, ""))
        for a in ACTIONS.values()
    ]
    rows.append(
        (
            "correct",
            ("更正",),
            "更正推荐表中的一个栏目（--field 栏目、--value 值）；扫描件中待核对的栏目给出原值，"
            "即记为核对无误；不发邮件",
        )
    )
    return rows


DECIDE_ACTIONS: list[tuple[str, tuple[str, ...], str]] = _decide_actions()
DECIDE_ALIASES: dict[str, str] = {word: name for name, words, _ in DECIDE_ACTIONS for word in (name, *words)}


SEEN_HELP = (
    "show 显示的版本号：只有这份报送仍是你看到的状态时才处理，期间别人处理过就不作改动"
    "（不写时按运行这条命令时的状态）"
)


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
        "直接读取推荐表文件（Word、WPS、Excel、PDF、图片），输出 JSON：各栏目、规范化的值、问题清单。\n"
        "栏目按配置文件的 form 一节（没有写 form.fields 时是通知附件1 的 15 个栏目）。\n"
        "找不到或无法读取的文件逐个说明，退出状态为 1；读到的文件照常输出。\n\n"
        "例如：\n  python run.py extract 推荐表.docx 推荐表.xlsx\n"
        "  python run.py extract --config 科普作品.yaml 申报表-北京.pdf",
    ),
    "form": (
        "由通知所附的空白表格生成栏目定义（form init）",
        "form init：读通知所附的空白表格（Word、WPS、从 Word 导出的 PDF、Excel），列出表上的每个栏目和猜测的类型，"
        "输出配置文件的 form: 一节（YAML，带中文说明）；加 --scoring 同时读评分表（附件2），输出 scoring: 一节。\n"
        "核对后粘贴到 inbox_rules.yaml，替换原有的 form:、scoring: 两节，再运行 check-config；"
        "之后收到的表格按这些栏目读取（extract 可先试读）。\n\n"
        "例如：\n  python run.py form init 附件1-申报表.docx\n"
        "  python run.py form init 附件1-申报表.docx --scoring 附件2-评分细则.docx --output 栏目定义.yaml",
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
        "为选定上报的账号生成上报材料包（每个账号的推荐表和工作材料、推荐账号汇总表）；"
        "加 --send 发给上级（超过 upstream.max_mail_mb 时分多封）。\n\n"
        "例如：\n  python run.py packet\n  python run.py packet --send",
    ),
    "remind": (
        "截止前向未报送和需补正的单位发催报",
        "截止前向未报送的单位和需补正的单位发催报（抄送工作人员），各自写明要做什么；每档每单位只发一次；截止后不发。\n"
        "不加 --days 时按今天对应的档（截止前 reminders_days_before 天）。\n\n"
        "例如：\n  python run.py remind --send\n  python run.py remind --days 1 --send\n"
        '  python run.py remind --days 1 --as-of "2021-08-01 09:00"   （按指定时间计算，演示或核对用）',
    ),
    "scoring": (
        "生成评分表.xlsx",
        "按附件2 生成 评分表.xlsx：每位评委一张表（在控制台打的分已填好，空格有 0～满分的数据验证，粉丝量按粉丝数预填），"
        "汇总表列出各评委总分、平均分和排名。\n\n"
        "例如：\n  python run.py scoring",
    ),
    "status": (
        "按单位显示报送情况",
        "按单位列出当前状态、受理编号、账号名称、到达时间和问题数；名单外的来信列在最后。\n\n"
        "例如：\n  python run.py status",
    ),
    "decide": (
        "工作人员决定或更正（记入处理记录）",
        "工作人员的决定：记入处理记录，出现在所有汇总中；改变单位所知结果时给单位发通知——通知按处理后的状态重新组织，"
        "只列出仍然需要单位处理的问题（加 --send 立即发送，否则在下次 once/serve 时发送；--preview 只预览不改动）。\n\n"
        "动作（写中文或英文均可）：\n" + _decide_table() + "\n\n"
        "例如：\n"
        "  python run.py decide 受理 TJ-20210801-0007 --reason 粉丝数已电话核实 --by 刘晶晶\n"
        "  python run.py decide 退回补正 TJ-20210801-0007 --fix 1 --ask 请加盖单位公章 --preview\n"
        "  python run.py decide 更正 TJ-20210801-0007 --field 联系人 --value 许诺 --reason 对照原件\n"
        "  python run.py decide 指定单位 TJ-20210801-0012 --unit 天津市针灸学会\n"
        "  python run.py decide 选定 TJ-20210801-0007",
    ),
    "resend": (
        "重新发送发送失败的邮件",
        "重新发送一封没有发出的邮件（如被对方服务器拒收：550 地址不存在）：地址错了用 --to 改为新地址。"
        "记录谁在什么时候重新发送、原来和新的收件地址；立即发送，并如实说明结果（未发出时退出状态为 5）。\n"
        "不加编号时列出所有发送失败的邮件及其编号。已发出或结果还不确定的邮件不会重发。\n\n"
        "例如：\n  python run.py resend\n  python run.py resend 12\n"
        "  python run.py resend 12 --to xuanchuanchu@cast.org.cn --by 刘晶晶\n"
        "  python run.py resend TJ-20210801-0007 --to bjzj2@bjzj.cn   （该报送发送失败的邮件）",
    ),
    "check": (
        "完整检查台账",
        "完整检查台账：是否损坏、是否为空、是否落后于认领、发件和工作人员处理记录（恢复了较旧的备份）。\n"
        "其他命令启动时只做快速检查。\n\n"
        "例如：\n  python run.py check",
    ),
    "backup": (
        "在线备份 SQLite 台账",
        "在线备份 SQLite 台账（收信程序运行时也可以做）。PostgreSQL 台账请用 pg_dump。\n\n"
        "例如：\n  python run.py backup\n  python run.py backup --to /mnt/备份/ledger.sqlite3",
    ),
    "restore": (
        "用备份文件恢复 SQLite 台账",
        "用 backup 生成的文件恢复台账（请先停止 once/serve/web）；原台账改名保留。"
        "备份之后工作人员做过的处理（决定、更正、停用账号等）按处理记录自动恢复；备份之后收到的邮件用 rebuild 补齐。\n\n"
        "例如：\n  python run.py restore data/backups/ledger-20210801-090000.sqlite3",
    ),
    "rebuild": (
        "从原始邮件和发件记录重建台账",
        "台账丢失、清空或损坏时，从原始邮件、认领记录和发件记录重建：受理编号不变，不重复发信；"
        "工作人员的决定、更正、回复和评分按处理记录恢复。\n\n"
        "例如：\n  python run.py rebuild",
    ),
    "show": (
        "查看一份报送的全部情况",
        "查看一份报送：问题（原因、单位须补正、工作人员须核对、说明）、可退回补正的问题及序号、"
        "各栏目的值和来源、附件、处理记录、被更正前的识别值。\n\n"
        "例如：\n  python run.py show TJ-20210801-0007",
    ),
    "reply": (
        "回复单位的来信",
        "回复单位的来信：从收件邮箱发出，接在原邮件之后，并标记为已回复。\n\n"
        '例如：\n  python run.py reply TJ-20210801-0011 --text "可以，请把网盘链接写在正文里。" --preview\n'
        "  python run.py reply TJ-20210801-0011 --text-file 回复.txt --send",
    ),
    "reply-fix": (
        "采用或不采用单位回复中要求的修改",
        "单位回复回执、在正文中写“栏目：新内容”时，未受理的报送自动更新；已受理或已选定上报的报送、"
        "以及发件地址不是该单位登记邮箱的回复，要由工作人员确认。不加编号时列出等待确认的回复；"
        "--apply 采用（按报送现在的内容重新核对，只采用格式正确的内容，并通知单位），--decline 不采用（可写 --reason）。\n\n"
        "例如：\n  python run.py reply-fix\n  python run.py reply-fix TJ-20210801-0012 --apply --by 刘晶晶\n"
        "  python run.py reply-fix TJ-20210801-0012 --decline --reason 请附盖章的推荐表",
    ),
    "web": (
        "启动工作人员控制台（网页）",
        "启动工作人员控制台：在浏览器里查看每份报送、更正、处理、回复、催报、评分、上报。默认只允许本机访问。\n\n"
        "例如：\n  python run.py web\n  python run.py web --host 127.0.0.1 --port 8080",
    ),
    "user": (
        "管理控制台账号",
        "管理控制台账号：add 添加、reset 重设密码、remove 停用、list 列出。密码在终端输入（不显示），"
        "脚本中用 --password-stdin 从标准输入读取。\n\n"
        "例如：\n  python run.py user add 刘晶晶 --role staff\n  python run.py user add 王评委 --role reviewer\n"
        '  echo "$PW" | python run.py user reset 刘晶晶 --password-stdin\n  python run.py user list',
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


@functools.cache
def build_parser() -> argparse.ArgumentParser:
    """The command line's parser, built once per process (parsing does not change it;
    the demo and the tests call main() many times)."""
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
    commands["packet"].add_argument(
        "--replace", action="store_true", help="确认本次替代此前已发送的上报（邮件写明“以本次为准”）"
    )

    rm = commands["remind"]
    rm.add_argument(
        "--send", action="store_true", help="立即发送（否则只写入 outbox，下次 once/serve 时发送）"
    )
    rm.add_argument(
        "--days", type=day_count, metavar="N", help="按“截止前 N 天”这一档发送（默认按今天对应的档）"
    )
    rm.add_argument("--as-of", metavar="时间", help='按指定时间计算（演示或核对用），如 "2021-08-01 09:00"')

    dec = commands["decide"]
    dec.add_argument(
        "action", type=decide_action, metavar="动作", help="见上表：中文（如 受理）或英文（如 accept）"
    )
    dec.add_argument("case", metavar="受理编号", help="如 TJ-20210801-0007（见 status 或每日汇总）")
    dec.add_argument("--unit", metavar="单位", help="指定单位时：名单中的单位名称")
    dec.add_argument(
        "--remember",
        action="store_true",
        help="指定单位时：记住发件地址为该单位的地址，以后从这个地址来信自动认作该单位",
    )
    dec.add_argument(
        "--reason",
        default="",
        metavar="意见",
        help="原因或意见（写入处理记录；通知单位时作为“工作人员意见”）",
    )
    dec.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="序号",
        help="退回补正时单位须修改的问题：show 列出的序号，可重复",
    )
    dec.add_argument("--ask", default="", metavar="文字", help="退回补正时另加的一条要求（工作人员自己的话）")
    dec.add_argument("--field", metavar="栏目", help="更正时：栏目名称，如 联系人")
    dec.add_argument("--value", metavar="值", help="更正时：正确的值")
    dec.add_argument("--by", default="工作人员", metavar="姓名", help="决定人姓名（默认“工作人员”）")
    dec.add_argument(
        "--preview", action="store_true", help="只显示处理后的状态和通知单位的邮件全文，不作改动"
    )
    dec.add_argument("--no-notify", action="store_true", help="不通知单位（记入处理记录）")
    dec.add_argument("--send", action="store_true", help="立即发送通知邮件")
    dec.add_argument("--seen", type=int, metavar="版本", help=SEEN_HELP)

    commands["backup"].add_argument(
        "--to", metavar="文件", help="备份文件（默认 data/backups/ledger-时间.sqlite3）"
    )
    commands["restore"].add_argument("backup", metavar="备份文件", help="backup 命令生成的备份文件")

    commands["show"].add_argument("case", metavar="受理编号", help="如 TJ-20210801-0007")

    rs = commands["resend"]
    rs.add_argument(
        "mail",
        nargs="?",
        metavar="邮件编号或受理编号",
        help="邮件编号（列表中的 #编号）或受理编号；不写时列出发送失败的邮件",
    )
    rs.add_argument(
        "--to", action="append", default=[], metavar="新地址", help="改为发给这个地址（可重复，或用逗号分隔）"
    )
    rs.add_argument("--by", default="工作人员", metavar="姓名", help="操作人姓名（记入记录）")

    rp = commands["reply"]
    rp.add_argument("case", metavar="受理编号", help="来信的受理编号")
    rp.add_argument("--text", metavar="文字", help="回复内容")
    rp.add_argument("--text-file", metavar="文件", help="从文件读取回复内容（UTF-8）")
    rp.add_argument("--by", default="工作人员", metavar="姓名", help="回复人姓名")
    rp.add_argument("--preview", action="store_true", help="只预览，不发送")
    rp.add_argument("--send", action="store_true", help="立即发送")
    rp.add_argument("--seen", type=int, metavar="版本", help=SEEN_HELP)

    rf = commands["reply-fix"]
    rf.add_argument(
        "letter", nargs="?", metavar="来信编号", help="单位回复的受理编号；不写时列出等待确认的回复"
    )
    choice = rf.add_mutually_exclusive_group()
    choice.add_argument("--apply", action="store_true", help="采用回复中的修改")
    choice.add_argument("--decline", action="store_true", help="不采用")
    rf.add_argument("--reason", default="", metavar="意见", help="意见（写入处理记录和给单位的通知）")
    rf.add_argument("--by", default="工作人员", metavar="姓名", help="操作人姓名")
    rf.add_argument("--no-notify", action="store_true", help="不通知单位（记入处理记录）")
    rf.add_argument("--send", action="store_true", help="立即发送通知邮件")
    rf.add_argument("--seen", type=int, metavar="版本", help=SEEN_HELP)

    web = commands["web"]
    web.add_argument("--host", metavar="地址", help="监听地址（默认 web.host，即 127.0.0.1，只允许本机访问）")
    web.add_argument("--port", type=int, metavar="端口", help="端口（默认 web.port，即 8080）")

    fm = commands["form"].add_subparsers(dest="form_action", required=True, title="操作", metavar="操作")
    fi = fm.add_parser(
        "init",
        help="由空白表格生成 form: 一节",
        description=COMMANDS["form"][1],
    )
    _common_options(fi, in_command=True)
    fi.add_argument(
        "blank",
        metavar="空白表格",
        help="通知所附的空白表格，如 附件1.docx（也可以是 .doc、.wps、.pdf、.xlsx）",
    )
    fi.add_argument("--scoring", metavar="评分表", help="通知所附的评分细则（附件2），读出 scoring: 一节")
    fi.add_argument("--output", metavar="文件", help="写入文件（默认输出到屏幕）")

    us = commands["user"].add_subparsers(dest="user_action", required=True, title="操作", metavar="操作")
    ua = us.add_parser(
        "add",
        help="添加账号",
        description="添加控制台账号。\n" + "\n".join(f"  {r.value} {r.zh}：{ROLE_HELP[r]}" for r in Role),
    )
    ua.add_argument("name", metavar="姓名", help="姓名（登录名）")
    ua.add_argument(
        "--role",
        choices=[r.value for r in Role],
        default=Role.STAFF.value,
        help="；".join(f"{r.value} {r.zh}{'（默认）' if r is Role.STAFF else ''}" for r in Role),
    )
    ur = us.add_parser("reset", help="重设密码（同时退出该账号的所有登录）", description="重设密码。")
    ur.add_argument("name", metavar="姓名")
    ud = us.add_parser("remove", help="停用账号（处理记录中的姓名保留）", description="停用账号。")
    ud.add_argument("name", metavar="姓名")
    ul = us.add_parser("list", help="列出账号", description="列出账号。")
    for sub_parser in (ua, ur, ud, ul):
        _common_options(sub_parser, in_command=True)
    for sub_parser in (ua, ur):
        sub_parser.add_argument(
            "--password-stdin", action="store_true", help="从标准输入读取密码（供脚本使用）"
        )
    return parser

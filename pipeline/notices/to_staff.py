"""Immediate alert to staff when a mailbox keeps failing (silent death is the
most common complaint about mail intake tools)."""

from __future__ import annotations

from ..config import Config
from ..ledger import Ledger, MailboxStateRow
from ..outbox import enqueue, new_message


def maybe_alert_mailbox(config: Config, ledger: Ledger, name: str) -> bool:
    threshold = config.this_level.alert_after_failed_polls
    with ledger.session() as s:
        row = s.get(MailboxStateRow, name)
        if row is None or row.failures_in_row < threshold or row.alerted or not config.this_level.staff:
            return False
        text = (
            f"邮箱 {name} 已连续 {row.failures_in_row} 次读取失败，新的报送邮件可能没有被处理。\n\n"
            f"最近一次错误：{row.last_error}\n\n"
            "请检查邮箱密码/授权码、IMAP 开关和网络（由安装本程序的管理员在服务器上运行 python run.py test-connection 检查连接）。"
        )
        msg = new_message(config, config.this_level.staff, f"【警告】邮箱 {name} 连续读取失败", text)
        streak_start = row.last_ok.isoformat() if row.last_ok else "never"
        enqueue(s, config, f"alert:{name}:{streak_start}", "alert", msg)
        row.alerted = True
        return True

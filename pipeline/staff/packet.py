"""The upstream packet job: build it for the selected accounts and mail it."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, MessageRow
from ..ledger.views import to_view, unit_rows
from ..model import Status
from ..outbox import enqueue, new_message
from ..templating import TEMPLATE_DIR, render
from .sending import send_and_report


def run_packet(config: Config, send: bool = False) -> str:
    from ..reports.packet import build_packet

    if config.upstream is None:
        return "配置中没有 upstream（上级），无需生成上报材料包。"
    ledger = Ledger(config.database_url)
    with ledger.session() as s:
        units, _ = unit_rows(s, config)
        rows = s.scalars(
            select(MessageRow).where(
                MessageRow.selected.is_(True), MessageRow.status == Status.ACCEPTED.value
            )
        ).all()
        selected = [to_view(r, config) for r in rows]
    if not selected:
        return "尚未选定上报账号：请先运行 python run.py decide select <受理编号>。"
    if len(selected) > config.upstream.accounts:
        return (
            f"选定了 {len(selected)} 个账号，超过上级名额 {config.upstream.accounts} 个，请先取消多余的选送。"
        )
    out = config.path(config.storage.reports_dir) / "packet"
    out.mkdir(parents=True, exist_ok=True)
    packet = build_packet(
        selected,
        units,
        out,
        level_name=config.this_level.name,
        template=TEMPLATE_DIR / "推荐表模板.docx",
        # Base64 grows attachments by 4/3: keep each zip at 70% of the mail limit.
        max_mail_bytes=int(config.upstream.max_mail_mb * 1024 * 1024 * 0.7),
    )
    result = f"上报材料包：{'、'.join(str(p) for p in packet.zip_paths)}"
    if not send:
        return result
    n = len(packet.zip_paths)
    # The same selection with the same files is one packet, however often it is rebuilt.
    basis = "|".join(sorted(f"{v.case_no}:{','.join(a.sha256 for a in v.attachments)}" for v in selected))
    fingerprint = hashlib.sha256(basis.encode()).hexdigest()[:16]
    names = "、".join(f"{v.unit}「{v.fields.get('账号名称', '')}」" for v in selected)
    keys = [f"packet:{fingerprint}:{i}of{n}" for i in range(1, n + 1)]
    with ledger.session() as s:
        for i, path in enumerate(packet.zip_paths, 1):
            text = render(
                "packet.txt.j2",
                upstream=config.upstream.name,
                level_name=config.this_level.name,
                campaign=config.campaign,
                names=names,
                part=i,
                parts=n,
                contact=config.this_level.contact,
            )
            subject = f"{config.this_level.name}推荐{config.campaign}材料" + (f"（{i}/{n}）" if n > 1 else "")
            msg = new_message(
                config, config.upstream.addresses, subject, text, automatic=False, attachments=[path]
            )
            enqueue(s, config, keys[i - 1], "packet", msg)
    return send_and_report(config, ledger, keys, result)

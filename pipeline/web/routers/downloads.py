"""Downloads staff take to WPS/Excel or hand on: 汇总表.xlsx (every unit, every field, and
every mail the ledger holds on its 全部来信 sheet) and the packet for the next level, built
now without sending it. Each is built fresh into a private scratch folder and removed once sent."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse

from ...accounts import Permission
from ...config import Config
from ...ledger import Ledger
from ...reports.audit_sheet import build_audit_xlsx
from ...reports.packet import build_packet
from ...reports.summary import build_summary_xlsx
from ...staff.digest import build_digest_data
from ...staff.packet import NothingSelected, PacketError, plan_packet
from .. import data
from ..http import Area, console, redirect

area = Area("downloads")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scratch(config: Config) -> Path:
    root = config.path(config.storage.tmp_dir)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix="download-", dir=root))


def _send(path: Path, name: str, media_type: str, folder: Path) -> FileResponse:
    return FileResponse(
        path,
        filename=name,
        media_type=media_type,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def summary_workbook(config: Config, ledger: Ledger, now, folder: Path) -> Path:
    """汇总表.xlsx as the digest attaches it, with the ledger as it is now."""
    data, views = build_digest_data(config, ledger, now, with_changes=False)
    return build_summary_xlsx(
        data.units, views, folder / "汇总表.xlsx", link_base=config.web.base_url, form=config.form
    )


@area.get("/downloads/summary.xlsx", Permission.READ_MAIL)
async def summary(request: Request):
    c = console(request)
    now = c.now()
    folder = _scratch(c.config)
    try:
        path = await run_in_threadpool(summary_workbook, c.config, c.ledger, now, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _send(path, f"汇总表_{now:%Y-%m-%d}.xlsx", XLSX, folder)


def packet_file(config: Config, ledger: Ledger, folder: Path) -> tuple[Path, str]:
    """The packet as it would go now: its zip, or one zip holding its parts when the mail
    limit splits it."""
    plan = plan_packet(config, ledger)  # refuses as `packet --send` would: nothing or too many chosen
    assert config.upstream is not None
    packet = build_packet(
        plan.accounts,
        folder,
        level_name=config.this_level.name,
        form=config.form,
        max_mail_bytes=int(config.upstream.max_mail_mb * 1024 * 1024 * 0.7),
    )
    if len(packet.zip_paths) == 1:
        return packet.zip_paths[0], packet.zip_paths[0].name
    bundle = folder / "parts.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as z:
        for part in packet.zip_paths:
            z.write(part, part.name)
    return bundle, f"{packet.zip_paths[0].stem}等{len(packet.zip_paths)}个.zip"


@area.get("/downloads/packet.zip", Permission.PACKET)
async def packet(request: Request):
    c = console(request)
    if c.config.upstream is None:
        return redirect("/", err="本配置没有上级（upstream），没有上报材料包。")
    folder = _scratch(c.config)
    try:
        path, name = await run_in_threadpool(packet_file, c.config, c.ledger, folder)
    except (NothingSelected, PacketError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return redirect("/packet", err=str(exc))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _send(path, name, "application/zip", folder)


def audit_workbook(config: Config, ledger: Ledger, wanted: data.AuditFilter, folder: Path) -> Path:
    """处理记录.xlsx: every row the filter matches (the page shows at most AUDIT_LIMIT)."""
    rows = data.audit(config, ledger, wanted, limit=None)
    return build_audit_xlsx(rows, folder / "处理记录.xlsx", condition=audit_condition(wanted, ledger))


def audit_condition(wanted: data.AuditFilter, ledger: Ledger) -> str:
    """The filter in words, for the sheet's print header."""
    parts = []
    if wanted.who:
        parts.append(f"处理人：{wanted.who}")
    if wanted.action:
        parts.append(f"操作：{data.AUDIT_NAMES.get(wanted.action, wanted.action)}")
    if wanted.case:
        parts.append(f"受理编号：{wanted.case}")
    if wanted.since or wanted.until:
        parts.append(f"日期：{wanted.since or '…'} 至 {wanted.until or '…'}")
    if wanted.q:
        parts.append(f"含“{wanted.q}”")
    return "；".join(parts)


@area.get("/downloads/audit.xlsx", Permission.READ_MAIL)
async def audit_sheet(request: Request):
    c = console(request)
    wanted = data.AuditFilter.from_query(request.query_params)
    folder = _scratch(c.config)
    try:
        path = await run_in_threadpool(audit_workbook, c.config, c.ledger, wanted, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _send(path, f"处理记录_{c.now():%Y-%m-%d}.xlsx", XLSX, folder)

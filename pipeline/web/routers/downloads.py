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
from ...reports.packet import build_packet
from ...reports.summary import build_summary_xlsx
from ...staff.digest import build_digest_data
from ...staff.packet import NothingSelected, PacketError, plan_packet
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

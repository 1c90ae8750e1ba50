"""Open winmail.dat (application/ms-tnef) sent by Outlook with RTF on.

tnefparse decodes attachment titles as UTF-8, which fails on Chinese
Outlook (OEM code page 936), so we take the raw title bytes and decode
them with the charset fallback chain (gb18030 first when the page is 936).
"""

from __future__ import annotations

import logging

from .charset import decode_bytes

TNEF_MAGIC = b"\x78\x9f\x3e\x22"

logging.getLogger("tnefparse").setLevel(logging.CRITICAL)


def is_tnef(name: str | None, content_type: str, data: bytes) -> bool:
    return (
        content_type in ("application/ms-tnef", "application/vnd.ms-tnef")
        or (name or "").lower() == "winmail.dat"
        or data.startswith(TNEF_MAGIC)
    )


def expand_tnef(data: bytes) -> tuple[list[tuple[str, bytes, bytes | None]], list[str]]:
    """[(name, data, raw name bytes)] of the files inside, plus defect notes."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data, do_checksum=False)
    except Exception as exc:
        return [], [f"winmail.dat 无法解析：{type(exc).__name__}"]
    codepage = str(tnef.codepage or "").lower()
    declared = "gb18030" if codepage in ("cp936", "936", "gbk") or not codepage else codepage
    files: list[tuple[str, bytes, bytes | None]] = []
    defects: list[str] = []
    for index, att in enumerate(getattr(tnef, "attachments", []) or [], start=1):
        try:
            name, raw = _name(att, declared)
            payload = att.data if isinstance(att.data, bytes | bytearray) else b""
        except Exception:
            continue
        if not payload and not name:
            continue
        files.append((name or f"winmail附件{index}", bytes(payload), raw))
    return files, defects


def _name(att, declared: str) -> tuple[str, bytes | None]:
    from tnefparse import properties

    for prop in getattr(att, "mapi_attrs", []) or []:
        if prop.name == properties.MAPI_ATTACH_LONG_FILENAME:
            value = prop.data
            if isinstance(value, bytes):
                text, _ = decode_bytes(value.rstrip(b"\x00"), declared)
                return text, value
            if isinstance(value, str) and value.strip("\x00"):
                return value.strip("\x00"), None
    raw = getattr(att, "_name", b"")
    if isinstance(raw, bytes):
        raw = raw.rstrip(b"\x00")
        text, _ = decode_bytes(raw, declared)
        return text, raw or None
    return str(raw).strip("\x00"), None

"""Find huge attachments that arrive as download links, not MIME parts.

QQ/Exmail put a `<div id="QQMailBigAttach">` block with `ftnExs_download`
links and a `<span expiretime=… downloadlink=…>`; 163 uses
`divNeteaseBigAttach` and dashi.163.com; many people paste 百度网盘 links
with a 提取码. The links expire, so the receipt must tell the sender.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

from ..model import BigAttachmentLink

_CN = timezone(timedelta(hours=8))
_URL = re.compile(r"https?://[^\s<>\"'，。；、）)\]】]+", re.IGNORECASE)
_CODE = re.compile(
    r"(?:提取码|提取碼|访问码|密码|pwd)\s*[:：]?\s*([A-Za-z0-9]{4})(?![A-Za-z0-9])", re.IGNORECASE
)
_EXPIRY_TEXT = re.compile(r"到期时间[:：]\s*([0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日(?:\s*[0-9]{1,2}:[0-9]{2})?)")
_CONTAINERS = {"qqmailbigattach": "qq", "diveasebigattach": "163", "divneteasebigattach": "163"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}


def provider_of(url: str) -> str | None:
    """Which cloud/big-attachment service serves `url`, or None."""
    try:
        parsed = urlparse(url)
    except ValueError:
        return None
    host = (parsed.hostname or "").lower()
    path = parsed.path.lower()
    if "ftnexs_download" in path or host.endswith("ftn.qq.com") or "/ftn/download" in path:
        return "qq"
    if host == "dashi.163.com" or (
        host.endswith((".163.com", ".126.com", ".yeah.net", ".188.com"))
        and ("attach" in path or "bigfile" in path)
    ):
        return "163"
    if host in ("pan.baidu.com", "yun.baidu.com"):
        return "baidu"
    if host.endswith(("aliyundrive.com", "alipan.com")):
        return "aliyun"
    if host.endswith("weiyun.com"):
        return "weiyun"
    return None


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.links: list[dict] = []
        self.open_links: list[dict] = []
        self.text: list[str] = []

    def _container(self) -> str | None:
        for _tag, attrs in self.stack:
            key = (attrs.get("id") or "").lower()
            if key in _CONTAINERS:
                return _CONTAINERS[key]
        return None

    def _title(self) -> str | None:
        for _tag, attrs in reversed(self.stack):
            if "到期" in (attrs.get("title") or "") or "文件大小" in (attrs.get("title") or ""):
                return attrs["title"]
        return None

    def handle_starttag(self, tag, attrs):
        amap = {k.lower(): (v or "") for k, v in attrs}
        if tag not in _VOID:
            self.stack.append((tag, amap))
        link = amap.get("downloadlink") or (amap.get("href") if tag == "a" else None)
        if link:
            entry = {
                "url": link.strip(),
                "expiretime": amap.get("expiretime"),
                "container": self._container(),
                "title": self._title() or amap.get("title"),
                "text": [],
                "tag": tag,
            }
            self.links.append(entry)
            if tag not in _VOID:
                self.open_links.append(entry)
        elif amap.get("expiretime") and self.links:
            self.links[-1].setdefault("expiretime", amap["expiretime"])

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        for i in range(len(self.open_links) - 1, -1, -1):
            if self.open_links[i]["tag"] == tag:
                del self.open_links[i:]
                break

    def handle_data(self, data):
        self.text.append(data)
        for entry in self.open_links:
            entry["text"].append(data)


def _expiry(entry: dict) -> str | None:
    raw = (entry.get("expiretime") or "").strip()
    if raw.isdigit():
        try:
            return datetime.fromtimestamp(int(raw), UTC).astimezone(_CN).strftime("%Y-%m-%d %H:%M")
        except (OverflowError, OSError, ValueError):
            pass
    m = _EXPIRY_TEXT.search(entry.get("title") or "")
    if not m:
        return None
    parts = re.findall(r"\d+", m.group(1))
    date = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return f"{date} {int(parts[3]):02d}:{int(parts[4]):02d}" if len(parts) >= 5 else date


def _name(entry: dict) -> str | None:
    text = "".join(entry.get("text") or []).strip()
    if text and not _URL.match(text) and text not in ("下载", "点击下载", "查看"):
        return text[:200]
    title = (entry.get("title") or "").strip()
    return title.splitlines()[0].strip()[:200] if title else None


def _baidu_code(url: str, context: str) -> str | None:
    try:
        pwd = parse_qs(urlparse(url).query).get("pwd")
    except ValueError:
        pwd = None
    if pwd and re.fullmatch(r"[A-Za-z0-9]{4}", pwd[0]):
        return pwd[0]
    m = _CODE.search(context)
    return m.group(1) if m else None


def find_big_links(html: str, text: str) -> list[BigAttachmentLink]:
    """All big-attachment / cloud-drive links in the HTML and plain bodies."""
    found: dict[str, BigAttachmentLink] = {}
    html_text = ""
    if html:
        parser = _Collector()
        try:
            parser.feed(html)
            parser.close()
        except Exception:
            pass
        html_text = "".join(parser.text)
        for entry in parser.links:
            url = entry["url"]
            if not url.lower().startswith(("http://", "https://")):
                continue
            provider = provider_of(url) or (entry["container"] if entry["container"] else None)
            if not provider:
                continue
            link = found.get(url)
            if link is None:
                link = found[url] = BigAttachmentLink(provider=provider, url=url)
            link.name = link.name or _name(entry)
            # the epoch on QQ's <span expiretime> beats the text in a title
            if (entry.get("expiretime") or "").strip().isdigit() or not link.expires:
                link.expires = _expiry(entry) or link.expires
    combined = "\n".join(t for t in (text or "", html_text) if t)
    for m in _URL.finditer(combined):
        url = m.group(0).rstrip(".,;:!?")
        provider = provider_of(url)
        if not provider:
            continue
        link = found.get(url)
        if link is None:
            link = found[url] = BigAttachmentLink(provider=provider, url=url)
        if provider == "baidu":
            code = _baidu_code(link.url, combined[m.end() : m.end() + 60])
            if code and "pwd=" not in link.url:
                # Baidu fills the 提取码 in from ?pwd=, so the link alone is enough.
                link.url += ("&" if "?" in link.url else "?") + f"pwd={code}"
    return list(found.values())

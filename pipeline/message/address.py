"""Email addresses out of headers, strictly: only what mail can really be sent to.

Why: email.utils.getaddresses() read
`From: <script>alert(1)</script> <attacker2@evil.test>` as the sender
`script`, and a receipt went out with `RCPT TO:<script>`. Addresses now come
from the standard library's header registry; when it is misled by something
that only looks like an address (a fake tag, stray brackets), the
angle-bracketed addresses are taken, then bare ones, and only those that are
a valid local@domain with a real domain name are kept.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from typing import cast

_REGISTRY = HeaderRegistry()
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")
_ANGLED = re.compile(r"<([^<>]*)>")
_BARE = re.compile(r"[^\s<>(),;:\"\[\]]+@[^\s<>(),;:\"\[\]]+")
# A dot-atom local part (RFC 5322 3.2.3): what nearly every real address is,
# and what the header registry always accepts, so it need not parse it again.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM_ADDR = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9.-]+)\Z")


def valid_address(text: str | None) -> str | None:
    """The lower-cased addr-spec when `text` is exactly one deliverable address, else None.

    Deliverable: ASCII, no spaces or control characters, a local part the
    header registry accepts, and a domain of at least two DNS labels with an
    alphabetic top level (no bare hosts, no [literals]).
    """
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > 254 or not text.isascii():
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    simple = _DOT_ATOM_ADDR.match(text)
    if simple:
        username, domain = simple.groups()
        addr_spec = text
    else:
        try:
            addr = Address(addr_spec=text)
        except (ValueError, IndexError, HeaderParseError):
            return None
        username, domain, addr_spec = addr.username, addr.domain, addr.addr_spec
    if not username or not domain or len(username) > 64:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    if not labels[-1].isalpha():
        return None
    return addr_spec.lower()


def strict_addresses(text: str) -> list[str]:
    """Every valid address in an (unfolded, decoded) address header, in order, once."""
    found: list[str] = []
    try:
        header = _REGISTRY("to", text)
        parsed = [a.addr_spec for a in cast(AddressHeader, header).addresses]
        clean = not header.defects
    except Exception:  # the registry's parser raises on some hostile input
        parsed, clean = [], False
    checked = [valid_address(a) for a in parsed]
    if parsed and clean and all(checked):
        found = [a for a in checked if a]
    else:
        # Misled parser: per mailbox, take the angle-bracketed address when
        # there is one, else a bare one; never a fragment of something else.
        for element in _elements(text):
            angled = [a for a in (valid_address(m) for m in _ANGLED.findall(element)) if a]
            if angled:
                found.append(angled[-1])
                continue
            outside = _ANGLED.sub(" ", element)
            found.extend(a for a in (valid_address(m) for m in _BARE.findall(outside)) if a)
    return list(dict.fromkeys(found))


def _elements(text: str) -> list[str]:
    """Split an address list at commas outside quotes, angle brackets and comments."""
    parts: list[str] = []
    current: list[str] = []
    quoted, angle, comment = False, 0, 0
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"' and not comment:
            quoted = not quoted
        elif not quoted:
            if ch == "(":
                comment += 1
            elif ch == ")" and comment:
                comment -= 1
            elif ch == "<" and not comment:
                angle += 1
            elif ch == ">" and angle and not comment:
                angle -= 1
            elif ch == "," and not angle and not comment:
                parts.append("".join(current))
                current = []
                continue
        current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]

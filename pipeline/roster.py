"""Match a sender to a roster unit by address, then by domain."""

from __future__ import annotations

from .config import Unit


class Roster:
    def __init__(self, units: list[Unit]):
        self.units = units
        self._by_addr = {a.lower(): u.name for u in units for a in u.addresses}
        self._by_domain = {d.lower().lstrip("@"): u.name for u in units for d in u.domains}

    def unit_for(self, address: str) -> str | None:
        address = address.strip().lower()
        if address in self._by_addr:
            return self._by_addr[address]
        domain = address.rpartition("@")[2]
        # Also accept sub-domains of a listed domain (mail.example.org.cn).
        while domain:
            if domain in self._by_domain:
                return self._by_domain[domain]
            _, _, domain = domain.partition(".")
        return None

    def addresses_of(self, unit: str) -> list[str]:
        for u in self.units:
            if u.name == unit:
                return list(u.addresses)
        return []

    @property
    def names(self) -> list[str]:
        return [u.name for u in self.units]

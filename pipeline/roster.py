"""Match a sender to a roster unit by address, then by an address staff remembered for
a unit (the ledger's unit_addresses, passed in), then by domain."""

from __future__ import annotations

from collections.abc import Mapping

from .config import Unit


class Roster:
    def __init__(self, units: list[Unit]):
        self.units = units
        self._by_addr = {a.lower(): u.name for u in units for a in u.addresses}
        self._by_domain = {d.lower().lstrip("@"): u.name for u in units for d in u.domains}

    def unit_for(self, address: str, remembered: Mapping[str, str] | None = None) -> str | None:
        """The unit of a sender. `remembered`: address (lower case) → unit, as staff
        remembered them; they come before domains, since staff said so for this address."""
        address = address.strip().lower()
        if address in self._by_addr:
            return self._by_addr[address]
        if remembered and remembered.get(address) in self.names:
            return remembered[address]
        domain = address.rpartition("@")[2]
        # Also accept sub-domains of a listed domain (mail.example.org.cn).
        while domain:
            if domain in self._by_domain:
                return self._by_domain[domain]
            _, _, domain = domain.partition(".")
        return None

    def configured(self, address: str) -> str | None:
        """The unit whose configured address this is (not by domain, not remembered)."""
        return self._by_addr.get(address.strip().lower())

    def addresses_of(self, unit: str) -> list[str]:
        for u in self.units:
            if u.name == unit:
                return list(u.addresses)
        return []

    @property
    def names(self) -> list[str]:
        return [u.name for u in self.units]

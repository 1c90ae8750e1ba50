"""The console's areas, one router each; `web/app.py` mounts them in this order.

A new page goes into the area it belongs to (or a new module here, added to
AREAS), declaring the permission it needs (accounts/roles.py).
"""

from . import accounts, cases, correspondence, downloads, overview, packet, reminders, scoring

AREAS = (
    overview.area,
    cases.area,
    correspondence.area,
    reminders.area,
    packet.area,
    scoring.area,
    downloads.area,
    accounts.area,
)

__all__ = ["AREAS"]

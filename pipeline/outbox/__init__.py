"""Outgoing mail: compose, enqueue as .eml, send, mark sent."""

from .compose import new_message, sender_domain
from .flush import flush
from .outcome import SendOutcome
from .queue import enqueue, receipts_sent_recently
from .send_now import send_now

__all__ = [
    "SendOutcome",
    "enqueue",
    "flush",
    "new_message",
    "receipts_sent_recently",
    "send_now",
    "sender_domain",
]

"""Outgoing mail: compose, enqueue as .eml, send, mark sent."""

from .compose import new_message, sender_domain
from .queue import enqueue, flush, receipts_sent_recently

__all__ = ["enqueue", "flush", "new_message", "receipts_sent_recently", "sender_domain"]

"""Message stage: raw RFC 5322 bytes from Chinese providers -> ParsedMessage."""

from .archives import expand_archive
from .biglinks import find_big_links
from .charset import decode_bytes
from .filenames import attachment_filename, sanitize_filename
from .headers import decode_header_value
from .parse import parse_message
from .replies import case_number_in, is_reply_subject
from .robots import RECEIPT_HEADER, automatic_reason

__all__ = [
    "RECEIPT_HEADER",
    "attachment_filename",
    "automatic_reason",
    "case_number_in",
    "decode_bytes",
    "decode_header_value",
    "expand_archive",
    "find_big_links",
    "is_reply_subject",
    "parse_message",
    "sanitize_filename",
]

"""Was this mail already sent? Look for its Message-ID in the Sent folder.

SMTP cannot be exactly-once: if we crash after the server's 250 but before
the ledger says `sent`, or the connection drops after DATA before the 250,
the row is `sending`/`unknown`. Where the account keeps copies of sent mail,
an ASCII HEADER search settles it. Three answers: True (it is there), False
(it is not), None (the check itself failed: the caller falls back to its rule).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from imapclient import IMAPClient, SocketTimeout

from ..config import Config

log = logging.getLogger(__name__)


def sent_folder_checker(config: Config) -> Callable[[str], bool | None] | None:
    name = config.smtp.sent_check_mailbox
    if not name:
        return None
    box = next(b for b in config.mailboxes if b.name == name)

    def already_sent(message_id: str) -> bool | None:
        try:
            timeout = SocketTimeout(connect=box.timeout_seconds, read=box.timeout_seconds)
            with IMAPClient(box.host, port=box.port, ssl=box.ssl, timeout=timeout) as client:
                if box.starttls:
                    client.starttls()
                if box.password is None:
                    raise ValueError(f"mailboxes[{name}].password is not set")
                client.login(box.user, box.password.resolve(f"mailboxes[{name}].password"))
                if client.has_capability("ID"):
                    client.id_({"name": "nomination-intake"})
                client.select_folder(config.smtp.sent_folder, readonly=True)
                return bool(client.search(["HEADER", "Message-ID", f"<{message_id}>"]))
        except Exception as exc:  # no answer: the caller's rule decides (at most one resend)
            log.warning("sent-folder check failed: %s", exc)
            return None

    return already_sent

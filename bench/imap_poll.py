"""Bench: a no-change poll of a 10,000-message mailbox through ImapSource.

Loads 10,000 small messages into a throw-away dovecot (MULTIAPPEND), then
times `ImapSource.fetch_new` with the cursor at the last UID on a warm
connection, and counts the bytes the client received. The baseline is what
a naive poller does: SELECT + `UID SEARCH ALL`. Run:

    .venv/bin/python bench/imap_poll.py [--messages 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from imapclient import IMAPClient  # noqa: E402
from mailservers import Dovecot, imap_mailbox  # noqa: E402

from pipeline.mailbox.imap import ImapSource  # noqa: E402


class ByteCounter:
    """Count bytes imaplib reads from the socket (lines and literals)."""

    def __init__(self, client: IMAPClient) -> None:
        self.received = 0
        imap = client._imap
        read, readline = imap.read, imap.readline

        def counted_read(size: int) -> bytes:
            data = read(size)
            self.received += len(data)
            return data

        def counted_readline() -> bytes:
            data = readline()
            self.received += len(data)
            return data

        imap.read, imap.readline = counted_read, counted_readline


def message(n: int) -> bytes:
    return (
        f"From: unit{n % 300}@example.cn\r\nTo: intake@example.org\r\nSubject: submission {n}\r\n"
        f"Message-ID: <bench{n}@example.cn>\r\n\r\nbody {n}\r\n"
    ).encode()


def measure(poll, counter: ByteCounter, rounds: int) -> tuple[float, int]:
    times, sizes = [], []
    for _ in range(rounds):
        before = counter.received
        start = time.perf_counter()
        poll()
        times.append(time.perf_counter() - start)
        sizes.append(counter.received - before)
    return statistics.median(times), int(statistics.median(sizes))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    server = Dovecot()
    server.start()
    try:
        user, password = "bench@example.org", "bench-pw"
        server.add_user(user, password)
        start = time.perf_counter()
        server.append_many(user, password, "INBOX", [message(n) for n in range(args.messages)])
        print(f"loaded {args.messages} messages in {time.perf_counter() - start:.1f} s")

        source = ImapSource(imap_mailbox(server, user, password))
        cursor = source.current_cursor()  # opens the persistent connection
        assert cursor.last_uid == args.messages, cursor
        counter = ByteCounter(source._client)

        def poll() -> None:
            got = list(source.fetch_new(cursor))
            assert got == [], f"no-change poll returned {len(got)} mails"

        poll_s, poll_bytes = measure(poll, counter, args.rounds)
        assert source.connects == 1

        baseline = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
        baseline.login(user, password)
        base_counter = ByteCounter(baseline)

        def naive() -> None:
            baseline.select_folder("INBOX", readonly=True)
            assert len(baseline.search("ALL")) == args.messages

        base_s, base_bytes = measure(naive, base_counter, args.rounds)
        baseline.logout()
        source.close()

        print(f"BENCH imap_nochange_poll_s {poll_s:.4f} s")
        print(f"BENCH imap_nochange_poll_bytes {poll_bytes} bytes")
        print(f"BENCH imap_baseline_select_search_all_s {base_s:.4f} s")
        print(f"BENCH imap_baseline_select_search_all_bytes {base_bytes} bytes")
        print(f"BENCH imap_nochange_poll_time_ratio {base_s / poll_s:.1f} x")
        print(f"BENCH imap_nochange_poll_bytes_ratio {base_bytes / max(1, poll_bytes):.1f} x")
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()

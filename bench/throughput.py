"""End-to-end throughput: a 1,000-message mixed mailbox in a real dovecot,
processed by Worker.run_cycle() with receipts sent to a local aiosmtpd,
compared with a plain imapclient fetch (BODY.PEEK[] of every UID) of the same
mailbox measured in the same run. Target: >= 40 messages/s.

    python bench/throughput.py [--messages 1000] [--per-minute 600000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench, deliver, intake_config, mixed_messages  # noqa: E402
from imapclient import IMAPClient  # noqa: E402
from mailservers import Dovecot, SmtpServer  # noqa: E402

from pipeline.config import load_config, resolve_secrets  # noqa: E402
from pipeline.worker import Worker  # noqa: E402

TARGET = 40.0


def plain_fetch(dovecot: Dovecot, user: str, password: str, batch: int = 20) -> tuple[int, int]:
    """What reading the mailbox costs by itself: (messages, bytes)."""
    n = size = 0
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=60) as c:
        c.login(user, password)
        c.select_folder("INBOX", readonly=True)
        uids = c.search("ALL")
        for i in range(0, len(uids), batch):
            for item in c.fetch(uids[i : i + batch], ["BODY.PEEK[]", "INTERNALDATE"]).values():
                n += 1
                size += len(item[b"BODY[]"])
    return n, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--per-minute", type=int, default=600_000, help="smtp.per_minute for the run")
    ap.add_argument("--profile", action="store_true", help="print the top of a cProfile of the cycle")
    ap.add_argument("--profile-file", type=Path, help="also dump the cProfile stats here (for pstats)")
    args = ap.parse_args()

    dovecot, smtp = Dovecot(), SmtpServer()
    dovecot.start()
    smtp.up()
    tmp = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    try:
        user, password = "bench@example.org", "bench-pw-1"
        dovecot.add_user(user, password)
        t = time.perf_counter()
        plan, unit_list = mixed_messages(args.messages, tag="tp")
        bench("throughput_generate_seconds", time.perf_counter() - t, "s")
        deliver(dovecot, user, password, plan)

        t = time.perf_counter()
        n, size = plain_fetch(dovecot, user, password)
        fetch_s = time.perf_counter() - t
        bench("imap_plain_fetch", n / fetch_s, "messages/s")
        bench("imap_plain_fetch_mb", size / 1e6 / fetch_s, "MB/s")

        # The SMTP throttle (smtp.per_minute, 20/min by default for QQ) is a
        # setting, not pipeline cost: set it high so the figure measures the pipeline.
        config_path = intake_config(
            tmp, dovecot, (user, password), smtp, unit_list, smtp_extra={"per_minute": args.per_minute}
        )
        os.chdir(tmp)
        config = load_config(config_path)
        resolve_secrets(config)
        worker = Worker(config)
        profiler = cProfile.Profile() if args.profile or args.profile_file else None
        t = time.perf_counter()
        if profiler:
            profiler.enable()
        report = worker.run_cycle()
        if profiler:
            profiler.disable()
        cycle_s = time.perf_counter() - t
        worker.close()
        processed = sum(report.processed.values())
        assert processed == args.messages, report
        assert not report.errors, report.errors
        rate = processed / cycle_s
        bench("pipeline_end_to_end", rate, "messages/s")
        bench("pipeline_receipts_sent", report.sent.get("sent", 0), "mails")
        bench("pipeline_vs_plain_fetch_ratio", rate / (n / fetch_s), "x")
        bench("pipeline_per_message", 1000 * cycle_s / processed, "ms")
        print(f"target >= {TARGET:.0f} messages/s: {'met' if rate >= TARGET else 'MISSED'}")
        if profiler:
            if args.profile_file:
                profiler.dump_stats(str(args.profile_file))
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(25)
        return 0
    finally:
        smtp.down()
        dovecot.cleanup()


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory for one message with a 100 MB attachment, against the message
size: processing it (`run.py once` in a subprocess, through a real dovecot)
should peak at <= 2.5 x the message size. Baseline: a process that only reads
the raw .eml file.

    python bench/memory.py [--mb 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEADLINE, ROOT, bench, deliver, intake_config, mixed_messages, peak_rss  # noqa: E402
from intake_env import DOCX, Nomination  # noqa: E402
from mailservers import Dovecot, SmtpServer  # noqa: E402
from samples import article_docx, form_docx  # noqa: E402

TARGET = 2.5


def big_message(mb: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "bjzj@bj.example.cn"
    msg["To"] = "intake@society.example.cn"
    msg["Subject"] = "北京推荐材料（含视频）"
    msg["Message-ID"] = "<big-1@bj.example.cn>"
    msg["Date"] = format_datetime(DEADLINE - timedelta(days=2))
    msg.set_content("附件是推荐表、图文案例和视频。")
    form = form_docx(Nomination.sample("北京针灸学会", "北京针灸"))
    msg.add_attachment(form, maintype=DOCX[0], subtype=DOCX[1], filename="附件1推荐表.docx")
    msg.add_attachment(article_docx("图文案例"), maintype=DOCX[0], subtype=DOCX[1], filename="图文案例.docx")
    msg.add_attachment(os.urandom(mb * 1024 * 1024), maintype="video", subtype="mp4", filename="案例视频.mp4")
    return msg.as_bytes()


def backlog(dovecot: Dovecot, smtp: SmtpServer, tmp: Path, n: int) -> None:
    """Peak memory of one `once` over an n-message mixed backlog: must not grow with n."""
    user, password = f"backlog{n}@example.org", "backlog-pw-1"
    dovecot.add_user(user, password)
    plan, unit_list = mixed_messages(n, tag="mem")
    deliver(dovecot, user, password, plan)
    work = tmp / f"backlog{n}"
    work.mkdir()
    config = intake_config(work, dovecot, (user, password), smtp, unit_list)
    import time

    t = time.perf_counter()
    code, peak, err = peak_rss(
        [sys.executable, str(ROOT / "run.py"), "once", "--quiet", "--config", str(config)], cwd=work
    )
    assert code == 0, err
    bench(f"memory_backlog_{n}_peak", peak, "MB")
    bench(f"memory_backlog_{n}_seconds", time.perf_counter() - t, "s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument(
        "--backlog", type=int, default=2000, help="also measure a mixed backlog of N messages (0: skip)"
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    raw = big_message(args.mb)
    eml = tmp / "big.eml"
    eml.write_bytes(raw)
    size_mb = len(raw) / 1024 / 1024
    bench("memory_message_size", size_mb, "MB")
    del raw

    code, base, err = peak_rss([sys.executable, "-c", f"open({str(eml)!r}, 'rb').read()"])
    assert code == 0, err
    bench("memory_baseline_read_raw_peak", base, "MB")
    bench("memory_baseline_ratio", base / size_mb, "x")

    dovecot, smtp = Dovecot(), SmtpServer()
    dovecot.start()
    smtp.up()
    try:
        user, password = "big@example.org", "big-pw-1"
        dovecot.add_user(user, password)
        dovecot.append(user, password, "INBOX", eml.read_bytes(), DEADLINE - timedelta(days=2))
        limits = {"max_message_mb": args.mb * 2 + 10, "max_attachment_mb": args.mb + 10}
        work = tmp / "imap"
        work.mkdir()
        config = intake_config(
            work,
            dovecot,
            (user, password),
            smtp,
            [{"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"]}],
        )
        import yaml

        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["limits"] = limits
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        code, peak, err = peak_rss(
            [sys.executable, str(ROOT / "run.py"), "once", "--quiet", "--config", str(config)], cwd=work
        )
        assert code == 0, err
        bench("memory_once_imap_peak", peak, "MB")
        ratio = peak / size_mb
        bench("memory_once_imap_ratio", ratio, "x")
        bench("memory_once_imap_over_baseline", (peak - base) / size_mb, "x")
        print(f"target <= {TARGET} x message size: {'met' if ratio <= TARGET else 'MISSED'}")
        if args.backlog:
            backlog(dovecot, smtp, tmp, args.backlog)
        return 0
    finally:
        smtp.down()
        dovecot.cleanup()


if __name__ == "__main__":
    sys.exit(main())

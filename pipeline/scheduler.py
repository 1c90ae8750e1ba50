"""`run.py serve`: the long-running worker (APScheduler, foreground).

Polls each mailbox every N minutes (IDLE wakes it sooner where the server
has IDLE), sends the daily digest at HH:MM, reminders on their schedule and
the upstream-selection reminder. One job instance at a time per job, and the
mailbox lock in worker.py keeps polls of one mailbox apart.
"""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import Config
from .errors import UserFacingError
from .logsetup import TERMINAL, describe
from .mailbox import MailboxError
from .staff.digest import run_digest
from .staff.reminders import remind_upstream_selection, run_reminders
from .worker import MailboxBusy, Worker

log = logging.getLogger(__name__)


def serve(config: Config, stop: threading.Event | None = None) -> int:
    stop = stop or threading.Event()
    worker = Worker(config)
    sched = BackgroundScheduler(timezone=config.tz, job_defaults={"max_instances": 1, "coalesce": True})

    def poll(name: str) -> None:
        try:
            n = worker.poll_mailbox(name)
            if n:
                log.warning("邮箱 %s：处理新邮件 %d 封", name, n, extra=TERMINAL)
        except MailboxBusy:
            return
        except Exception as exc:
            _say(exc)
        from .notices.to_staff import maybe_alert_mailbox

        try:
            maybe_alert_mailbox(config, worker.ledger, name)
            worker.intake.resume_stale()
            with _flush_lock:
                worker.flush()
        except Exception as exc:  # the outbox keeps every mail: the next poll sends it
            _say(exc)

    _flush_lock = threading.Lock()
    for box in config.mailboxes:
        sched.add_job(poll, IntervalTrigger(minutes=box.poll_minutes), args=[box.name], id=f"poll:{box.name}")
    t = config.this_level.digest_time
    sched.add_job(
        _reported(lambda: run_digest(config, send=True)),
        CronTrigger(hour=t.hour, minute=t.minute),
        id="digest",
    )
    r = config.this_level.reminder_time
    sched.add_job(
        _reported(lambda: (run_reminders(config, send=True), remind_upstream_selection(config, send=True))),
        CronTrigger(hour=r.hour, minute=r.minute),
        id="reminders",
    )
    sched.start()

    def _stop(*_):
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
    console = None
    if config.web.enabled:
        from .web.server import console_address, start_in_thread

        console, _ = start_in_thread(config)
        print(f"控制台：{console_address(config)}", flush=True)
    print(f"开始运行：{len(config.mailboxes)} 个邮箱，按 Ctrl-C 停止。", flush=True)
    for box in config.mailboxes:
        poll(box.name)
    idle_threads = [
        threading.Thread(target=_idle_loop, args=(config, box.name, poll, stop), daemon=True)
        for box in config.mailboxes
        if box.kind == "imap" and box.idle
    ]
    for th in idle_threads:
        th.start()
    stop.wait()
    print("正在停止……", flush=True)
    if console is not None:
        console.should_exit = True
    sched.shutdown(wait=True)
    worker.close()
    print("已停止。", flush=True)
    return 0


def _say(exc: Exception) -> None:
    """One Chinese line on the terminal; the traceback goes to the log file."""
    text = str(exc) if isinstance(exc, MailboxError | UserFacingError) else describe(exc)
    log.error("错误：%s", text, exc_info=exc, extra=TERMINAL)


def _reported(job):
    """A scheduled staff job: a mail that did not go is one Chinese line, not a traceback."""

    def run() -> None:
        try:
            job()
        except Exception as exc:
            _say(exc)

    return run


def _idle_loop(config: Config, name: str, poll, stop: threading.Event) -> None:
    """Wait on IDLE with a separate connection; poll as soon as mail arrives."""
    from .mailbox import open_source

    box = next(b for b in config.mailboxes if b.name == name)
    source = None
    while not stop.is_set():
        try:
            source = source or open_source(box)
            if source.wait_for_new(timeout=60):
                poll(name)
        except Exception as exc:
            log.info("IDLE on %s stopped (%s); polling continues", name, exc)
            if source is not None:
                try:
                    source.close()
                except Exception:
                    pass
                source = None
            stop.wait(30)
    if source is not None:
        source.close()

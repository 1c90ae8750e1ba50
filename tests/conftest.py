"""Fixtures that start real mail servers (dovecot, aiosmtpd) on loopback."""

from __future__ import annotations

import atexit
import gc
import itertools
import logging
import os
import secrets
import shutil
import sys
import tempfile

import pytest
from argon2 import PasswordHasher
from browser import browser  # noqa: F401  (Playwright + Debian chromium, session-wide)
from mailservers import INSTALL_HINT, Dovecot, SmtpServer, dovecot_binary
from pg import INSTALL_HINT as PG_INSTALL_HINT
from pg import PgCluster, pg_bindir

from pipeline.accounts import passwords

_user_numbers = itertools.count(1)

# PP-OCR on one thread: the suite runs a worker per core and one more, and two engines
# each spinning a pool on both cores took ~40 % more CPU and longer (measured on
# test_ocr.py with two workers: 70 s of CPU and 70 s wall with the default pools, 45 s
# and 44 s with one thread).
# Set before anything starts: run.py children and the sandbox child inherit it.
os.environ.setdefault("INTAKE_OCR_THREADS", "1")

# argon2id at its lowest cost in the test processes: the suite adds and signs in hundreds
# of accounts, and the product's cost (argon2-cffi's defaults, RFC 9106's low-memory
# choice: ~0.3 s of CPU a hash) would make that a minute of the run. Hashing and checking
# run the same code; a hash records its own cost, so `run.py web` children (which keep the
# product's cost) check these and rehash them at sign-in as they would an old hash.
# tests/test_password_cost.py checks the product's cost in a fresh process.
passwords.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# One folder per test run, shared by its workers (they inherit the environment of the
# process that starts them), where a scan read more than once in the run keeps its
# reading (tests/shared_readings.py). The folder goes when the run ends.
SHARED_READINGS = "INTAKE_TEST_SHARED_READINGS"


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        atexit.register(_leave_worker)  # registered first: runs after every other exit handler
    if not hasattr(config, "workerinput") and SHARED_READINGS not in os.environ:
        os.environ[SHARED_READINGS] = tempfile.mkdtemp(prefix="intake-readings-")
        config._intake_shared_readings = os.environ[SHARED_READINGS]


def pytest_collection_finish(session):
    """The collector, tuned for a test process (the product keeps Python's defaults).

    Everything imported by now (the stack, the test modules) lives for the whole run:
    frozen, full collections no longer walk it again. The young generation is collected
    every 50,000 allocations instead of 700: tests allocate in bursts (a parsed mail, a
    rendered page) that mostly die young anyway. Measured on `make test-fast`: a worker's
    collections took ~5-6 s of CPU before, 2-2.5 s after; the children a worker forks
    (the document sandbox) inherit both."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _leave_worker() -> None:
    """An xdist worker's last act: exit without tearing the interpreter down.

    Its results are with the controller and every exit handler has run (the warm
    LibreOffice and the sandbox child are stopped; whatever they started dies with
    its lifeline anyway). What is left is freeing the worker's heap and the OCR engine,
    which kept each worker busy ~8 s at the end of every run when the heap held ~1.5
    million objects (py-spy showed no Python frame: the interpreter's own finalisation).
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


def pytest_unconfigure(config):
    folder = getattr(config, "_intake_shared_readings", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(SHARED_READINGS, None)


# ---------------------------------------------------------------- the `slow` mark
# `make test-fast` (-m "not slow") is the edit-test loop: under a minute, and every
# package still runs. What it leaves to `make test` carries the `slow` mark, given
# here rather than on each test so the whole choice reads in one place. A test is
# slow when it costs seconds of CPU: real processes started, killed or disturbed,
# OCR of whole pages (3-6 s each), LibreOffice conversions, a browser, or a whole
# console installation. (tests/test_suite_marks.py checks every name below exists.)

SLOW_FILES = {
    "test_ocr.py": "PP-OCR of whole scans and photos",
    "test_ocr_pages.py": "PP-OCR of a 40-page scanned PDF",
    "test_ocr_corpus.py": "PP-OCR of 15 copies and photos of the stamped Word form",
    "test_ocr_model.py": "PP-OCR's models folded and run against the shipped ones",
    "test_ocr_resources.py": "OCR under a memory cap, scans through the mail pipeline",
    "test_scale.py": "concurrent run.py workers, a 120-mail backlog",
    "test_crash_harness.py": "24 SIGKILLed run.py processes over 120 mails",
    "test_web_security.py": "a whole console installation (a scan read by OCR)",
    "test_web_flows.py": "chromium against run.py web",
    "test_web_staff_tools.py": "chromium against run.py web",
    "test_web_scan_marks.py": "chromium against a console with a stamped copy read by OCR",
    "test_terminal_noise.py": "run.py processes disturbed while they run",
    "test_formats_pipeline.py": "every format through the mail pipeline (LibreOffice, OCR)",
    "test_process_lifetime.py": "run.py killed while LibreOffice starts or OCR runs",
    "test_convert.py": "LibreOffice conversions",
    "test_legacy_files.py": "inputs made by LibreOffice",
    "test_pdf_reader.py": "PDFs made by LibreOffice",
    "test_serve.py": "run.py serve and the console beside it",
    "test_printed_sheets.py": "every sheet printed to PDF by LibreOffice",
    "test_packet_scoring_pages.py": "chromium against the console",
    "test_second_campaign_end_to_end.py": "a second campaign through dovecot and SMTP (a .doc by LibreOffice)",
}
SLOW_FIXTURES = {  # wherever a test uses one of these
    "browser": "chromium",
    "console": "a whole console installation",
    "legacy": "documents converted by LibreOffice",
    "converter": "a warm LibreOffice",
    "xls_book": "an .xls made by LibreOffice",
    "private_dovecot": "a dovecot of the test's own, stopped or restarted",
}
SLOW_TESTS = {  # single tests (all their parameters) in files that are otherwise fast
    "test_faults.py": {
        "test_ledger_locked_by_another_process_waits_then_processes_everything",
        "test_file_size_limit_while_storing_raw_mail_loses_nothing",
    },
    "test_scan_prep.py": {
        "test_survey_finds_the_turn_that_makes_text_upright",
        "test_survey_measures_skew",
        "test_flatten_undoes_a_photo_perspective",
    },
    "test_dispatch.py": {"test_mutated_files_never_raise"},
    "test_packet_recommender.py": {"test_the_letter_prints_readable_and_a_scanned_original_goes_up"},
    "test_big_messages.py": {"test_40mb_message_through_dovecot_is_fetched_in_pieces_and_parsed_identically"},
    "test_mime_fuzz.py": {"test_structured_messages_never_raise"},
    "test_notices.py": {"test_scan_receipt_is_for_staff_to_check_and_accept_repeats_nothing"},
    "test_label_scan.py": {"test_label_matches_equals_full_scan"},
    "test_cli.py": {  # real child processes with real pipes
        "test_status_into_head_exits_quietly",
        "test_ledger_commands_with_a_closed_pipe",
        "test_extract_with_a_closed_pipe",
        "test_only_a_closed_stdout_counts_as_a_closed_pipe",
        "test_help_with_a_closed_pipe",
        "test_once_with_a_closed_pipe_keeps_its_errors_and_exit_status",
        "test_once_prints_errors_before_the_status_table",
        "test_outside_the_venv_says_how_to_run_it",
    },
    "test_two_staff.py": {
        "test_two_run_py_decide_processes_with_the_version_show_printed",
        "test_the_console_decides_on_the_version_it_rendered",
    },
    "test_intake_steps.py": {"test_parse_reads_only_the_envelope_of_a_mail_too_big_to_open"},
    "test_ledger_damage.py": {"test_damaged_sqlite_ledger_stops_every_command_with_one_chinese_line"},
    "test_journal.py": {"test_rebuild_restores_split_accounts_and_staff_work_with_the_same_case_numbers"},
    "test_ledger_recovery.py": {
        "test_lost_or_emptied_sqlite_ledger_is_refused_then_rebuilt_without_sending_twice",
        "test_ledger_restored_from_an_older_backup_is_refused_then_completed",
        "test_emptied_postgresql_ledger_is_refused_then_rebuilt",
    },
    "test_summary.py": {
        "test_opens_in_libreoffice",
        "test_prints_on_a4_landscape_readable",
    },
    "test_scoring.py": {"test_libreoffice_computes_totals_averages_and_ranking"},
    "test_form_docx.py": {"test_filled_forms_print_on_a4"},
    "test_form_init.py": {"test_example_blank_form_as_doc_and_pdf", "test_the_command"},
    "test_second_campaign_reading.py": {
        "test_ocr_looks_for_the_campaign_form",
        "test_a_grey_200_dpi_picture_of_the_filled_form_reads_every_field",
        "test_extract_command_with_the_config",
    },
    "test_word_structures.py": {"test_gif_scan_is_read_by_ocr"},
    "test_unit_addresses.py": {
        "test_assigning_a_stranger_remembers_its_address_until_staff_remove_it",
        "test_without_the_tick_nothing_is_remembered",
    },
    "test_audit_filter.py": {"test_the_audit_sheet_prints_readably"},
    "test_health_and_reminders.py": {"test_failing_mailbox_alerts_staff_once_and_shows_in_the_digest"},
    "test_chain.py": {"test_cast_reads_the_societys_packet"},
    "test_web_limits.py": {"test_two_consoles_on_one_ledger_check_five_passwords"},
    "test_chinese_only.py": {"test_a_damaged_sqlite_ledger"},
    "test_reply_rules.py": {"test_the_console_shows_each_reply_and_takes_a_proposal_in_one_click"},
    "test_web_postgres.py": {"test_console_and_worker_share_a_postgresql_ledger"},
    "test_demo_live_apart.py": {"test_the_live_configuration_runs_beside_the_demo"},
    "test_ledger_migrations.py": {"test_workers_starting_together_migrate_once"},
    "test_restore_staff_work.py": {
        "test_restore_replays_what_staff_did_after_the_backup",
        "test_a_ledger_put_back_by_hand_is_refused_until_rebuild",
    },
}


def is_slow(item: pytest.Item) -> bool:
    name = item.path.name
    return (
        name in SLOW_FILES
        or getattr(item, "originalname", item.name) in SLOW_TESTS.get(name, ())
        or not SLOW_FIXTURES.keys().isdisjoint(getattr(item, "fixturenames", ()))
    )


# The files that take longest, longest first (seconds on a quiet machine, one process,
# 2026-12-07; tests/test_suite_marks.py checks the names). They run first: with several
# workers the long ones start early and the short ones fill in at the end, instead of
# one long file running alone at the end (the Makefile keeps xdist from reordering).
COSTLIEST_FIRST = (
    "test_ocr_corpus.py",  # 52
    "test_scale.py",  # 35
    "test_ocr.py",  # 30
    "test_crash_harness.py",  # 29
    "test_web_flows.py",  # 26
    "test_ocr_pages.py",  # 20
    "test_faults.py",  # 19
    "test_ocr_resources.py",  # 18
    "test_convert.py",  # 18
    "test_web_case_page.py",  # 17
    "test_two_staff.py",  # 16
    "test_audit_filter.py",  # 15
    "test_cli.py",  # 14
    "test_terminal_noise.py",  # 13
    "test_imap_source.py",  # 12
    "test_ledger_recovery.py",  # 12
    "test_ledger_migrations.py",  # 12
    "test_web_scan_marks.py",  # 11
    "test_dispatch.py",  # 11
    "test_printed_sheets.py",  # 10
    "test_packet_scoring_pages.py",  # 10
    "test_formats_pipeline.py",  # 9
    "test_big_messages.py",  # 9
    "test_scan_prep.py",  # 9
    "test_process_lifetime.py",  # 9
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)
    order = {name: rank for rank, name in enumerate(COSTLIEST_FIRST)}
    items.sort(key=lambda item: order.get(item.path.name, len(order)))


def _dovecot():
    if not dovecot_binary():
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = Dovecot()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def dovecot_server():
    """One dovecot for the whole session; tests isolate themselves by user."""
    yield from _dovecot()


@pytest.fixture
def private_dovecot():
    """A dovecot of one's own, for tests that stop or restart the server."""
    yield from _dovecot()


@pytest.fixture
def imap_account(dovecot_server) -> tuple[str, str]:
    """A fresh (user, password) on the session dovecot."""
    user = f"u{next(_user_numbers)}-{secrets.token_hex(4)}@example.org"
    password = secrets.token_urlsafe(12)
    dovecot_server.add_user(user, password)
    return user, password


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.up()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def pg_cluster():
    """One throw-away PostgreSQL for the session; tests isolate themselves by database."""
    if pg_bindir() is None:
        pytest.fail(PG_INSTALL_HINT, pytrace=False)
    cluster = PgCluster()
    cluster.start()
    yield cluster
    cluster.stop()

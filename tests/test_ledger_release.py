"""A Ledger nobody holds any more is freed with its engine and connections:
serve's daily jobs and the staff commands each open one, for months."""

from __future__ import annotations

import gc
import weakref

from pipeline.ledger import Ledger, journal


def test_dropped_ledgers_free_their_engines(tmp_path):
    engines = []
    for i in range(3):
        ledger = Ledger(f"sqlite:///{tmp_path / f'ledger{i}.sqlite3'}")
        with ledger.session():
            pass
        engines.append(weakref.ref(ledger.engine))
        del ledger
    gc.collect()
    assert [e() for e in engines] == [None, None, None]


def test_committed_lines_still_reach_their_own_ledgers_journal(tmp_path):
    """Two ledgers in one process: each commit's staged line goes to its own journal."""
    ledgers = {}
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name / 'ledger.sqlite3'}"
        journal.register(url, tmp_path / name / "journal")
        ledgers[name] = Ledger(url)
    for name, ledger in ledgers.items():
        with ledger.session() as s:
            journal.stage(s, journal.CLAIMS, {"who": name})
    for name in ledgers:
        lines = list(journal.Journal(tmp_path / name / "journal").read(journal.CLAIMS))
        assert [line["who"] for line in lines] == [name]

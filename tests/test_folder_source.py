"""FolderSource: a directory of .eml files behaving like a mailbox."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipeline.config import Mailbox
from pipeline.mailbox import MailboxConfigError, MailboxCursor, MailSource, open_source
from pipeline.mailbox.folder import FolderSource, arrival_time


def eml(subject: str, arrival: str | None = None) -> bytes:
    head = f"From: a@example.cn\r\nSubject: {subject}\r\n"
    if arrival:
        head += f"X-Demo-Arrival: {arrival}\r\n"
    return (head + "\r\nbody\r\n").encode()


def box(path) -> Mailbox:
    return Mailbox(name="演示", kind="folder", path=str(path))


def test_uids_follow_sorted_names_and_are_incremental(tmp_path):
    (tmp_path / "02.eml").write_bytes(eml("二"))
    (tmp_path / "01.eml").write_bytes(eml("一"))
    (tmp_path / "notes.txt").write_text("not mail")
    (tmp_path / "sub.eml").mkdir()  # a directory named like mail is ignored
    src = open_source(box(tmp_path))
    assert isinstance(src, FolderSource) and isinstance(src, MailSource)
    mails = list(src.fetch_new(MailboxCursor(None, 0)))
    assert [(m.uid, m.raw) for m in mails] == [(1, eml("一")), (2, eml("二"))]
    cursor = src.current_cursor()
    assert cursor == MailboxCursor(mails[0].uidvalidity, 2)

    (tmp_path / "03.eml").write_bytes(eml("三"))
    assert [m.raw for m in src.fetch_new(cursor)] == [eml("三")]
    assert [m.uid for m in src.fetch_new(MailboxCursor(None, 0), known=lambda u: u != 2)] == [2]


def test_uidvalidity_is_stable_per_path_and_differs_between_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "1.eml").write_bytes(eml("x"))
    (b / "1.eml").write_bytes(eml("y"))
    assert FolderSource(box(a)).uidvalidity == FolderSource(box(a)).uidvalidity
    assert FolderSource(box(a)).uidvalidity != FolderSource(box(b)).uidvalidity
    # A cursor from another folder (other UIDVALIDITY) means: read everything.
    other = MailboxCursor(FolderSource(box(b)).uidvalidity, 1)
    assert [m.raw for m in FolderSource(box(a)).fetch_new(other)] == [eml("x")]


def test_arrival_header_or_mtime(tmp_path):
    (tmp_path / "1.eml").write_bytes(eml("aware", "2021-08-02T17:00:01+08:00"))
    (tmp_path / "2.eml").write_bytes(eml("naive", "2021-08-02 16:59"))
    (tmp_path / "3.eml").write_bytes(eml("none"))
    (tmp_path / "4.eml").write_bytes(eml("garbage", "next tuesday"))
    stamp = datetime(2021, 8, 1, 12, tzinfo=UTC).timestamp()
    for name in ("3.eml", "4.eml"):
        os.utime(tmp_path / name, (stamp, stamp))
    dates = [m.internaldate for m in FolderSource(box(tmp_path)).fetch_new(MailboxCursor(None, 0))]
    beijing = timezone(timedelta(hours=8))
    assert dates[0] == datetime(2021, 8, 2, 17, 0, 1, tzinfo=beijing)
    assert dates[1] == datetime(2021, 8, 2, 16, 59, tzinfo=beijing)
    assert dates[2] == dates[3] == datetime(2021, 8, 1, 12, tzinfo=UTC)
    assert all(d.tzinfo is not None for d in dates)


def test_arrival_header_in_body_is_ignored():
    raw = b"Subject: x\r\n\r\nX-Demo-Arrival: 2020-01-01T00:00:00+00:00\r\n"
    assert arrival_time(raw, 0.0) == datetime(1970, 1, 1, tzinfo=UTC)


def test_missing_folder_is_a_config_error(tmp_path):
    src = FolderSource(box(tmp_path / "nope"))
    with pytest.raises(MailboxConfigError, match="找不到文件夹"):
        list(src.fetch_new(MailboxCursor(None, 0)))


def test_wait_for_new_sees_a_new_file(tmp_path):
    src = FolderSource(box(tmp_path), poll_interval=0.05)
    assert src.wait_for_new(0.2) is False
    timer = threading.Timer(0.2, lambda: (tmp_path / "new.eml").write_bytes(eml("new")))
    timer.start()
    try:
        assert src.wait_for_new(20) is True
    finally:
        timer.join()


def test_mark_processed_leaves_files_in_place(tmp_path):
    (tmp_path / "1.eml").write_bytes(eml("keep"))
    src = FolderSource(box(tmp_path))
    (mail,) = src.fetch_new(MailboxCursor(None, 0))
    src.mark_processed(mail)
    src.close()
    assert (tmp_path / "1.eml").read_bytes() == eml("keep")

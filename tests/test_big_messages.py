"""Big messages: chunked IMAP fetch and out-of-parser base64 decoding give
exactly what the plain paths give (see bench/memory.py for why they exist)."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mailservers import imap_mailbox

from pipeline.config import Limits
from pipeline.mailbox import MailboxCursor
from pipeline.mailbox import imap as imap_module
from pipeline.mailbox.imap import ImapSource
from pipeline.message import bigparts
from pipeline.message import parse as parse_module
from pipeline.message.parse import parse_message

WHEN = datetime(2021, 8, 1, 10, tzinfo=UTC)
LIMITS = Limits(max_message_mb=200, max_attachment_mb=100)


def big_mail(*payloads: tuple[bytes, str, str], forwarded: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = "bjzj@bj.example.cn"
    msg["To"] = "intake@example.org"
    msg["Subject"] = "北京推荐材料（含视频）"
    msg["Message-ID"] = "<big-test@bj.example.cn>"
    msg.set_content("附件是推荐表和视频。")
    for data, name, ctype in payloads:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    if not forwarded:
        return msg.as_bytes(policy=SMTP)
    outer = EmailMessage()
    outer["From"] = "sh@sh.example.cn"
    outer["Subject"] = "转发：推荐材料"
    outer["Message-ID"] = "<fwd@sh.example.cn>"
    outer.set_content("请查收转发的邮件。")
    outer.add_attachment(msg)
    return outer.as_bytes(policy=SMTP)


def summary(parsed):
    return (
        parsed.message_id,
        parsed.subject,
        parsed.from_addr,
        parsed.body_text,
        [(a.name, a.content_type, a.origin, a.sha256, a.size, a.defects) for a in parsed.attachments],
        parsed.defects,
        parsed.problems,
    )


def plain_parse(raw: bytes, monkeypatch):
    """parse_message through the stdlib path only (big-body splitting off)."""
    with monkeypatch.context() as m:
        m.setattr(parse_module, "split_big_bodies", lambda raw: None)
        return parse_message(raw, LIMITS)


# ---------------------------------------------------------------- IMAP


def fetch_all(server, account, **overrides):
    src = ImapSource(imap_mailbox(server, *account, **overrides))
    try:
        return list(src.fetch_new(MailboxCursor(None, 0)))
    finally:
        src.close()


def spy_big_fetch(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = ImapSource._fetch_big

    def spy(self, client, uid, info, uidvalidity):
        calls.append(uid)
        return original(self, client, uid, info, uidvalidity)

    monkeypatch.setattr(ImapSource, "_fetch_big", spy)
    return calls


def test_40mb_message_through_dovecot_is_fetched_in_pieces_and_parsed_identically(
    dovecot_server, imap_account, monkeypatch
):
    video = os.urandom(40 * 1024 * 1024 + 123)
    raw = big_mail(
        (b"PK\x03\x04 small", "附件1推荐表.docx", "application/octet-stream"),
        (video, "案例视频.mp4", "video/mp4"),
    )
    small = big_mail()
    dovecot_server.append(*imap_account, "INBOX", small, WHEN)
    dovecot_server.append(*imap_account, "INBOX", raw, WHEN)
    calls = spy_big_fetch(monkeypatch)
    first, second = fetch_all(dovecot_server, imap_account, processed_folder="已处理")  # read-write
    assert calls == [second.uid]  # only the big one went the chunked way
    assert first.raw == small
    assert isinstance(second.raw, bytes)
    assert second.raw == raw
    assert hashlib.sha256(second.raw).digest() == hashlib.sha256(raw).digest()
    assert second.internaldate == WHEN
    for _uid, _date, flags in dovecot_server.messages_with_flags(*imap_account, "INBOX"):
        assert b"\\Seen" not in flags  # BODY.PEEK for every piece

    parsed = parse_message(second.raw, LIMITS)
    (att,) = [a for a in parsed.attachments if a.name == "案例视频.mp4"]
    assert att.data == video
    assert att.sha256 == hashlib.sha256(video).hexdigest()
    assert parsed.body_text == "附件是推荐表和视频。"
    assert summary(parsed) == summary(plain_parse(second.raw, monkeypatch))


@pytest.mark.parametrize("extra", [0, 1, -1])
def test_chunk_boundaries_give_identical_bytes(dovecot_server, imap_account, monkeypatch, extra):
    """A message that ends exactly on, just after or just before a piece boundary."""
    monkeypatch.setattr(imap_module, "BIG_MESSAGE", 50_000)
    monkeypatch.setattr(imap_module, "CHUNK", 16_384)
    head = big_mail()
    filler = 16_384 * 8 - len(head) - len(b"X-Pad: \r\n") + extra
    raw = head.replace(b"\r\n\r\n", b"\r\nX-Pad: " + b"p" * filler + b"\r\n\r\n", 1)
    assert len(raw) == 16_384 * 8 + extra
    dovecot_server.append(*imap_account, "INBOX", raw, WHEN)
    calls = spy_big_fetch(monkeypatch)
    (mail,) = fetch_all(dovecot_server, imap_account)
    assert calls == [mail.uid]
    assert mail.raw == raw


def test_several_big_messages_in_one_batch_keep_uid_order(dovecot_server, imap_account, monkeypatch):
    monkeypatch.setattr(imap_module, "BIG_MESSAGE", 100_000)
    monkeypatch.setattr(imap_module, "CHUNK", 30_000)
    raws = [
        big_mail((os.urandom(size), f"f{n}.bin", "application/octet-stream"))
        for n, size in enumerate([200_000, 10, 150_000, 20])
    ]
    for raw in raws:
        dovecot_server.append(*imap_account, "INBOX", raw, WHEN)
    calls = spy_big_fetch(monkeypatch)
    mails = fetch_all(dovecot_server, imap_account)
    assert [m.raw for m in mails] == raws
    assert calls == [mails[0].uid, mails[2].uid]


# ---------------------------------------------------------------- parse


def test_big_parts_are_decoded_outside_the_parser(monkeypatch):
    one, two = os.urandom(3_000_001), os.urandom(2_000_000)
    raw = big_mail((one, "视频一.mp4", "video/mp4"), (two, "照片.jpg", "image/jpeg"))
    split = bigparts.split_big_bodies(raw)
    assert split is not None and sorted(split.bodies.values(), key=len) == [two, one]
    assert len(split.raw) < 10_000
    parsed = parse_message(raw, LIMITS)
    assert [a.data for a in parsed.attachments] == [one, two]
    assert summary(parsed) == summary(plain_parse(raw, monkeypatch))


def test_forwarded_message_with_big_attachment(monkeypatch):
    video = os.urandom(2_500_000)
    raw = big_mail((video, "案例视频.mp4", "video/mp4"), forwarded=True)
    assert bigparts.split_big_bodies(raw) is not None
    parsed = parse_message(raw, LIMITS)
    (att,) = parsed.attachments
    assert att.data == video and att.origin.startswith("转发邮件1/")
    assert parsed.body_text == "请查收转发的邮件。"
    assert summary(parsed) == summary(plain_parse(raw, monkeypatch))


def test_lf_only_line_endings_and_small_pieces(monkeypatch):
    """Decoding piece by piece where pieces do not fall on line or quad boundaries."""
    monkeypatch.setattr(bigparts, "PIECE", 1_001)
    for size in (1_500_000, 1_500_001, 1_500_002):
        data = os.urandom(size)
        raw = big_mail((data, "a.bin", "application/octet-stream")).replace(b"\r\n", b"\n")
        split = bigparts.split_big_bodies(raw)
        assert split is not None and list(split.bodies.values()) == [data]
        parsed = parse_message(raw, LIMITS)
        assert parsed.attachments[0].data == data
        assert summary(parsed) == summary(plain_parse(raw, monkeypatch))


def test_big_base64_text_body_is_still_the_message_text(monkeypatch):
    text = "推荐理由：" + "针灸" * 400_000
    msg = EmailMessage()
    msg["From"] = "a@example.cn"
    msg["Subject"] = "长正文"
    msg.set_content(text, cte="base64")
    msg.add_attachment(b"x" * 10, maintype="application", subtype="pdf", filename="a.pdf")
    raw = msg.as_bytes(policy=SMTP)
    assert bigparts.split_big_bodies(raw) is not None
    parsed = parse_message(raw, LIMITS)
    assert parsed.body_text == text
    assert summary(parsed) == summary(plain_parse(raw, monkeypatch))


def _encoded_body(raw: bytes) -> tuple[int, int]:
    """Start and end of the longest base64 block (for damaging it in tests)."""
    start = raw.index(b"\r\n\r\n", raw.index(b"filename")) + 4
    end = raw.index(b"\r\n--", start)
    return start, end


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: body[:5000] + b"*" + body[5000:],  # a character outside base64
        lambda body: body[:5000] + b"=" + body[5001:],  # padding in the middle
        lambda body: body[:-3] + body[-2:],  # not a whole number of quads
        lambda body: body[:5000] + b" \t" + body[5000:],  # blanks the stdlib would skip
    ],
)
def test_unclean_base64_falls_back_to_the_stdlib(monkeypatch, damage):
    raw = big_mail((os.urandom(1_200_000), "a.bin", "application/octet-stream"))
    start, end = _encoded_body(raw)
    raw = raw[:start] + damage(raw[start:end]) + raw[end:]
    assert bigparts.split_big_bodies(raw) is None
    parsed = parse_message(raw, LIMITS)
    assert summary(parsed) == summary(plain_parse(raw, monkeypatch))
    assert parsed.attachments and parsed.attachments[0].name == "a.bin"


def test_fake_part_inside_a_text_body_falls_back_to_the_whole_message(monkeypatch):
    """A boundary-like line and part headers inside plain text must not be cut out."""
    fake = (
        b"--notaboundary\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(os.urandom(1_100_000)).replace(b"\n", b"\r\n")
    )
    msg = EmailMessage()
    msg["From"] = "a@example.cn"
    msg["Subject"] = "奇怪的正文"
    msg.set_content("见下文\n")
    msg.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="a.pdf")
    raw = msg.as_bytes(policy=SMTP)
    raw = raw.replace("见下文".encode() + b"\r\n", "见下文".encode() + b"\r\n" + fake, 1)
    raw = raw.replace(b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: 7bit", 1)
    split = bigparts.split_big_bodies(raw)
    assert split is not None  # the scan is fooled ...
    parsed = parse_message(raw, LIMITS)  # ... but the tree check is not
    assert summary(parsed) == summary(plain_parse(raw, monkeypatch))
    assert fake[:40].decode() in parsed.body_text


def test_small_messages_are_not_split():
    assert bigparts.split_big_bodies(big_mail((b"x" * 1000, "a.bin", "application/octet-stream"))) is None
    assert bigparts.split_big_bodies(b"") is None
    assert bigparts.split_big_bodies(b"\n--" * 600_000) is None


FUZZ_BASE = big_mail(
    (b"\x00\x01binary" * 40, "视频.mp4", "video/mp4"),
    (b"second part " * 30, "图片.jpg", "image/jpeg"),
    forwarded=True,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(FUZZ_BASE)),
            st.sampled_from([b"", b"\r\n", b"\n--", b"=", b"*", b"\r\n\r\n", b"--", b" ", b"A", b"\n"]),
            st.integers(0, 3),
        ),
        max_size=6,
    )
)
# Found by this test (2026-12-07): a `*` that makes the forwarded text part's
# `charset=` an RFC 2231 `charset*=`, whose tuple the stdlib cannot decode 8-bit text with.
@example(edits=[(0, b" ", 0), (1, b"\r\n", 0), (847, b"*", 0)])
def test_fuzzed_messages_parse_the_same_with_and_without_splitting(edits):
    """With a tiny threshold every base64 body is a 'big' one: whatever the
    damage, the split path must never raise and must agree with the stdlib."""
    raw = FUZZ_BASE
    for at, insert, cut in edits:
        raw = raw[:at] + insert + raw[at + cut :]
    original = bigparts.BIG_BODY
    try:
        bigparts.BIG_BODY = 8
        split_result = parse_message(raw, LIMITS)
    finally:
        bigparts.BIG_BODY = original
    parse_module.split_big_bodies = lambda raw: None
    try:
        plain = parse_message(raw, LIMITS)
    finally:
        parse_module.split_big_bodies = bigparts.split_big_bodies
    assert summary(split_result) == summary(plain)

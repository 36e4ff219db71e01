"""gzip from kept chunks: one member every decoder reads, the same bytes whatever was kept,
and a small change deflates one chunk."""

from __future__ import annotations

import gzip
import zlib

import pytest

from calendar_service.feed.gzip import Gzipper, chunks, gzip_once


def feed(events: range, changed: int | None = None) -> bytes:
    """A calendar-like body, about 300 bytes an event."""
    lines = [b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"]
    for n in events:
        note = "moved to room 302" if n == changed else "room 301"
        lines.append(
            f"BEGIN:VEVENT\r\nSUMMARY:회의 {n} / 会议 {n} / meeting {n}\r\nUID:e{n}@x\r\n"
            f"DESCRIPTION:{note}\r\nEND:VEVENT\r\n".encode()
        )
    lines.append(b"END:VCALENDAR\r\n")
    return b"".join(lines)


@pytest.mark.slow  # deflates a large feed
def test_one_member_that_every_decoder_reads() -> None:
    body = feed(range(12_000))
    zipped = gzip_once(body)
    assert gzip.decompress(zipped) == body
    assert zlib.decompress(zipped, wbits=31) == body
    reader = zlib.decompressobj(wbits=47)  # what httpx and browsers use
    assert reader.decompress(zipped) + reader.flush() == body
    assert reader.eof
    assert reader.unused_data == b"", "one gzip member, not several"
    assert len(zipped) < len(gzip.compress(body, mtime=0)) * 1.05
    assert len(list(chunks(body))) > 10
    assert b"".join(chunks(body)) == body
    for small in (b"", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"):
        assert gzip.decompress(gzip_once(small)) == small


@pytest.mark.slow  # deflates a large feed
def test_a_small_change_deflates_a_chunk_or_two_and_the_bytes_do_not_depend_on_what_was_kept() -> (
    None
):
    gzipper = Gzipper()
    gzipper(feed(range(12_000)))
    before = gzipper.deflated
    changed = feed(range(12_000), changed=6000)
    zipped = gzipper(changed)
    assert 1 <= gzipper.deflated - before <= 2, "its chunk, and the next if it was its dictionary"
    assert zipped == gzip_once(changed)
    inserted = feed(range(12_001), changed=6000)
    before = gzipper.deflated
    gzipper(inserted)
    assert gzipper.deflated - before <= 2, "an added event touches the chunk it lands in"
    assert gzip.decompress(gzipper(inserted)) == inserted

"""gzip for bytes that change a little at a time, such as a feed: one gzip member assembled from
chunks deflated on their own and kept, so that a new version deflates only what changed.

A chunk ends just before a `BEGIN:VEVENT` line picked by the content after it (a checksum of
its next 64 bytes), not by its position, so adding or removing one event changes one chunk
(and the next, whose dictionary it is), not every chunk after it. Each chunk is raw deflate
primed with the 32 KiB before it (as pigz does: the reader has those bytes, it just inflated
them) and ending on a sync flush; the chunks are joined behind a fixed gzip header (no time in
it), then an empty final block, the CRC-32 and the length of the whole. So the result is within
a per cent or so of one deflate of the whole, and depends on the input only: a `Gzipper` that
kept nothing makes the same bytes as one that kept everything.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator

LEVEL = 6
ONE_IN = 128
"""An event starts a new chunk with a chance of one in this."""
WINDOW = 32 * 1024
"""How far deflate looks back: each chunk is deflated with the last this many bytes before it
as its dictionary, so a chunk boundary costs next to nothing in size."""
_EVENT = re.compile(rb"BEGIN:VEVENT\r\n")
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
"""Magic, deflate, no flags, no time, no extra flags, unknown OS."""
_LAST = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS).flush()
"""An empty final block."""


class Gzipper:
    """Gzips successive versions of one document, deflating only the chunks it has not seen in
    the version before. Not thread-safe: one per document, used under its owner's lock."""

    def __init__(self, level: int = LEVEL) -> None:
        self.level = level
        self._kept: dict[bytes, bytes] = {}
        self.deflated = 0
        """Chunks deflated so far (the rest came from the previous version)."""

    def __call__(self, body: bytes) -> bytes:
        kept: dict[bytes, bytes] = {}
        parts = [_HEADER]
        before = memoryview(b"")
        for chunk in chunks(body):
            window = before[-WINDOW:]
            key = hashlib.blake2b(window, digest_size=16)
            key.update(chunk)
            digest = key.digest()
            deflated = kept.get(digest) or self._kept.get(digest)
            if deflated is None:
                deflated = self._deflate(chunk, window)
            kept[digest] = deflated
            parts.append(deflated)
            before = chunk
        self._kept = kept
        parts += [_LAST, struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)]
        return b"".join(parts)

    def _deflate(self, chunk: memoryview, window: memoryview) -> bytes:
        """`chunk` as raw deflate that may refer back into `window`, the bytes just before it
        (a reader has them: they are what it inflated last)."""
        if window:
            deflater = zlib.compressobj(
                self.level, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=bytes(window)
            )
        else:
            deflater = zlib.compressobj(self.level, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.deflated += 1
        return deflater.compress(chunk) + deflater.flush(zlib.Z_SYNC_FLUSH)


def chunks(body: bytes) -> Iterator[memoryview]:
    """The chunks of `body`, in order, as views (no copies)."""
    view = memoryview(body)
    start = 0
    for found in _EVENT.finditer(body):
        at, after = found.start(), found.end()
        if at > start and zlib.crc32(view[after : after + 64]) % ONE_IN == 0:
            yield view[start:at]
            start = at
    yield view[start:]


def gzip_once(body: bytes, level: int = LEVEL) -> bytes:
    """The same bytes as a `Gzipper` would make, with nothing kept."""
    return Gzipper(level)(body)

"""A small HTTP/1.1 load generator: a bounded number of GETs from N concurrent keep-alive
connections on loopback, with each request's latency.

Written on asyncio protocols rather than an HTTP client library so that the client costs
a few microseconds a request and the server, not the client, is what gets measured: httpx's
async client spends more per request than the servers under test. It speaks just enough
HTTP/1.1 for these servers: a status line, headers, a Content-Length body (none for 304).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    body_bytes: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, pct: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, int]] | None = None
        self.need: int | None = None
        self.status = 0
        self.close_after = False
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._complete()

    def _complete(self) -> None:
        if self.waiter is None or self.waiter.done():
            return
        if self.need is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            self.status = int(head[9:12])
            # HTTP/1.0 servers (Radicale's wsgiref) close after each response.
            self.close_after = head.startswith(b"http/1.0") or b"\r\nconnection: close" in head
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else None])
            self.need = end + 4 + length
        if len(self.buffer) >= self.need:
            body = self.need
            del self.buffer[: self.need]
            self.need = None
            self.waiter.set_result((self.status, body))

    @property
    def usable(self) -> bool:
        return not (self.close_after or self.closed.done())

    async def request(self, data: bytes) -> tuple[int, int]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


def request_bytes(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: bench"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _run(
    host: str, port: int, data: bytes, total: int, concurrency: int, timeout: float | None
) -> LoadResult:
    loop = asyncio.get_running_loop()

    async def connect() -> _Connection:
        _, protocol = await loop.create_connection(_Connection, host, port)
        return protocol

    connections = [await connect() for _ in range(concurrency)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    received = 0
    remaining = total
    started = time.perf_counter()
    deadline = None if timeout is None else started + timeout

    async def client(slot: int) -> None:
        nonlocal remaining, received
        while remaining > 0 and (deadline is None or time.perf_counter() < deadline):
            remaining -= 1
            begin = time.perf_counter()
            connection = connections[slot]
            if not connection.usable:
                connection.transport.close()  # type: ignore[union-attr]
                connection = connections[slot] = await connect()
            status, size = await connection.request(data)
            latencies.append(time.perf_counter() - begin)
            statuses[status] = statuses.get(status, 0) + 1
            received += size

    await asyncio.gather(*(client(slot) for slot in range(concurrency)))
    seconds = time.perf_counter() - started
    for connection in connections:
        assert connection.transport is not None
        connection.transport.close()
    return LoadResult(len(latencies), seconds, latencies, statuses, received)


def load(
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    *,
    total: int,
    concurrency: int = 16,
    timeout: float | None = None,
) -> LoadResult:
    """`total` GETs of `path` over `concurrency` connections (fewer if `timeout` runs out)."""
    data = request_bytes(host, port, path, headers)
    return asyncio.run(_run(host, port, data, total, concurrency, timeout))

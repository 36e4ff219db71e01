"""The HTTP servers the feed benchmarks start as subprocesses, each under uvicorn alone.

    python -m benchmarks.feeds_server ours STORE_URL PORT
    python -m benchmarks.feeds_server ceiling BODY GZIPPED ETAG PORT

`ours` is `create_app` over the store (embedded mode), as `calendar-service serve` runs it:
its logging configured the same way (one line per request, INFO, on stderr: a file here).
`ceiling` is the least a Python endpoint can do: a bare ASGI app that returns bytes computed
before it started, with their ETag, and 304 when If-None-Match equals it. Both run with the
same uvicorn settings (one process, access log off), so the difference is the app.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def ceiling_app(body: bytes, gzipped: bytes, etag: str) -> Callable[..., Awaitable[None]]:
    tag = etag.encode("latin-1")
    plain = [(b"content-type", b"text/calendar; charset=utf-8"), (b"etag", tag)]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        none_match = accept = b""
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                none_match = value
            elif name == b"accept-encoding":
                accept = value
        if none_match == tag:
            await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", tag)]})
            await send({"type": "http.response.body", "body": b""})
            return
        content, headers = body, plain
        if b"gzip" in accept:
            content = gzipped
            headers = [*plain, (b"content-encoding", b"gzip")]
        headers = [*headers, (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    return app


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "ours":
        from calendar_service.api import create_app
        from calendar_service.bootstrap import build
        from calendar_service.config import load_settings
        from calendar_service.logs import configure_logging

        store, port = argv[1], int(argv[2])
        settings = load_settings(store=store)
        configure_logging(settings)  # as `serve`: a line per request, at INFO, on stderr
        app: Any = create_app(build(settings))
    else:
        body, gzipped, etag, port = (
            Path(argv[1]).read_bytes(),
            Path(argv[2]).read_bytes(),
            argv[3],
            int(argv[4]),
        )
        app = ceiling_app(body, gzipped, etag)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1:])

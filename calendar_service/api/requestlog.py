"""ASGI middleware: one structured log line per HTTP request, and its correlation id.

The id is the request's `X-Correlation-Id`, else its `Idempotency-Key` (the command's id),
else a new one; it is echoed back in the `X-Correlation-Id` response header and set in
`calendar_service.logs.correlation_id` for every line logged while the request runs. Feed and
page tokens in the path are logged as REDACTED.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calendar_service.logs import correlation_id, log_fields

logger = logging.getLogger("calendar_service.http")
HEADER = b"x-correlation-id"
_TOKENS = re.compile(r"/(feeds|c)/[^/?\s]+?(\.ics)?(?=$|[/?\s])")
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def redact(path: str) -> str:
    return _TOKENS.sub(r"/\1/REDACTED\2", path)


def _given_id(scope: Scope) -> str | None:
    headers = dict(scope.get("headers") or [])
    for name in (HEADER, b"idempotency-key"):
        value = str(headers.get(name, b"").decode("latin-1")).strip()
        if _SAFE_ID.fullmatch(value):
            return value
    return None


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = _given_id(scope) or uuid.uuid4().hex
        token = correlation_id.set(cid)
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, cid.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log_fields(
                logger,
                "request",
                method=scope["method"],
                path=redact(scope["path"]),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                correlation_id=cid,
            )
            correlation_id.reset(token)

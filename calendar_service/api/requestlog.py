"""ASGI middleware: one structured log line per HTTP request, and its correlation id.

The id is the request's `X-Correlation-Id`, else its `Idempotency-Key` (the command's id),
else a new one; it is echoed back in the `X-Correlation-Id` response header and set in
`calendar_service.logs.correlation_id` for every line logged while the request runs. Feed and
page tokens in the path are logged as REDACTED.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calendar_service.logs import correlation_id, log_fields

logger = logging.getLogger("calendar_service.http")
HEADER = b"x-correlation-id"
_TOKENS = re.compile(r"/(feeds|c)/[^/?\s]+?(\.ics)?(?=$|[/?\s])")
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def redact(path: str) -> str:
    return _TOKENS.sub(r"/\1/REDACTED\2", path)


def _given_id(scope: Scope) -> str | None:
    given = key = None
    for name, value in scope.get("headers") or ():
        if name == HEADER:
            given = value
        elif name == b"idempotency-key":
            key = value
    for each in (given, key):
        if each is not None:
            text: str = each.decode("latin-1").strip()
            if _SAFE_ID.fullmatch(text):
                return text
    return None


_PREFIX = secrets.token_hex(8)
_COUNT = itertools.count()


def new_id() -> str:
    """A new correlation id: 32 hex digits, this process's random half and a counter (unique
    without asking the OS for randomness on every request)."""
    return f"{_PREFIX}{next(_COUNT) & 0xFFFFFFFFFFFFFFFF:016x}"


def correlation_of(scope: Scope) -> str:
    """The request's correlation id: the one it gives, else a new one."""
    return _given_id(scope) or new_id()


def log_request(method: str, path: str, status: int, started: float, cid: str) -> None:
    """The request's one line (`path` already redacted)."""
    if logger.isEnabledFor(logging.INFO):
        log_fields(
            logger,
            "request",
            method=method,
            path=path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            correlation_id=cid,
        )


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = correlation_of(scope)
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
            log_request(scope["method"], redact(scope["path"]), status, started, cid)
            correlation_id.reset(token)

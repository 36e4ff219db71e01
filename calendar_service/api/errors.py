"""Errors at the HTTP edge: one JSON shape, one mapping, and the request body limit.

Every error answer is `{"error": kind, "message": sentence, ...details}`: `kind` is a stable
snake_case word a script can branch on, `message` a sentence a person can act on (it says what
to send instead), and details such as `field`, `current_version` or `limit_bytes` name the
values involved. `describe(error, request)` gives (status, body) for:

    ApiError                  raised by the routes themselves (401, 403, 404, 410, 428, ...)
    DomainError               InvalidValue 422 · EngagementNotFound, FeedNotFound,
                              StaffTokenNotFound, StaffNotFound 404 · EngagementAlreadyExists,
                              CommandRefused and other refusals 409
    ConcurrencyError          412 when the request carried If-Match (its version is stale),
                              else 409 (others kept writing: try again)
    EventStoreError           DuplicateEventConflict 409 · InvalidAppend 422 ·
                              StoreUnavailable 503
    ViewStoreError            503 (ViewsUnavailable: the views, the feed and staff tokens' rows
                              among them, cannot be reached)
    ProjectionError           503 (NotSettled: a projection could not apply a change in time)
    RequestValidationError    422, naming the first field
    HTTPException             its status (BodyTooLarge 413, unknown route 404, 405 with every
                              method the path has in Allow); a body FastAPI could not decode
                              (not UTF-8) 422, as every other body error

Every 503 carries `Retry-After` (`RETRY_AFTER_SECONDS`), so a client or a load balancer can
tell an outage from a bug. `UNAVAILABLE` names the errors that mean "the store or the views
cannot be reached"; the feed route (plain text) and the pages (an HTML page in the reader's
language) answer them with the same status and header, through `unavailable(error)`.

`BodyLimit` refuses a body over `MAX_BODY_BYTES`: at once from Content-Length, and while it
streams (chunked, or a Content-Length that lies) by raising `BodyTooLarge` from `receive`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calendar_service.domain import (
    CommandRefused,
    DomainError,
    EngagementAlreadyExists,
    EngagementNotFound,
    FeedNotFound,
    InvalidValue,
    StaffNotFound,
)
from calendar_service.domain.staff_tokens import StaffTokenNotFound
from calendar_service.eventstore import (
    ConcurrencyError,
    DuplicateEventConflict,
    EventStoreError,
    InvalidAppend,
    StoreUnavailable,
)
from calendar_service.projections import ProjectionError, ViewStoreError

MAX_BODY_BYTES = 64 * 1024
"""The largest request body accepted: 64 KiB (as the largest event the log stores)."""

Body = dict[str, Any]

RETRY_AFTER_SECONDS = 5
"""What a 503 asks the client to wait before it tries again."""
RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}
UNAVAILABLE: tuple[type[Exception], ...] = (StoreUnavailable, ViewStoreError, ProjectionError)
"""The errors that mean the store or the views cannot answer now: 503, never 500."""


def unavailable(error: BaseException) -> bool:
    """Whether `error` is an outage of the store or the views (503 with Retry-After)."""
    return isinstance(error, UNAVAILABLE)


class ApiError(Exception):
    """An error the routes raise themselves, with its status, kind and message."""

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message
        self.headers, self.details = headers or {}, details


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "request body too large")


def describe(error: Exception, request: Request) -> tuple[int, Body, dict[str, str]]:
    """(status, JSON body, extra headers) for any error the API answers with."""
    match error:
        case ApiError():
            body = {"error": error.kind, "message": error.message, **error.details}
            return error.status, body, error.headers
        case ConcurrencyError():
            return _conflict(error, request)
        case DomainError():
            return _domain(error)
        case EventStoreError():
            return _store(error)
        case ViewStoreError():
            message = (
                "The calendar's views cannot be reached right now; nothing was read or "
                f"changed. Try again in {RETRY_AFTER_SECONDS} seconds."
            )
            return 503, _body("unavailable", message), dict(RETRY_AFTER)
        case ProjectionError():
            message = f"{_sentence(str(error))} Try again in {RETRY_AFTER_SECONDS} seconds."
            return 503, _body("unavailable", message), dict(RETRY_AFTER)
        case RequestValidationError():
            return 422, _validation(error), {}
        case HTTPException():
            return _http(error, request)
    return 500, _body("internal_error", "Something went wrong on the server."), {}


def _body(kind: str, message: str, **details: Any) -> Body:
    return {"error": kind, "message": message, **details}


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _domain(error: DomainError) -> tuple[int, Body, dict[str, str]]:
    message = _sentence(str(error))
    match error:
        case InvalidValue():
            return 422, _body("invalid_value", message, field=error.field), {}
        case EngagementNotFound() | FeedNotFound() | StaffTokenNotFound() | StaffNotFound():
            return 404, _body("not_found", message), {}
        case EngagementAlreadyExists():
            return 409, _body("already_exists", message), {}
        case CommandRefused():
            return 409, _body("command_refused", message, reason=error.reason), {}
    return 409, _body("refused", message), {}


def _conflict(error: ConcurrencyError, request: Request) -> tuple[int, Body, dict[str, str]]:
    actual = error.actual
    if request.headers.get("if-match", "*").strip() != "*":
        message = (
            f"The engagement changed since you read it: it is at version {actual}, your "
            f"If-Match named version {error.expected}. Nothing was changed. Read it again "
            f'(GET, ETag "v{actual}"), check the change still makes sense, and retry with '
            f'If-Match: "v{actual}".'
        )
        body = _body(
            "version_mismatch", message, current_version=actual, expected_version=error.expected
        )
        return 412, body, {"ETag": f'"v{actual}"'}
    message = (
        "Others kept changing this record while your change was being saved; nothing was "
        "changed. Try again."
    )
    return 409, _body("conflict", message, current_version=actual), {}


def _store(error: EventStoreError) -> tuple[int, Body, dict[str, str]]:
    match error:
        case DuplicateEventConflict():
            message = (
                "This Idempotency-Key was already used for a different request; nothing was "
                "changed. Send a new key (a fresh UUID) for each new request."
            )
            return 409, _body("idempotency_key_reused", message), {}
        case InvalidAppend():
            return 422, _body("invalid_value", _sentence(str(error))), {}
        case StoreUnavailable():
            message = (
                "The event log cannot be reached right now; nothing was changed. Try again "
                f"in {RETRY_AFTER_SECONDS} seconds."
            )
            return 503, _body("unavailable", message), dict(RETRY_AFTER)
    return 503, _body("unavailable", _sentence(str(error))), dict(RETRY_AFTER)


def _validation(error: RequestValidationError) -> Body:
    problems = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        problems.append({"field": ".".join(location), "message": str(item.get("msg", ""))})
    first = problems[0] if problems else {"field": "body", "message": "invalid request"}
    field = first["field"]
    message = (
        f"{field}: {first['message'].rstrip('.')}. Fix this field and send the request again"
        + (
            f" ({len(problems) - 1} more problem(s) listed in errors)."
            if len(problems) > 1
            else "."
        )
    )
    return _body("validation_error", message, field=field, errors=problems[:20])


def _http(error: HTTPException, request: Request) -> tuple[int, Body, dict[str, str]]:
    status = error.status_code
    headers = dict(error.headers or {})
    if status == 413:
        message = (
            f"The request body is larger than the limit of {MAX_BODY_BYTES // 1024} KiB "
            f"({MAX_BODY_BYTES} bytes); send less: notes and sources are short texts."
        )
        return 413, _body("payload_too_large", message, limit_bytes=MAX_BODY_BYTES), headers
    if status == 404:
        message = f"There is nothing at {request.url.path}; see /docs for the API's routes."
        return 404, _body("not_found", message), headers
    if status == 405:
        allowed = _allowed_methods(request) or headers.get("Allow") or headers.get("allow") or ""
        headers.pop("allow", None)
        if allowed:
            headers["Allow"] = allowed
        message = f"{request.method} is not allowed here; use {allowed or 'another method'}."
        return 405, _body("method_not_allowed", message), headers
    if status == 400 and isinstance(error.__cause__, UnicodeDecodeError):
        message = (
            "The request body is not valid UTF-8; send the JSON encoded in UTF-8 "
            "(Content-Type: application/json; charset=utf-8)."
        )
        problem = {"field": "body", "message": "not valid UTF-8"}
        return 422, _body("validation_error", message, field="body", errors=[problem]), headers
    return status, _body("http_error", _sentence(str(error.detail))), headers


def _allowed_methods(request: Request) -> str:
    """Every method some route offers at the request's path ("GET, POST"): starlette's 405
    names only the first route that matched the path, though others may take other methods."""
    from starlette.routing import Match

    scope = {**request.scope, "method": ""}
    methods: set[str] = set()
    routes = list(getattr(request.app, "routes", ()))
    while routes:
        route = routes.pop()
        included = getattr(route, "original_router", None)  # an included router: its routes
        if included is not None:
            routes.extend(included.routes)
        elif route.matches(scope)[0] is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


class BodyLimit:
    """ASGI middleware: 413 for a request body over `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _too_large(send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send) -> None:
    message = (
        f"The request body is larger than the limit of {MAX_BODY_BYTES // 1024} KiB "
        f"({MAX_BODY_BYTES} bytes); send less: notes and sources are short texts."
    )
    body = json.dumps(_body("payload_too_large", message, limit_bytes=MAX_BODY_BYTES)).encode(
        "utf-8"
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})

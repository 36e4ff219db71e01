"""`GET` and `HEAD /feeds/{token}.ics`: the iCalendar feed a calendar client subscribes to.

What clients need (research/ical-clients.md): `text/calendar; charset=utf-8`, a strong ETag
and Last-Modified, 304 on `If-None-Match` (else `If-Modified-Since`), gzip when asked, never an
empty 200, 404 for an unknown token and 410 Gone, for good, for a revoked one. `?lang=ko|en|zh`
picks the language (default: the feed's); `?as_of=` gives the feed as the office knew it then.
A malformed `as_of` or `lang` is a 400 with a plain-text message, never a 500; a store or views
that cannot be reached (the token lookup included) a plain-text 503 with `Retry-After`, as
`api/errors.py` maps them for every route.

Per request: one read of the views (`ViewStore.marks`: the calendar's and the feeds
projection's generation and checkpoint); the feed's row by token hash is read again whenever
the feeds projection has moved (so a revocation is seen by the very next request, in any
process), then the bytes from `FeedCache`, with the feed's token put in its links
(`FeedCache.feed`: the engagement pages under the feed's page), with headers encoded once per
version. Rendering, when a version is new, runs in the thread pool, off the event loop; in
embedded mode the versions of the feeds served lately are built again right after the calendar
projection commits (`FeedCache.refresh`), so the next GET finds them ready. `install` gives the
route that `api.app.CalendarApp` answers ahead of its whole middleware stack (see `FeedFront`
for why).

Last-Modified, like every HTTP date, counts whole seconds, so two changes within one second
share it; the ETag tells them apart, and If-None-Match, when sent, wins (RFC 9110 §13.2.2).

Tokens are secrets, and they are in the path: `redact_tokens` keeps them out of the access log.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from calendar_service.api.errors import RETRY_AFTER_SECONDS, unavailable
from calendar_service.api.requestlog import HEADER as CORRELATION
from calendar_service.api.requestlog import correlation_of, log_request
from calendar_service.bootstrap import Container, feed_cache
from calendar_service.feed.cache import FeedCache, FeedVersion, check_lang, parse_as_of
from calendar_service.logs import correlation_id
from calendar_service.projections import ViewStore
from calendar_service.projections.calendar import NAME as CALENDAR
from calendar_service.projections.feeds import NAME as FEEDS
from calendar_service.projections.feeds import FeedRow, feed_for_token

RawHeaders = list[tuple[bytes, bytes]]
_FEED_PATH = re.compile(r"/feeds/(?P<token>[^/]+)\.ics")
REDACTED_PATH = "/feeds/REDACTED.ics"
"""A feed request's path in the log: all of its token is the secret."""
CALENDAR_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, no-cache"
"""Private: the URL is a secret, so no shared cache keeps it. no-cache: revalidate on every use
(a 304 costs nothing), so a revoked feed stops at once even behind a browser's cache."""
MAX_TOKEN_CHARS = 128
MAX_ROWS = 4096
"""Feed rows (and unknown tokens) remembered between two changes of the feeds projection."""
MAX_PREPARED = 64
"""Versions whose encoded headers are kept (per audience, language and as-of asked for)."""
NOT_FOUND = (
    "No feed has this address. Check the link, or ask the calendar's administrators for one.\n"
)
GONE = (
    "This feed was revoked and will not come back: remove the subscription, and ask the "
    "calendar's administrators for a new link if you still need one.\n"
)
UNAVAILABLE = (
    "The calendar cannot be read right now: its data store does not answer. Nothing is lost; "
    f"try again in {RETRY_AFTER_SECONDS} seconds (your calendar app will, on its next refresh).\n"
)
_MARKED = (CALENDAR, FEEDS)
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')


def install(app: FastAPI, container: Container) -> FeedFront:
    """Serve the feed route in `app`, over `container`'s views, with a feed cache of its own
    (built again as soon as the calendar changes in this process). Returns the route for the
    app to put in front of its whole stack (`api.app.CalendarApp`); it also stays in the stack
    as a middleware ahead of the router, for an app that does not."""
    cache = feed_cache(container)
    container.when_caught_up(CALENDAR, cache.refresh)
    endpoint = FeedEndpoint(cache, container.views)
    app.add_middleware(FeedRoute, endpoint=endpoint)
    redact_tokens()
    return FeedFront(endpoint)


class FeedFront:
    """`GET` and `HEAD /feeds/{token}.ics` ahead of the whole ASGI stack, which the request
    log, FastAPI's telemetry and body-limit middleware and Starlette's error middleware make
    about as costly as the route itself (a conditional GET is mostly that cost). It does what
    they do for a feed: the correlation id (given or new, echoed), the request's log line
    with the token redacted, and a plain 500 if the route fails."""

    def __init__(self, endpoint: FeedEndpoint) -> None:
        self.endpoint = endpoint

    @staticmethod
    def token_of(scope: Scope) -> str | None:
        """The token of a feed path, or None for any other request."""
        if scope["type"] != "http":
            return None
        found = _FEED_PATH.fullmatch(scope["path"])
        return None if found is None else found["token"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send, token: str) -> None:
        cid = correlation_of(scope)
        context = correlation_id.set(cid)
        started = time.perf_counter()
        status, sent = 500, False
        try:
            if scope["method"] not in ("GET", "HEAD"):
                status, headers, body = _plain(405, "Use GET or HEAD.\n", allow=True)
            else:
                scope["path_params"] = {"token": token}
                status, headers, body = await self.endpoint.respond_to(scope)
            sent = True
            headers.append((CORRELATION, cid.encode("latin-1")))
            await _send(send, status, headers, body)
        except Exception:
            if not sent:
                status = 500
                await _send(send, *_plain(500, "Internal Server Error"))
            raise
        finally:
            log_request(scope["method"], REDACTED_PATH, status, started, cid)
            correlation_id.reset(context)


class FeedRoute:
    """`GET` and `HEAD /feeds/{token}.ics`, answered ahead of FastAPI's router.

    A feed's traffic is mostly conditional GETs from calendar clients; routed here, one costs
    about half of what it does through FastAPI's router and its exception and exit-stack
    middleware (benchmarks/feeds.py measures both against a bare ASGI app). Errors the
    endpoint does not answer itself still reach FastAPI's server-error middleware, which is
    outside this one. Any other path goes on to the app.
    """

    def __init__(self, app: ASGIApp, endpoint: FeedEndpoint) -> None:
        self.app, self.endpoint = app, endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = _FEED_PATH.fullmatch(scope["path"])
            if found is not None:
                if scope["method"] not in ("GET", "HEAD"):
                    await _send(send, *_plain(405, "Use GET or HEAD.\n", allow=True))
                    return
                scope["path_params"] = {"token": found["token"]}
                await self.endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class _Request:
    """What the route reads of a request, straight from the ASGI scope."""

    method: str
    token: str
    query: dict[str, str]
    accept_encoding: str | None
    if_none_match: str | None
    if_modified_since: str | None

    @classmethod
    def of(cls, scope: Scope) -> _Request:
        accept = none_match = modified_since = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value.decode("latin-1")
            elif name == b"if-none-match":  # repeated fields are one list (RFC 9110 §5.3)
                text = value.decode("latin-1")
                none_match = text if none_match is None else f"{none_match}, {text}"
            elif name == b"if-modified-since":
                modified_since = value.decode("latin-1")
        raw = scope.get("query_string", b"")
        query = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}
        token = scope["path_params"]["token"]
        return cls(scope["method"], token, query, accept, none_match, modified_since)


class FeedEndpoint:
    """The route, as a bare ASGI app: most of a feed's traffic is conditional GETs, and this
    answers them with two indexed reads and headers encoded once per version, without the
    request and response objects a FastAPI endpoint would build (benchmarks/feeds.py)."""

    def __init__(self, cache: FeedCache, views: ViewStore) -> None:
        self.cache, self.views = cache, views
        self._headers: dict[int, tuple[FeedVersion, _Prepared]] = {}
        self._rows: dict[str, FeedRow | None] = {}
        self._rows_mark = (-1, -1)
        """The feeds projection's (generation, checkpoint) the rows in `_rows` were read at."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send(send, *await self.respond_to(scope))

    async def respond_to(self, scope: Scope) -> tuple[int, RawHeaders, bytes]:
        """The answer (a fresh list of headers), a 503 when the views do not answer."""
        try:
            return await self.answer(_Request.of(scope))
        except Exception as error:
            if not unavailable(error):
                raise
            return _plain(503, UNAVAILABLE, retry_after=True)

    async def answer(self, request: _Request) -> tuple[int, RawHeaders, bytes]:
        token = request.token
        if len(token) > MAX_TOKEN_CHARS:
            return _plain(404, NOT_FOUND)
        calendar, feeds = self.views.marks(_MARKED)
        row = self._row(token, feeds)
        if row is None:
            return _plain(404, NOT_FOUND)
        if row.revoked:
            return _plain(410, GONE)
        try:
            lang = check_lang(request.query.get("lang", row.lang))
            as_of = request.query.get("as_of")
            moment = None if as_of is None else parse_as_of(as_of, self.cache.timezone)
        except ValueError as error:
            return _plain(400, f"{error}\n")
        if moment is None:
            version = self.cache.peek_feed(row.audience, lang, token, calendar[1])
            if version is None:
                version = await run_in_threadpool(self.cache.feed, row.audience, lang, token)
        else:
            version = await run_in_threadpool(self.cache.as_of, row.audience, lang, moment)
            own = self.cache.peek_token(version, token)
            if own is None:
                own = await run_in_threadpool(self.cache.for_token, version, token)
            version = own
        return respond(request, version, self._headers_of(version))

    def _row(self, token: str, mark: tuple[int, int]) -> FeedRow | None:
        """The feed whose token is `token`, read again whenever the feeds projection has moved
        (`mark`), so a revocation is seen by the very next request, in any process."""
        if mark != self._rows_mark:
            self._rows = {}
            self._rows_mark = mark
        try:
            return self._rows[token]
        except KeyError:
            pass
        row = feed_for_token(self.views, token)
        if len(self._rows) >= MAX_ROWS:
            self._rows = {}
        self._rows[token] = row
        return row

    def _headers_of(self, version: FeedVersion) -> _Prepared:
        """The version's headers, encoded on its first request (only the event loop's thread
        comes here)."""
        found = self._headers.get(id(version))
        if found is not None and found[0] is version:
            return found[1]
        if len(self._headers) >= MAX_PREPARED:
            self._headers.clear()
        headers = _prepare(version)
        self._headers[id(version)] = (version, headers)
        return headers


def respond(
    request: _Request, version: FeedVersion, prepared: _Prepared
) -> tuple[int, RawHeaders, bytes]:
    """200 with the version's bytes (gzipped if the client accepts it), or 304; HEAD gets
    the same headers (Content-Length included) and no body."""
    gzipped = _accepts_gzip(request.accept_encoding)
    none_match = request.if_none_match
    if (none_match is not None and none_match in (version.gzip_etag, version.etag)) or (
        not_modified(none_match, request.if_modified_since, version)
    ):
        return 304, list(prepared.not_modified[gzipped]), b""
    body = b"" if request.method == "HEAD" else (version.gzipped if gzipped else version.body)
    return 200, list(prepared.ok[gzipped]), body


@dataclass(frozen=True)
class _Prepared:
    """A version's response headers, encoded once: [identity, gzip] for 200 and for 304."""

    ok: tuple[RawHeaders, RawHeaders]
    not_modified: tuple[RawHeaders, RawHeaders]


def _prepare(version: FeedVersion) -> _Prepared:
    ok, not_modified = [], []
    for gzipped in (False, True):
        # What a 304 must repeat of the 200 (RFC 9110 §15.4.5); with an ETag there, not the
        # Last-Modified.
        validators = [
            ("etag", version.gzip_etag if gzipped else version.etag),
            ("cache-control", CACHE_CONTROL),
            ("vary", "Accept-Encoding"),
        ]
        body = version.gzipped if gzipped else version.body
        full = [
            *validators,
            *(
                [("last-modified", version.last_modified_http)]
                if version.last_modified_http is not None
                else []
            ),
            *([("content-encoding", "gzip")] if gzipped else []),
            ("content-length", str(len(body))),
            ("content-type", CALENDAR_TYPE),
            ("x-content-type-options", "nosniff"),
        ]
        ok.append(_encode(full))
        not_modified.append(_encode(validators))
    return _Prepared((ok[0], ok[1]), (not_modified[0], not_modified[1]))


def _encode(headers: list[tuple[str, str]]) -> RawHeaders:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, version: FeedVersion
) -> bool:
    """RFC 9110 §13.1.2-3, for GET and HEAD: If-None-Match, compared weakly with either coding's
    ETag, and only when it is absent, If-Modified-Since against Last-Modified."""
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        current = {version.etag, version.gzip_etag}
        return any(tag in current for tag in _ENTITY_TAG.findall(if_none_match))
    if if_modified_since is None or version.last_modified is None:
        return False
    try:
        moment = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # an invalid date is ignored (RFC 9110 §13.1.3)
    if moment.tzinfo is None:
        return False
    return version.last_modified <= moment


_GZIP_ANSWERS: dict[str | None, bool] = {}


def _accepts_gzip(header: str | None) -> bool:
    """`accepts_gzip`, remembered for the few Accept-Encoding values clients send."""
    found = _GZIP_ANSWERS.get(header)
    if found is None:
        if len(_GZIP_ANSWERS) >= 256:
            _GZIP_ANSWERS.clear()
        found = _GZIP_ANSWERS[header] = accepts_gzip(header)
    return found


def accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip: listed (or `*`) with a q above 0."""
    if not header:
        return False
    wildcard = None
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        quality = _quality(params)
        if coding in ("gzip", "x-gzip"):
            return quality > 0
        if coding == "*":
            wildcard = quality > 0
    return bool(wildcard)


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _plain(
    status: int, message: str, *, allow: bool = False, retry_after: bool = False
) -> tuple[int, RawHeaders, bytes]:
    body = message.encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"cache-control", b"no-store"),
    ]
    if allow:
        headers.append((b"allow", b"GET, HEAD"))
    if retry_after:
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode("latin-1")))
    return status, headers, body


async def _send(send: Send, status: int, headers: RawHeaders, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _RedactTokens(logging.Filter):
    """Replaces the token in feed and page paths of uvicorn's access log lines by `…`."""

    PATHS = re.compile(r"/(feeds|c)/[^/?\s]+?(\.ics)?(?=$|[/?\s])")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.PATHS.sub(r"/\1/…\2", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def redact_tokens() -> None:
    """Install the access-log filter once per process (uvicorn's `uvicorn.access` logger)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(each, _RedactTokens) for each in access.filters):
        access.addFilter(_RedactTokens())

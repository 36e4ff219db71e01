"""The feed cache: each feed rendered once per change of its content, then served from memory.

A feed's content is a function of (audience, language, as-of moment or live, the calendar
projection's checkpoint), and that tuple is the cache key (a live feed's also holds the current
hour, which its window moves with). `FeedCache.live` and `as_of` return
a `FeedVersion`: the bytes, gzipped once, their strong ETag and Last-Modified. The HTTP route
and `calendar-service export` both go through here, so they serve the same bytes.

How little is redone when the calendar changes (what makes the new bytes cheap):

1. The calendar's engagement rows are read (one query) and compared, as text, with the rows the
   last snapshot decoded: only a row whose text changed is decoded again (`_Decoded`), with its
   deadline items (`select.feed_items`).
2. Each item is rendered (`ical.render_item`) once per language and kind of reader (public,
   or staff) and kept with its row: an item whose row did not change is never rendered again,
   whichever window asks. A public reader's piece says what the engagement is, not what staff
   wrote about it (`Engagement.seen_by`: public notes only, no reasons).
3. Selection is kept per row and window, so only changed rows are selected again; then
   `ical.assemble` runs once per new version, and gzip deflates only the chunks that changed
   (`feed.gzip`).

A 304 needs none of this: the route compares the client's ETag with the cached version's.

Live feeds use the projection's current state, with each item's last change as the store
recorded it (`updated_at`, `created_at`, `cancelled_at` of its row); their window is relative
to the current hour (so the bytes, and the ETag, do not change between two requests of the
same hour and the same checkpoint, in any process). As-of feeds fold the log up to the moment
(`projections.calendar_as_of`, on the known_at axis by default: as the office knew it then,
with each item's last change at its `known_at`); they are keyed by the log head, since a
backfilled event can change the past, and kept in a small LRU.

The cache is per process. Two API processes over one store (one Redis, or one SQLite file)
stay correct because each keys its versions by the checkpoint it reads on every request: a
change either one sees is a new key, and both build the same bytes for it.

Every zone an item is in gets its VTIMEZONE: RFC 5545 demands one for each TZID used (timed
items) and allows others, and an all-day item's zone (Summer Davos, in Asia/Shanghai) is then
declared beside the DESCRIPTION that names it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    DEFAULT_RULES,
    LANGUAGES,
    Audience,
    DeadlineRules,
    Directory,
    DomainError,
    Engagement,
    WorkingDayPredicate,
)
from calendar_service.domain.engagement.when import MAX_YEAR, MIN_YEAR
from calendar_service.domain.workdays import korean_working_days
from calendar_service.eventstore import EventStore
from calendar_service.feed.gzip import Gzipper, gzip_once
from calendar_service.feed.ical import (
    FeedMeta,
    RenderedItem,
    assemble_parts,
    render_item,
    slot_page_url,
    with_token,
)
from calendar_service.feed.select import (
    DeadlineItem,
    FeedItem,
    FeedWindow,
    WindowSettings,
    feed_items,
    select_for_feed,
)
from calendar_service.feed.words import calendar_name
from calendar_service.projections import Axis, CalendarProjection, ViewStore, calendar_as_of
from calendar_service.projections.calendar import ENGAGEMENTS
from calendar_service.projections.calendar import NAME as CALENDAR

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
AS_OF_VERSIONS = 32
"""As-of feed versions kept (LRU); each as-of snapshot below serves every audience and lang."""
AS_OF_SNAPSHOTS = 4
TOKEN_VERSIONS = 64
"""Versions kept with a feed's token in their links (LRU), one per feed and version asked for."""
COLORS = {
    Audience.PUBLIC: "seagreen",
    Audience.STAFF: "steelblue",
    Audience.RESTRICTED: "firebrick",
}


@dataclass(frozen=True)
class FeedVersion:
    """One version of one feed: its bytes, gzipped once (when first asked for), and their
    validators.

    `etag` is strong: a hash of `body`. The gzip coding is another representation, so it has
    its own strong ETag, `gzip_etag`. `last_modified` is the latest change (recorded_at, or
    known_at for an as-of feed) of any engagement the audience may see, shown or not, so that
    an engagement leaving the feed (cancelled long ago, now past the window) never makes it
    go back in time. `parts`: the bytes objects `body` joins, when it was assembled from
    rendered pieces (`for_token` fills them one at a time, reusing the last version's).
    """

    body: bytes
    etag: str
    gzip_etag: str
    last_modified: datetime | None
    last_modified_http: str | None
    events: int
    gzipper: Callable[[bytes], bytes] = field(default=gzip_once, repr=False, compare=False)
    parts: tuple[bytes, ...] = field(default=(), repr=False, compare=False)

    @cached_property
    def gzipped(self) -> bytes:
        """The body gzipped, made on first use: a feed served only with its token's links never
        needs its audience's version deflated."""
        return self.gzipper(self.body)

    @classmethod
    def of(
        cls,
        body: bytes,
        last_modified: datetime | None,
        events: int,
        gzipper: Callable[[bytes], bytes] = gzip_once,
        parts: tuple[bytes, ...] = (),
    ) -> FeedVersion:
        digest = hashlib.sha256(body).hexdigest()[:32]
        if last_modified is not None:
            last_modified = last_modified.astimezone(UTC).replace(microsecond=0)
        return cls(
            body=body,
            etag=f'"{digest}"',
            gzip_etag=f'"{digest}-gzip"',
            last_modified=last_modified,
            last_modified_http=None
            if last_modified is None
            else format_datetime(last_modified, usegmt=True),
            events=events,
            gzipper=gzipper,
            parts=parts,
        )


class _Serial:
    """A `Gzipper` called by one thread at a time (a version is deflated when first asked
    for, by whichever thread asks)."""

    def __init__(self, gzipper: Gzipper) -> None:
        self._gzipper, self._lock = gzipper, threading.Lock()

    def __call__(self, body: bytes) -> bytes:
        with self._lock:
            return self._gzipper(body)


@dataclass
class _Decoded:
    """One engagement row as the feed uses it: its items, and their pieces per language."""

    doc: str
    audience: Audience
    last_modified: datetime
    items: list[FeedItem]
    rendered: dict[tuple[str, bool], list[RenderedItem | None]] = field(default_factory=dict)
    """Pieces per (language, for a public reader): a public feed's leave out what only staff
    read (`Engagement.seen_by`)."""
    selected: dict[tuple[datetime, Audience], tuple[int, ...]] = field(default_factory=dict)

    def shown(self, window: FeedWindow, audience: Audience) -> tuple[int, ...]:
        """Indexes of the items a feed for `audience` shows in `window`, remembered for the
        window's moment (one per hour for live feeds), so a new version selects again only
        the engagements that changed."""
        key = (window.as_of, audience)
        found = self.selected.get(key)
        if found is None:
            if len(self.selected) >= len(Audience):  # keep one window's worth
                self.selected.clear()
            found = self.selected[key] = tuple(self._select(window, audience))
        return found

    def _select(self, window: FeedWindow, audience: Audience) -> Iterator[int]:
        selected = select_for_feed(self.items, window, audience)
        position = 0
        for index, item in enumerate(self.items):
            if position < len(selected) and selected[position] is item:
                position += 1
                yield index


@dataclass
class _Snapshot:
    """The calendar's engagements at one checkpoint (or log head), decoded."""

    mark: int
    engagements: dict[str, _Decoded]


class FeedCache:
    """Feeds by (audience, lang, as-of or live), rendered once per change. Thread-safe."""

    def __init__(
        self,
        store: EventStore,
        views: ViewStore,
        *,
        base_url: str,
        timezone: str,
        directory: Directory | None = None,
        rules: DeadlineRules = DEFAULT_RULES,
        is_working_day: WorkingDayPredicate | None = None,
        window: WindowSettings | None = None,
        clock: Clock | None = None,
        default_reminders: tuple[timedelta, ...] = (),
    ) -> None:
        self._store, self._views = store, views
        self.base_url, self.timezone = base_url, timezone
        self.default_reminders = default_reminders
        self._directory = directory
        self._rules = rules
        self._is_working_day = is_working_day or korean_working_days()
        self.window = window or WindowSettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._metas = {
            (audience, lang): self._meta(audience, lang)
            for audience in Audience
            for lang in LANGUAGES
        }
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._live: dict[tuple[Audience, str], tuple[tuple[int, datetime], FeedVersion]] = {}
        self._gzippers: dict[tuple[Audience, str], _Serial] = {}
        self._as_of_lock = threading.Lock()
        self._as_of_versions: OrderedDict[tuple[object, ...], tuple[int, FeedVersion]] = (
            OrderedDict()
        )
        self._as_of_snapshots: OrderedDict[tuple[datetime, Axis], _Snapshot] = OrderedDict()
        self._token_lock = threading.Lock()
        self._token_versions: OrderedDict[tuple[str, str], FeedVersion] = OrderedDict()
        self._token_gzippers: OrderedDict[str, _Serial] = OrderedDict()
        self._token_parts: OrderedDict[str, dict[bytes, bytes]] = OrderedDict()
        self._served: OrderedDict[str, tuple[Audience, str]] = OrderedDict()
        self._fill_lock = threading.Lock()

    def meta(self, audience: Audience, lang: str) -> FeedMeta:
        return self._metas[(audience, lang)]

    # -- one feed's own links -------------------------------------------------------------

    def peek_token(self, version: FeedVersion, token: str) -> FeedVersion | None:
        """`for_token`'s answer if it is already built, else None."""
        with self._token_lock:
            return self._token_versions.get((version.etag, token))

    def for_token(self, version: FeedVersion, token: str) -> FeedVersion:
        """`version` as the feed whose secret is `token` serves it: each item's URL and
        "Details" link open the engagement's page under that feed's page
        (`/c/{token}/e/{id}`). A version is rendered once for every feed of its audience and
        language, with a slot for the token; this fills it, once per feed and version (LRU),
        so a conditional GET still costs a dictionary lookup."""
        key = (version.etag, token)
        with self._token_lock:
            found = self._token_versions.get(key)
            if found is not None:
                self._token_versions.move_to_end(key)
                return found
        with self._fill_lock:
            with self._token_lock:  # filled while this thread waited (by `refresh`, say)?
                found = self._token_versions.get(key)
            if found is not None:
                return found
            own = self._fill(version, token)
            own.gzipped  # noqa: B018 (deflated here, in a worker thread, never on the event loop)
            with self._token_lock:
                self._token_versions[key] = own
                while len(self._token_versions) > TOKEN_VERSIONS:
                    self._token_versions.popitem(last=False)
        return own

    def _fill(self, version: FeedVersion, token: str) -> FeedVersion:
        """`version` with `token` in its links. Assembled from parts, each part is filled on
        its own and kept for the feed's next version, so a change fills only the parts it
        changed (each part holds whole lines: filling them apart is filling the whole)."""
        if not version.parts:
            body = with_token(version.body, token)
            parts: tuple[bytes, ...] = ()
        else:
            before = self._token_parts.pop(token, {})
            kept: dict[bytes, bytes] = {}
            filled = []
            for part in version.parts:
                done = before.get(part)
                if done is None:
                    done = with_token(part, token)
                kept[part] = done
                filled.append(done)
            self._token_parts[token] = kept
            while len(self._token_parts) > TOKEN_VERSIONS:
                self._token_parts.popitem(last=False)
            if all(a is b for a, b in zip(filled, version.parts, strict=True)):
                return version
            parts = tuple(filled)
            body = b"".join(parts)
        if body is version.body:
            return version
        # Each feed keeps its own Gzipper, so a new version of it deflates only the chunks
        # that changed, as the audience's version did.
        gzipper = self._token_gzippers.pop(token, None) or _Serial(Gzipper())
        self._token_gzippers[token] = gzipper
        while len(self._token_gzippers) > TOKEN_VERSIONS:
            self._token_gzippers.popitem(last=False)
        return FeedVersion.of(body, version.last_modified, version.events, gzipper, parts)

    # -- what the feed route serves ----------------------------------------------------------

    def peek_feed(
        self, audience: Audience, lang: str, token: str, checkpoint: int | None = None
    ) -> FeedVersion | None:
        """The live version of the feed whose secret is `token`, if it is built for the
        calendar's `checkpoint` (read if not given) and the current hour (two dictionary
        lookups); None means `feed` has work to do."""
        version = self.peek(audience, lang, checkpoint)
        if version is None:
            return None
        return self.peek_token(version, token)

    def feed(self, audience: Audience, lang: str, token: str) -> FeedVersion:
        """`for_token(live(audience, lang), token)`, and the feed is remembered: `refresh`
        builds its next version as soon as the calendar changes."""
        with self._token_lock:
            self._served[token] = (audience, lang)
            self._served.move_to_end(token)
            while len(self._served) > TOKEN_VERSIONS:
                self._served.popitem(last=False)
        return self.for_token(self.live(audience, lang), token)

    def refresh(self) -> None:
        """Build now the live versions of the feeds served lately (`feed`): called right after
        the calendar projection commits in this process, so that the next GET finds the new
        bytes ready instead of rendering them."""
        with self._token_lock:
            served = list(self._served.items())
        for token, (audience, lang) in reversed(served):  # the latest served first
            self.for_token(self.live(audience, lang), token)

    # -- live feeds ------------------------------------------------------------------------

    def peek(
        self, audience: Audience, lang: str, checkpoint: int | None = None
    ) -> FeedVersion | None:
        """The live version if it is already built for the calendar's `checkpoint` (one read,
        if not given) and the current hour, no rendering. None means `live` has work to do."""
        found = self._live.get((audience, lang))
        if found is not None and found[0] == self._live_key(checkpoint):
            return found[1]
        return None

    def live(self, audience: Audience, lang: str) -> FeedVersion:
        """The feed as the calendar projection stands now."""
        key = self._live_key()
        found = self._live.get((audience, lang))
        if found is not None and found[0] == key:
            return found[1]
        with self._lock:
            found = self._live.get((audience, lang))
            if found is not None and found[0] == key:
                return found[1]
            snapshot = self._live_snapshot(key[0])
            gzipper = self._gzippers.setdefault((audience, lang), _Serial(Gzipper()))
            version = self._build(snapshot, audience, lang, key[1], gzipper)
            self._live[(audience, lang)] = (key, version)
            return version

    def _live_key(self, checkpoint: int | None = None) -> tuple[int, datetime]:
        hour = self._clock().replace(minute=0, second=0, microsecond=0)
        return self._views.checkpoint(CALENDAR) if checkpoint is None else checkpoint, hour

    def _live_snapshot(self, checkpoint: int) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and snapshot.mark == checkpoint:
            return snapshot
        before = {} if snapshot is None else snapshot.engagements
        snapshot = _Snapshot(checkpoint, self._decode_rows(self._views, before, known=False))
        self._snapshot = snapshot
        return snapshot

    # -- as-of feeds -----------------------------------------------------------------------

    def as_of(
        self, audience: Audience, lang: str, moment: datetime, axis: Axis = Axis.KNOWN
    ) -> FeedVersion:
        """The feed as the office knew it at `moment` (or, with `Axis.RECORDED`, as the log
        stood then); its window is relative to `moment`."""
        if moment.utcoffset() is None:
            raise ValueError(f"as-of time {moment.isoformat()} has no UTC offset")
        moment = moment.astimezone(UTC)
        head = self._store.head()
        key = (audience, lang, moment, axis)
        with self._as_of_lock:
            found = self._as_of_versions.get(key)
            if found is not None and found[0] == head:
                self._as_of_versions.move_to_end(key)
                return found[1]
            snapshot = self._as_of_snapshot(moment, axis, head)
            version = self._build(snapshot, audience, lang, moment)
            self._as_of_versions[key] = (head, version)
            self._as_of_versions.move_to_end(key)
            while len(self._as_of_versions) > AS_OF_VERSIONS:
                self._as_of_versions.popitem(last=False)
            return version

    def _as_of_snapshot(self, moment: datetime, axis: Axis, head: int) -> _Snapshot:
        found = self._as_of_snapshots.get((moment, axis))
        if found is not None and found.mark == head:
            self._as_of_snapshots.move_to_end((moment, axis))
            return found
        projection = CalendarProjection(self._rules, self._is_working_day)
        views = calendar_as_of(self._store, moment, axis, projection)
        before = {} if found is None else found.engagements
        known = axis is Axis.KNOWN
        snapshot = _Snapshot(head, self._decode_rows(views, before, known=known))
        self._as_of_snapshots[(moment, axis)] = snapshot
        self._as_of_snapshots.move_to_end((moment, axis))
        while len(self._as_of_snapshots) > AS_OF_SNAPSHOTS:
            self._as_of_snapshots.popitem(last=False)
        return snapshot

    # -- building --------------------------------------------------------------------------

    def _decode_rows(
        self, views: ViewStore, before: dict[str, _Decoded], *, known: bool
    ) -> dict[str, _Decoded]:
        """Every engagement row of `views`, reusing `before`'s decoding of unchanged rows."""
        engagements: dict[str, _Decoded] = {}
        for _, key, _, doc in views.rows(CALENDAR, ENGAGEMENTS):
            kept = before.get(key)
            if kept is not None and kept.doc == doc:
                engagements[key] = kept
                continue
            try:
                engagements[key] = self._decode(doc, known=known)
            except (DomainError, KeyError, TypeError, ValueError) as error:
                # One unreadable row must not take every feed down; the projection's own
                # problems table and logs say more.
                logger.error("feed: engagement row %s left out: %s", key, error)
        return engagements

    def _decode(self, text: str, *, known: bool) -> _Decoded:
        doc = json.loads(text)
        engagement = Engagement.from_json(doc["engagement"])
        if known:
            # As the office knew it: its last change is when the office learned of it.
            last_modified, created, cancelled = _moment(doc["known_at"]), None, None
        else:
            last_modified = _moment(doc["updated_at"])
            created, cancelled = _moment(doc["created_at"]), _moment(doc.get("cancelled_at"))
        assert last_modified is not None
        items = feed_items(
            engagement,
            last_modified,
            self._rules,
            self._is_working_day,
            created=created,
            cancelled_at=cancelled,
        )
        return _Decoded(text, engagement.audience, last_modified, items)

    def _build(
        self,
        snapshot: _Snapshot,
        audience: Audience,
        lang: str,
        moment: datetime,
        gzipper: Callable[[bytes], bytes] = gzip_once,
    ) -> FeedVersion:
        meta = self.meta(audience, lang)
        window = self.window.at(moment)
        pieces: list[RenderedItem] = []
        last_modified: datetime | None = None
        for decoded in snapshot.engagements.values():
            if not audience.admits(decoded.audience):
                continue
            if last_modified is None or decoded.last_modified > last_modified:
                last_modified = decoded.last_modified
            shown = decoded.shown(window, audience)
            if not shown:
                continue
            reader = (lang, audience is Audience.PUBLIC)
            rendered = decoded.rendered.get(reader)
            if rendered is None:
                rendered = decoded.rendered[reader] = [None] * len(decoded.items)
            for index in shown:
                piece = rendered[index]
                if piece is None:
                    item = decoded.items[index]
                    item = replace(item, engagement=item.engagement.seen_by(audience))
                    try:
                        piece = rendered[index] = self._render(item, meta)
                    except ValueError as error:
                        # Clients drop or disable a whole calendar that fails: leave the one
                        # item out, and say so in the log.
                        engagement = decoded.items[index].engagement.id
                        logger.error("feed: an item of %s left out: %s", engagement, error)
                        continue
                pieces.append(piece)
        parts = tuple(assemble_parts(pieces, meta))
        return FeedVersion.of(b"".join(parts), last_modified, len(pieces), gzipper, parts)

    def _render(self, item: FeedItem, meta: FeedMeta) -> RenderedItem:
        piece = render_item(item, meta, self._directory)
        zone = item.deadline.tz if isinstance(item, DeadlineItem) else item.engagement.when.tz
        if zone in piece.tzids:
            return piece
        return replace(piece, tzids=piece.tzids | {zone})

    def _meta(self, audience: Audience, lang: str) -> FeedMeta:
        return FeedMeta(
            name=calendar_name(audience, lang),
            lang=lang,
            color=COLORS[audience],
            timezone=self.timezone,
            base_url=self.base_url,
            engagement_url=slot_page_url,
            default_reminders=self.default_reminders,
        )


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# -- the as_of and lang a request gives ------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?"
)
_EARLIEST = datetime(MIN_YEAR + 5, 1, 1, tzinfo=UTC)
_LATEST = datetime(MAX_YEAR - 5, 1, 1, tzinfo=UTC)


def parse_as_of(text: str, zone: str) -> datetime:
    """An as-of moment from a request: a date (YYYY-MM-DD: the end of that day in `zone`, so
    "as of 25 April" includes what was learned that day) or an RFC 3339 date-time (without an
    offset, in `zone`). ValueError with a message for the person who typed it, for anything
    else: a malformed value, a day that does not exist (2024-13-45), or one outside the years
    the calendar holds (0001-01-01, 9999-12-31, whose end of day `datetime` cannot even hold)."""
    value = text.strip()
    try:
        moment = _as_of_moment(value, zone)
    except ValueError:
        raise ValueError(
            f"as_of {text[:40]!r} is not a date or a time: give 2024-04-25 or "
            "2024-04-25T09:00:00+09:00 (RFC 3339)"
        ) from None
    except OverflowError:
        moment = None
    if moment is None or not _EARLIEST <= moment <= _LATEST:
        raise ValueError(
            f"as_of {text[:40]!r} is out of range: give a moment from "
            f"{_EARLIEST.date().isoformat()} to {_LATEST.date().isoformat()}"
        )
    return moment


def _as_of_moment(value: str, zone: str) -> datetime | None:
    """The moment `value` names, or None if it lies outside the years the calendar holds;
    ValueError if it names none."""
    if _DATE.fullmatch(value):
        day = datetime.fromisoformat(value).date()
        if not _EARLIEST.year <= day.year < _LATEST.year:
            return None  # checked first: the end of 9999-12-31 is past what datetime holds
        moment = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(zone))
        return moment - timedelta(microseconds=1)
    if _DATE_TIME.fullmatch(value):
        moment = datetime.fromisoformat(value.upper().replace(" ", "T"))
        if not _EARLIEST.year <= moment.year < _LATEST.year:
            return None  # an offset could carry it past year 1 or 9999 when compared in UTC
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))
    raise ValueError(value)


def check_lang(text: str) -> str:
    if text not in LANGUAGES:
        raise ValueError(f"lang {text[:20]!r} is not a language of the calendar: use en, ko or zh")
    return text


__all__ = [
    "FeedCache",
    "FeedVersion",
    "check_lang",
    "parse_as_of",
]

"""The iCalendar feed rendered with the icalendar library, the only module of the feed package
that imports it.

Pure: no clock, no IO. Which items a feed shows is `feed.select`; what each says,
`feed.describe`; here they become VEVENTs. Built for caching:

- `render_item(item, meta)` renders one VEVENT to bytes. Its bytes depend only on the item, the
  feed's language, zone and URLs (and the directory, if given), never on the time of rendering,
  so a caller caches them per (feed language, item) and re-renders an item only when its
  `last_modified` moves.
- `assemble(pieces, meta)` joins cached pieces into the feed; `render_calendar` does both steps.
  The result equals `calendar_component(...).to_ical()`, icalendar's own serialisation of the
  same calendar (tests hold it to that, byte for byte).

Choices (see tests/unit/test_ical.py): DTSTAMP is the item's last change, which RFC 5545 allows
for an object without METHOD, so the bytes are stable between renders. A yearly observance
whose day is unknown is one VEVENT with a yearly RRULE over an all-day span of its month,
titled "(October; day unknown)". Text goes out through `_Text`, icalendar's vText with an
escaper that is the exact inverse of RFC 5545 unescaping. Text the domain accepts (no control
character but newline) round-trips exactly, but for spaces at either end of a whole value
(libical drops them); anything else is normalised first (`clean_text`): CR, CRLF, NEL and
U+2028/2029 become a newline, other control characters and lone surrogates U+FFFD, so no value
can ever end a content line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone
from icalendar.prop import vCategory, vDDDTypes, vDuration, vInt, vRecur, vText, vUri

from calendar_service.domain import (
    LANGUAGES,
    Directory,
    Engagement,
    EngagementId,
    EventStatus,
    ExactWhen,
    ImpreciseWhen,
    Precision,
)
from calendar_service.feed import describe
from calendar_service.feed.links import TOKEN_SLOT, engagement_page_url
from calendar_service.feed.select import DeadlineItem, EngagementItem, FeedItem

PRODID = "-//calendar-service//Diplomatic calendar feed//EN"
_ONE_DAY = timedelta(days=1)
_END = b"END:VCALENDAR\r\n"
_COLOR = re.compile(r"[a-z]{3,30}")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")
_STATUS = {
    EventStatus.TENTATIVE: "TENTATIVE",
    EventStatus.CONFIRMED: "CONFIRMED",
    EventStatus.HELD: "CONFIRMED",
    EventStatus.CANCELLED: "CANCELLED",
}
"""RFC 5545's STATUS for each of the engagement's own statuses (a value, not a word)."""


@dataclass(frozen=True, kw_only=True)
class FeedMeta:
    """What a feed says about itself, and the settings its text and links depend on.

    `timezone` is the reader's zone (X-WR-TIMEZONE; the second clock for items abroad).
    `uid_domain` defaults to the host of `base_url`; fix it in production, since a UID must
    never change. `engagement_url(base_url, engagement_id)` builds each event's URL and its
    description's "Details" link (a feed's: `slot_page_url`, the engagement's page under the
    feed's page with `TOKEN_SLOT` where the feed's token goes, which `with_token` fills when
    the feed is served); without one, an item has neither. `default_reminders`:
    the alarms of an engagement without a reminder policy of its own
    (CALENDAR_REMINDER_OFFSETS, as the reminder schedule uses them).
    """

    name: str
    description: str = ""
    lang: str = "en"
    color: str | None = None
    refresh_interval: timedelta = timedelta(hours=1)
    timezone: str = "Asia/Seoul"
    base_url: str = "http://127.0.0.1:8000"
    uid_domain: str | None = None
    engagement_url: Callable[[str, EngagementId], str] | None = None
    default_reminders: tuple[timedelta, ...] = ()
    prodid: str = PRODID

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"feed lang {self.lang!r}: use one of {', '.join(LANGUAGES)}")
        if self.color is not None and _COLOR.fullmatch(self.color) is None:
            raise ValueError(f"feed color {self.color!r}: use a CSS3 colour name such as 'teal'")
        if self.refresh_interval <= timedelta(0):
            raise ValueError("feed refresh_interval: give a positive duration")
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            raise ValueError(f"feed timezone {self.timezone!r}: give an IANA zone") from None
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"feed base_url {self.base_url!r}: give an http(s) URL")

    @property
    def uid_host(self) -> str:
        return self.uid_domain or urlsplit(self.base_url).hostname or "localhost"

    def url_for(self, engagement_id: EngagementId) -> str | None:
        """The engagement's URL (None without a builder); ValueError if the builder gives one
        with a space or a control character (a URI value is not escaped, so such a character
        could end the line)."""
        if self.engagement_url is None:
            return None
        url = self.engagement_url(self.base_url, engagement_id)
        if _URL.fullmatch(url) is None:
            raise ValueError(f"engagement URL {url!r}: no spaces or control characters")
        return url


def slot_page_url(base_url: str, engagement_id: EngagementId) -> str:
    """The engagement's page under the page of a feed whose token is still to come."""
    return engagement_page_url(base_url, TOKEN_SLOT, str(engagement_id))


@dataclass(frozen=True)
class RenderedItem:
    """One item's VEVENT as bytes (folded, CRLF), with what assembling the feed needs."""

    uid: str
    sort_key: tuple[str, str]
    tzids: frozenset[str]
    ical: bytes


def render_item(item: FeedItem, meta: FeedMeta, directory: Directory | None = None) -> RenderedItem:
    """One VEVENT, ready to cache. Raises ValueError for a year-only engagement.

    The bytes depend on the item and on `meta` and `directory` only, so cache them per feed
    language and settings under (uid, last_modified): an item whose `last_modified` has not
    moved renders the same. A change of the directory or of the deadline rules invalidates all.
    """
    event = event_component(item, meta, directory)
    return RenderedItem(str(event["UID"]), _sort_key(item), _tzids(event), event.to_ical())


def assemble(pieces: Iterable[RenderedItem], meta: FeedMeta) -> bytes:
    """The feed from rendered pieces, in any order: calendar properties, a VTIMEZONE for each
    zone used (sorted by TZID), then the events by start and UID. Raises ValueError when two
    pieces share a UID."""
    return b"".join(assemble_parts(pieces, meta))


def assemble_parts(pieces: Iterable[RenderedItem], meta: FeedMeta) -> list[bytes]:
    """`assemble`'s bytes as the parts it joins (the head, each VTIMEZONE, each piece's
    bytes object as it was given, the end): what `with_token` may fill one part at a time."""
    ordered = sorted(pieces, key=lambda piece: piece.sort_key)
    uids = [piece.uid for piece in ordered]
    if len(set(uids)) != len(uids):
        duplicate = next(uid for uid in uids if uids.count(uid) > 1)
        raise ValueError(f"two feed items share the UID {duplicate}")
    tzids = sorted(set().union(*(piece.tzids for piece in ordered)))
    return [
        _calendar_head(meta),
        *(_vtimezone(tzid) for tzid in tzids),
        *(piece.ical for piece in ordered),
        _END,
    ]


def render_calendar(
    items: Iterable[FeedItem], meta: FeedMeta, directory: Directory | None = None
) -> bytes:
    """The whole feed for already selected items (see `select_for_feed`)."""
    return assemble((render_item(item, meta, directory) for item in items), meta)


def calendar_component(
    items: Iterable[FeedItem], meta: FeedMeta, directory: Directory | None = None
) -> Calendar:
    """The same feed as an icalendar Calendar, for checks and comparisons: its `to_ical()`
    equals `render_calendar(items, meta)`."""
    calendar = _calendar_shell(meta)
    keyed = [(_sort_key(item), event_component(item, meta, directory)) for item in items]
    components = [event for _, event in sorted(keyed, key=lambda pair: pair[0])]
    for tzid in sorted(frozenset().union(*(_tzids(event) for event in components))):
        calendar.add_component(_timezone_component(tzid))
    for event in components:
        calendar.add_component(event)
    return calendar


def event_component(item: FeedItem, meta: FeedMeta, directory: Directory | None = None) -> Event:
    """One item's VEVENT as an icalendar Event."""
    if isinstance(item, DeadlineItem):
        return _deadline_event(item, meta)
    return _engagement_event(item, meta, directory)


def timezones_for(event: Event) -> list[Timezone]:
    """A VTIMEZONE for each zone the event's DTSTART and DTEND name, by TZID, as the feed has
    them: what a calendar holding this one event needs (an invitation's). Each is the caller's
    own copy (a copy costs a fiftieth of building one)."""
    return [copy.deepcopy(_shared_timezone(tzid)) for tzid in sorted(_tzids(event))]


# -- the calendar ------------------------------------------------------------------------------


def _calendar_shell(meta: FeedMeta) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", meta.prodid)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    for name in ("NAME", "X-WR-CALNAME"):
        calendar.add(name, _text(meta.name))
    if meta.description:
        for name in ("DESCRIPTION", "X-WR-CALDESC"):
            calendar.add(name, _text(meta.description))
    if meta.color is not None:
        calendar.add("COLOR", meta.color)
    calendar.add("REFRESH-INTERVAL", vDuration(meta.refresh_interval, {"VALUE": "DURATION"}))
    calendar.add("X-PUBLISHED-TTL", vDuration(meta.refresh_interval))
    calendar.add("X-WR-TIMEZONE", meta.timezone)
    return calendar


@cache
def _calendar_head(meta: FeedMeta) -> bytes:
    shell = bytes(_calendar_shell(meta).to_ical())
    assert shell.endswith(_END)
    return shell[: -len(_END)]


@cache
def _vtimezone(tzid: str) -> bytes:
    # Cached: building a VTIMEZONE walks the zone's transitions.
    return bytes(_timezone_component(tzid).to_ical())


@cache
def _shared_timezone(tzid: str) -> Timezone:
    return _timezone_component(tzid)


def _timezone_component(tzid: str) -> Timezone:
    """icalendar's VTIMEZONE, as Calendar.add_missing_timezones() adds it, without the COMMENT
    it puts on the VTIMEZONE itself: RFC 5545 lists no COMMENT there, and libical's
    restriction check reports it."""
    timezone = Timezone.from_tzid(tzid)
    timezone.pop("COMMENT", None)
    return timezone


def _tzids(event: Event) -> frozenset[str]:
    return frozenset(
        value.params["TZID"]
        for name in ("DTSTART", "DTEND")
        if (value := event.get(name)) is not None and "TZID" in value.params
    )


def _sort_key(item: FeedItem) -> tuple[str, str]:
    if isinstance(item, DeadlineItem):
        return item.deadline.due.isoformat(), item.deadline.id
    return item.engagement.when.first_day.isoformat(), str(item.engagement.id)


# -- one engagement ----------------------------------------------------------------------------


def _engagement_event(item: EngagementItem, meta: FeedMeta, directory: Directory | None) -> Event:
    engagement, lang = item.engagement, meta.lang
    if engagement.when.precision is Precision.YEAR:
        raise ValueError(
            f"{engagement.id} is known only by year; select_for_feed leaves it out of feeds"
        )
    event = _stamped(f"{engagement.id}@{meta.uid_host}", item.last_modified, engagement.sequence)
    if item.created is not None:
        event["CREATED"] = vDDDTypes(item.created.astimezone(UTC))
    summary = describe.summary(engagement, lang)
    event["SUMMARY"] = _text(summary)
    _add_when(event, engagement)
    event["STATUS"] = vText(_status(engagement))
    event["TRANSP"] = vText("OPAQUE" if _busy(engagement) else "TRANSPARENT")
    location = describe.location(engagement, lang)
    if location:
        event["LOCATION"] = _text(location)
    event["CATEGORIES"] = vCategory(describe.categories(engagement, lang))
    url = meta.url_for(engagement.id)
    lines = describe.description_lines(
        engagement, lang, meta.timezone, url, directory, item.decide_by
    )
    event["DESCRIPTION"] = _text(_lines(lines))
    if url is not None:
        event["URL"] = vUri(url)
    for offset in _alarm_offsets(engagement, meta.default_reminders):
        event.add_component(_alarm(describe.alarm_text(summary, offset, lang), offset))
    return event


def _stamped(uid: str, last_modified: datetime, sequence: int) -> Event:
    event = Event()
    event["UID"] = vText(uid)
    event["DTSTAMP"] = vDDDTypes(last_modified.astimezone(UTC))
    event["LAST-MODIFIED"] = vDDDTypes(last_modified.astimezone(UTC))
    event["SEQUENCE"] = vInt(sequence)
    return event


def _add_when(event: Event, engagement: Engagement) -> None:
    when, recurrence = engagement.when, engagement.recurrence
    if isinstance(when, ExactWhen):
        event["DTSTART"] = vDDDTypes(when.start)
        event["DTEND"] = vDDDTypes(when.end)
    else:
        event["DTSTART"] = vDDDTypes(when.start_date)
        event["DTEND"] = vDDDTypes(when.end_date_exclusive)
    if recurrence is not None:
        rule: dict[str, Any] = {"FREQ": "YEARLY"}
        if recurrence.month == 2 and recurrence.day == 29:
            # The domain moves 29 February to the 28th in other years: the month's last day.
            rule |= {"BYMONTH": 2, "BYMONTHDAY": -1}
        event["RRULE"] = vRecur(rule)


def _status(engagement: Engagement) -> str:
    """TENTATIVE while the dates are to be confirmed (the title says so too), whatever the
    engagement's own status: Summer Davos was certain to happen, its dates were not."""
    if (
        isinstance(engagement.when, ImpreciseWhen)
        and engagement.recurrence is None
        and engagement.status is not EventStatus.CANCELLED
    ):
        return "TENTATIVE"
    return _STATUS[engagement.status]


def _busy(engagement: Engagement) -> bool:
    """Busy (OPAQUE) only when the engagement is on, its day is known, and the province has
    not left it undecided or declined it: an undecided invitation shows as free (DESIGN §8)."""
    return (
        engagement.status in (EventStatus.CONFIRMED, EventStatus.HELD)
        and engagement.when.precision >= Precision.ALL_DAY
        and engagement.recurrence is None
        and not describe.undecided(engagement)
        and not describe.declined(engagement)
    )


def _alarm_offsets(
    engagement: Engagement, defaults: tuple[timedelta, ...]
) -> tuple[timedelta, ...]:
    """The engagement's reminder offsets, or the service's defaults when it has no policy of
    its own; none for a cancelled or declined engagement, nor for one whose day is not known
    (as the reminder schedule plans them, `domain.reminder_plan.plan`)."""
    if (
        engagement.status is EventStatus.CANCELLED
        or describe.declined(engagement)
        or engagement.when.precision < Precision.ALL_DAY
    ):
        return ()
    policy = engagement.reminder_policy
    return defaults if policy is None else policy.offsets


def _alarm(text: str, offset: timedelta) -> Alarm:
    alarm = Alarm()
    alarm["ACTION"] = vText("DISPLAY")
    alarm["DESCRIPTION"] = _text(text)
    alarm["TRIGGER"] = vDDDTypes(-offset)
    return alarm


# -- one deadline ------------------------------------------------------------------------------


def _deadline_event(item: DeadlineItem, meta: FeedMeta) -> Event:
    deadline, engagement, lang = item.deadline, item.engagement, meta.lang
    sequence = engagement.sequence if item.sequence is None else item.sequence
    event = _stamped(f"{deadline.id}@{meta.uid_host}", item.last_modified, sequence)
    event["SUMMARY"] = _text(describe.deadline_summary(deadline, engagement, lang))
    event["DTSTART"] = vDDDTypes(deadline.due)
    event["DTEND"] = vDDDTypes(deadline.due + _ONE_DAY)
    event["STATUS"] = vText("TENTATIVE" if deadline.tentative else "CONFIRMED")
    event["TRANSP"] = vText("TRANSPARENT")
    event["CATEGORIES"] = vCategory(describe.deadline_categories(engagement, lang))
    url = meta.url_for(engagement.id)
    event["DESCRIPTION"] = _text(_lines(describe.deadline_lines(deadline, engagement, lang, url)))
    if url is not None:
        event["URL"] = vUri(url)
    event["RELATED-TO"] = vText(f"{engagement.id}@{meta.uid_host}")
    return event


# -- the feed's token in its links ---------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")
_SLOT = re.compile(b"(?:\r\n )?".join(re.escape(bytes([c])) for c in TOKEN_SLOT.encode()))
"""`TOKEN_SLOT` in rendered bytes, wherever the folding of its line put a line break."""


def with_token(body: bytes, token: str) -> bytes:
    """`body` with the feed's `token` where its links hold `TOKEN_SLOT`, each changed content
    line folded again as icalendar folds it. A token that is not URL-safe (never one
    `feed.tokens` made) leaves `body` as it is."""
    if _TOKEN.fullmatch(token) is None or _SLOT.search(body) is None:
        return body
    if len(token) == len(TOKEN_SLOT):
        return _in_place(body, token.encode())
    parts, done = [], 0
    for start, end in _lines_with_slot(body):
        line = body[start:end].replace(b"\r\n ", b"").decode("utf-8")
        parts += [body[done:start], _folded(line.replace(TOKEN_SLOT, token))]
        done = end
    parts.append(body[done:])
    return b"".join(parts)


_DETAILS = re.compile(r"\\n[^\\]*" + re.escape(TOKEN_SLOT) + r"[^\\]*")
"""In an unfolded DESCRIPTION: the escaped line break and the "Details: <url>" line whose URL
holds the slot, up to the next escape (a URL holds no backslash)."""


def without_links(body: bytes) -> bytes:
    """`body` with no link to an engagement's page: for a rendering no feed's token will fill
    (`calendar-service export` without `--token`), a link left out rather than a dead one.
    URL properties holding the slot are dropped, and the "Details" line of a description."""
    parts, done = [], 0
    for start, end in _lines_with_slot(body):
        line = body[start:end].replace(b"\r\n ", b"").decode("utf-8")
        parts.append(body[done:start])
        done = end
        if line.startswith("URL"):
            done = end + 2  # the line and its CRLF
            continue
        parts.append(_folded(_DETAILS.sub("", line)))
    parts.append(body[done:])
    return b"".join(parts)


_RUN = re.compile(rb"~(?:~|\r\n )*")
"""A run of the slot's character, folds included: a slot a fold splits, once the whole slots
are filled (a run of any other length is user text, left as it is)."""


def _in_place(body: bytes, token: bytes) -> bytes:
    """`with_token` for a token as long as the slot (every token `feed.tokens` makes): one
    ASCII character for another, so every fold stays where it is (icalendar folds by octets,
    and neither a token nor the slot holds the backslash or caret its folding keeps whole).
    Whole slots are replaced at the speed of `bytes.replace`; a slot a fold splits keeps the
    fold inside it."""
    slot = TOKEN_SLOT.encode()
    body = body.replace(slot, token)
    if b"\r\n ~" not in body and b"~\r\n " not in body:
        return body

    def fill(found: re.Match[bytes]) -> bytes:
        run = found.group(0)
        if run.count(b"~") != len(slot):
            return run
        pieces, at = [], 0
        for piece in run.split(b"\r\n "):
            pieces.append(token[at : at + len(piece)])
            at += len(piece)
        return b"\r\n ".join(pieces)

    return _RUN.sub(fill, body)


_FOLD_OCTETS = 74
"""icalendar folds a content line into pieces of at most 74 octets (RFC 5545: under 75)."""


def _folded(line: str) -> bytes:
    """One content line folded exactly as icalendar folds every line it writes
    (`Contentline.to_ical`), but by slicing the UTF-8 bytes instead of walking characters:
    filling a token refolds every line with a link, thousands in a large feed, on the way to
    a subscriber's GET. Each piece is the longest run of whole characters within 74 octets,
    and, as in icalendar, a piece never ends with a backslash or caret (an escape stays
    whole): that character starts the next piece."""
    data = line.encode("utf-8")
    pieces, start = [], 0
    while len(data) - start > _FOLD_OCTETS:
        end = start + _FOLD_OCTETS
        while data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def _lines_with_slot(body: bytes) -> list[tuple[int, int]]:
    """Start and end (before its CRLF) of each content line holding the slot, in order."""
    spans: list[tuple[int, int]] = []
    for found in _SLOT.finditer(body):
        if spans and found.start() < spans[-1][1]:
            continue  # a second slot on a line already taken
        start = found.start()
        while (before := body.rfind(b"\r\n", 0, start)) != -1:
            if body[before + 2 : before + 3] != b" ":
                break
            start = before  # that line continues the one before it
        start = 0 if before == -1 else before + 2
        end = body.find(b"\r\n", found.end())
        while end != -1 and body[end + 2 : end + 3] == b" ":
            end = body.find(b"\r\n", end + 2)
        spans.append((start, len(body) if end == -1 else end))
    return spans


# -- text safety -------------------------------------------------------------------------------

_ESCAPED = re.compile(r"[\\;,\n]")
_ESCAPES = {"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"}
_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (category Cc) but tab and newline, and lone surrogates (Cs)."""


class _Text(vText):
    r"""icalendar's TEXT value with an escaper that is the exact inverse of RFC 5545 unescaping.

    icalendar's own escaper first reads a literal backslash-N as a line break (its shorthand
    for one), so 'C:\New' would come back as 'C:' + newline + 'ew'.
    """

    __slots__ = ()

    def to_ical(self) -> bytes:
        escaped = _ESCAPED.sub(lambda match: _ESCAPES[match[0]], str(self))
        return escaped.encode("utf-8")


def _lines(lines: list[str]) -> str:
    """Lines joined by newlines, each line's own breaks made newlines first: a line ending in
    CR would otherwise make a CRLF with the joining newline, and two lines would read as one."""
    return "\n".join(_BREAKS.sub("\n", line) for line in lines)


def _text(value: str) -> _Text:
    return _Text(clean_text(value))


def clean_text(value: str) -> str:
    """What a TEXT property whose value is `value` reads as in every parser.

    Unchanged for text the domain accepts, except spaces and tabs at either end, which
    libical drops (so they are dropped for all). CR, CRLF, NEL and U+2028/2029 become a
    newline; other control characters (tab excepted) and lone surrogates become U+FFFD.
    """
    return _UNSAFE.sub("\ufffd", _BREAKS.sub("\n", value)).strip(" \t")


__all__ = [
    "PRODID",
    "FeedMeta",
    "RenderedItem",
    "assemble",
    "assemble_parts",
    "calendar_component",
    "clean_text",
    "event_component",
    "render_calendar",
    "render_item",
    "slot_page_url",
    "timezones_for",
    "with_token",
    "without_links",
]

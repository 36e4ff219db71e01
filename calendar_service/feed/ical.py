"""The iCalendar feed: engagements and their deadlines rendered with the icalendar library.

Pure: no clock, no IO. The only module that imports icalendar. Built for caching:

- `select_for_feed(items, window, audience)` picks what a feed shows (rolling window around the
  as-of moment, audience, cancelled items kept for a while, year-only engagements left out).
- `render_item(item, meta)` renders one VEVENT to bytes. Its bytes depend only on the item, the
  feed's language, zone and URLs (and the directory, if given), never on the time of rendering,
  so a caller caches them per (feed language, item) and re-renders an item only when its
  `last_modified` moves.
- `assemble(pieces, meta)` joins cached pieces into the feed; `render_calendar` does both steps.
  The result equals `calendar_component(...).to_ical()`, icalendar's own serialisation of the
  same calendar (tests hold it to that, byte for byte).

Choices (see tests/unit/test_ical.py): DTSTAMP is the item's last change, which RFC 5545 allows
for an object without METHOD, so the bytes are stable between renders. An engagement known only
by year is left out of feeds (a year-long bar in every calendar is noise, and any single day
would be made up). A yearly observance whose day is unknown is one VEVENT with a yearly RRULE
over an all-day span of its month, titled "(October; day unknown)". Text goes out through
`_Text`, icalendar's vText with an escaper that is the exact inverse of RFC 5545 unescaping.
Text the domain accepts (no control character but newline) round-trips exactly, but for
spaces at either end of a whole value (libical drops them); anything else is normalised first
(`clean_text`): CR, CRLF, NEL and U+2028/2029 become a newline, other control characters and
lone surrogates U+FFFD, so no value can ever end a content line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone
from icalendar.prop import vCategory, vDDDTypes, vDuration, vInt, vRecur, vText, vUri

from calendar_service.domain import (
    Audience,
    Deadline,
    DeadlineRules,
    Directory,
    Engagement,
    EngagementId,
    EventStatus,
    ExactWhen,
    ImpreciseWhen,
    Participant,
    Precision,
    Source,
    WorkingDayPredicate,
    derive_deadlines,
)
from calendar_service.domain.engagement.when import AllDayWhen

PRODID = "-//calendar-service//Diplomatic calendar feed//EN"
LANGUAGES = ("en", "ko", "zh")
_ONE_DAY = timedelta(days=1)
_END = b"END:VCALENDAR\r\n"
_COLOR = re.compile(r"[a-z]{3,30}")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")


@dataclass(frozen=True, kw_only=True)
class FeedMeta:
    """What a feed says about itself, and the settings its text and links depend on.

    `timezone` is the reader's zone (X-WR-TIMEZONE; the second clock for items abroad).
    `uid_domain` defaults to the host of `base_url`; fix it in production, since a UID must
    never change. `engagement_url(base_url, engagement_id)` builds each event's URL.
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
    prodid: str = PRODID

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"feed lang {self.lang!r}: use one of en, ko, zh")
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

    def url_for(self, engagement_id: EngagementId) -> str:
        """The engagement's URL; ValueError if the builder gives one with a space or a control
        character (a URI value is not escaped, so such a character could end the line)."""
        if self.engagement_url is None:
            url = f"{self.base_url.rstrip('/')}/engagements/{engagement_id}"
        else:
            url = self.engagement_url(self.base_url, engagement_id)
        if _URL.fullmatch(url) is None:
            raise ValueError(f"engagement URL {url!r}: no spaces or control characters")
        return url


def _aware(field: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{field} {value.isoformat()}: give an aware time (with a UTC offset)")


@dataclass(frozen=True, kw_only=True)
class EngagementItem:
    """An engagement as the feed shows it. `last_modified` is its last change of any kind
    (the store's recorded_at): it becomes DTSTAMP and LAST-MODIFIED. `cancelled_at` is when
    it was cancelled (defaults to `last_modified`)."""

    engagement: Engagement
    last_modified: datetime
    created: datetime | None = None
    cancelled_at: datetime | None = None

    def __post_init__(self) -> None:
        _aware("last_modified", self.last_modified)
        _aware("created", self.created)
        _aware("cancelled_at", self.cancelled_at)


@dataclass(frozen=True, kw_only=True)
class DeadlineItem:
    """A deadline of `engagement`. `sequence` defaults to the engagement's: a due date set by
    hand does not bump the engagement's sequence, so a projection that counts those passes it."""

    deadline: Deadline
    engagement: Engagement
    last_modified: datetime
    sequence: int | None = None

    def __post_init__(self) -> None:
        _aware("last_modified", self.last_modified)


FeedItem = EngagementItem | DeadlineItem


def feed_items(
    engagement: Engagement,
    last_modified: datetime,
    rules: DeadlineRules,
    is_working_day: WorkingDayPredicate,
    *,
    created: datetime | None = None,
    cancelled_at: datetime | None = None,
) -> list[FeedItem]:
    """The engagement's item followed by its derived deadlines (none once cancelled)."""
    items: list[FeedItem] = [
        EngagementItem(
            engagement=engagement,
            last_modified=last_modified,
            created=created,
            cancelled_at=cancelled_at,
        )
    ]
    for deadline in derive_deadlines(engagement, rules, is_working_day):
        items.append(
            DeadlineItem(deadline=deadline, engagement=engagement, last_modified=last_modified)
        )
    return items


@dataclass(frozen=True, kw_only=True)
class FeedWindow:
    """The span a feed shows, relative to its as-of moment; how long a cancelled engagement
    stays (as CANCELLED) after its cancellation; how long a deadline stays after its day
    (None: as long as the window). Deadlines are to-dos: past ones fill a feed (several per
    engagement, against Google's 1 MB) and help no one; the engagement itself stays."""

    as_of: datetime
    years_back: int = 3
    years_ahead: int = 2
    keep_cancelled: timedelta = timedelta(days=30)
    keep_past_deadlines: timedelta | None = timedelta(days=30)

    def __post_init__(self) -> None:
        _aware("as_of", self.as_of)
        if self.years_back < 0 or self.years_ahead < 0:
            raise ValueError("feed window: give years_back and years_ahead of 0 or more")

    @property
    def start(self) -> datetime:
        return _years_later(self.as_of, -self.years_back)

    @property
    def end(self) -> datetime:
        return _years_later(self.as_of, self.years_ahead)


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def select_for_feed(
    items: Iterable[FeedItem], window: FeedWindow, audience: Audience
) -> list[FeedItem]:
    """The items a feed for `audience` shows as of `window.as_of`, in the order given.

    Never an engagement (or its deadline) above the audience. An engagement known only by
    year is left out (its deadlines, counted from the year's bounds and marked to be
    confirmed, stay); a cancelled one stays for `window.keep_cancelled` after its
    cancellation; a recurring observance stays once its first year has begun.
    """
    return [item for item in items if _shown(item, window, audience)]


def _shown(item: FeedItem, window: FeedWindow, audience: Audience) -> bool:
    engagement = item.engagement
    if not audience.admits(engagement.audience):
        return False
    if isinstance(item, DeadlineItem):
        start = datetime.combine(item.deadline.due, datetime.min.time(), ZoneInfo(item.deadline.tz))
        end = start + _ONE_DAY
        kept = window.keep_past_deadlines
        if kept is not None and window.as_of - end > kept:
            return False
        return window.start < end and start < window.end
    if engagement.when.precision is Precision.YEAR:
        return False
    if engagement.status is EventStatus.CANCELLED:
        cancelled = item.cancelled_at or item.last_modified
        if window.as_of - cancelled > window.keep_cancelled:
            return False
    start, end = engagement.when.bounds()
    if engagement.recurrence is not None:
        return start < window.end
    return window.start < end and start < window.end


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
    ordered = sorted(pieces, key=lambda piece: piece.sort_key)
    uids = [piece.uid for piece in ordered]
    if len(set(uids)) != len(uids):
        duplicate = next(uid for uid in uids if uids.count(uid) > 1)
        raise ValueError(f"two feed items share the UID {duplicate}")
    tzids = sorted(set().union(*(piece.tzids for piece in ordered)))
    return b"".join(
        (
            _calendar_head(meta),
            *(_vtimezone(tzid) for tzid in tzids),
            *(piece.ical for piece in ordered),
            _END,
        )
    )


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
    when = engagement.when
    if when.precision is Precision.YEAR:
        raise ValueError(
            f"{engagement.id} is known only by year; select_for_feed leaves it out of feeds"
        )
    event = _stamped(f"{engagement.id}@{meta.uid_host}", item.last_modified, engagement.sequence)
    if item.created is not None:
        event["CREATED"] = vDDDTypes(item.created.astimezone(UTC))
    summary = _summary(engagement, lang)
    event["SUMMARY"] = _text(summary)
    _add_when(event, engagement)
    event["STATUS"] = vText(_status(engagement))
    event["TRANSP"] = vText("OPAQUE" if _busy(engagement) else "TRANSPARENT")
    location = _location(engagement, lang)
    if location:
        event["LOCATION"] = _text(location)
    event["CATEGORIES"] = vCategory(
        [_WORDS[lang][engagement.kind], _WORDS[lang][engagement.audience]]
    )
    url = meta.url_for(engagement.id)
    event["DESCRIPTION"] = _text(_description(item, meta, directory, url))
    event["URL"] = vUri(url)
    if _has_alarms(engagement):
        assert engagement.reminder_policy is not None
        for offset in engagement.reminder_policy.offsets:
            event.add_component(_alarm(offset, summary))
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
    return (
        engagement.status in (EventStatus.CONFIRMED, EventStatus.HELD)
        and engagement.when.precision >= Precision.ALL_DAY
        and engagement.recurrence is None
    )


def _has_alarms(engagement: Engagement) -> bool:
    """No alarm for a cancelled engagement, nor for one whose day is not known."""
    return (
        engagement.reminder_policy is not None
        and engagement.status is not EventStatus.CANCELLED
        and engagement.when.precision >= Precision.ALL_DAY
    )


def _alarm(offset: timedelta, summary: str) -> Alarm:
    alarm = Alarm()
    alarm["ACTION"] = vText("DISPLAY")
    alarm["DESCRIPTION"] = _text(summary)
    alarm["TRIGGER"] = vDDDTypes(-offset)
    return alarm


def _summary(engagement: Engagement, lang: str) -> str:
    words = _WORDS[lang]
    title = engagement.title.best(lang)
    when, recurrence = engagement.when, engagement.recurrence
    if recurrence is not None and recurrence.day is None:
        title = (
            f"{title} ({words['month_day_unknown'].format(month=_month(recurrence.month, lang))})"
        )
    elif isinstance(when, ImpreciseWhen):
        title = f"{title} ({words['tbc']})"
    elif isinstance(when, AllDayWhen) and when.part_of_day is not None:
        title = f"{title} ({words[when.part_of_day]})"
    if engagement.status is EventStatus.CANCELLED:
        title = f"{words['cancelled_prefix']}{title}"
    return title


def _location(engagement: Engagement, lang: str) -> str:
    place = engagement.place
    if place is None:
        return ""
    parts = [text.best(lang) for text in (place.name, place.city) if text is not None]
    parts.append(_COUNTRIES.get(place.country, {}).get(lang, place.country))
    located = ", ".join(parts)
    if place.confidence != "confirmed":
        located = f"{located} ({_WORDS[lang]['probable']})"
    return located


# -- the description ---------------------------------------------------------------------------


def _description(
    item: EngagementItem, meta: FeedMeta, directory: Directory | None, url: str
) -> str:
    engagement, lang = item.engagement, meta.lang
    words = _WORDS[lang]
    status = words[engagement.status]
    if engagement.status is EventStatus.CANCELLED and engagement.cancellation_reason:
        status = f"{status}: {engagement.cancellation_reason}"
    lines = [
        f"{words['when']}: {_when_text(engagement, meta)}",
        f"{words['status']}: {status}",
    ]
    if engagement.participation != "not_applicable":
        participation = words[engagement.participation]
        if engagement.delegate is not None:
            participation += f" → {_person(engagement.delegate, lang, directory)}"
        if engagement.decision_note:
            participation += f" ({engagement.decision_note})"
        lines.append(f"{words['participation']}: {participation}")
    if engagement.inviter:
        lines.append(f"{words['inviter']}: {_party(engagement.inviter, lang, directory)}")
    if engagement.participants:
        lines.append(f"{words['participants']}:")
        lines += [f"- {_person(person, lang, directory)}" for person in engagement.participants]
    if engagement.place is not None and engagement.place.basis:
        lines.append(f"{words['place']}: {engagement.place.basis}")
    if engagement.aliases:
        lines.append(f"{words['aliases']}: {', '.join(engagement.aliases)}")
    if engagement.notes:
        lines.append(f"{words['notes']}:")
        lines += [f"- {note}" for note in engagement.notes]
    if engagement.sources:
        lines.append(f"{words['sources']}:")
        lines += [f"- {_source(source, lang)}" for source in engagement.sources]
    lines.append(f"{words['link']}: {url}")
    return _lines(lines)


def _when_text(engagement: Engagement, meta: FeedMeta) -> str:
    when, lang, words = engagement.when, meta.lang, _WORDS[meta.lang]
    recurrence = engagement.recurrence
    if recurrence is not None:
        month = _month(recurrence.month, lang)
        on = (
            month
            if recurrence.day is None
            else words["month_day"].format(month=month, day=recurrence.day)
        )
        every = words["yearly"].format(on=on, year=recurrence.since_year)
        return every if recurrence.day is not None else f"{every} ({words['day_unknown']})"
    if isinstance(when, ExactWhen):
        here = f"{_span(when.start, when.end)} {_city(engagement, when.tz, lang)}"
        if when.tz == meta.timezone:
            return here
        home = ZoneInfo(meta.timezone)
        there = f"{_span(when.start.astimezone(home), when.end.astimezone(home))}"
        return f"{here}, {there} {_zone_city(meta.timezone, lang)}"
    days = _days(when.first_day, when.last_day)
    if isinstance(when, ImpreciseWhen):
        if when.precision is Precision.MONTH:
            days = words["month_year"].format(
                month=_month(when.start_date.month, lang), year=when.start_date.year
            )
        return f"{days}, {words['dates_tbc']} ({when.tz})"
    if when.part_of_day is not None:
        return f"{days} {words[when.part_of_day]} ({when.tz})"
    return f"{days} ({words['all_day']}, {when.tz})"


def _span(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def _days(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def _city(engagement: Engagement, tz: str, lang: str) -> str:
    place = engagement.place
    if place is not None and place.city is not None and place.tz == tz:
        return place.city.best(lang)
    return _zone_city(tz, lang)


def _zone_city(tz: str, lang: str) -> str:
    known = _ZONE_CITIES.get(tz)
    return known[lang] if known else tz.rsplit("/", 1)[-1].replace("_", " ")


def _month(month: int, lang: str) -> str:
    return _MONTHS[month - 1] if lang == "en" else f"{month}{_WORDS[lang]['month_suffix']}"


def _party(party_id: str, lang: str, directory: Directory | None) -> str:
    entry = None if directory is None else directory.get(party_id) or directory.resolve(party_id)
    if entry is None:
        return party_id
    name = entry.name.best(lang)
    return f"{name}, {entry.position.best(lang)}" if entry.position is not None else name


def _person(participant: Participant, lang: str, directory: Directory | None) -> str:
    if participant.name is not None:
        name = participant.name.best(lang)
    else:
        name = _party(participant.party_id, lang, directory)
    return f"{name} ({participant.role.replace('_', ' ')})"


def _source(source: Source, lang: str) -> str:
    parts = [_WORDS[lang][source.origin] + (f" {source.ref}" if source.ref else "")]
    if source.quote:
        parts.append(f"“{source.quote}”")
    if source.claim:
        parts.append(source.claim)
    if source.url:
        parts.append(source.url)
    return ": ".join(parts[:2]) + "".join(f" {part}" for part in parts[2:])


# -- one deadline ------------------------------------------------------------------------------


def _deadline_event(item: DeadlineItem, meta: FeedMeta) -> Event:
    deadline, engagement, lang = item.deadline, item.engagement, meta.lang
    words = _WORDS[lang]
    sequence = engagement.sequence if item.sequence is None else item.sequence
    event = _stamped(f"{deadline.id}@{meta.uid_host}", item.last_modified, sequence)
    title = deadline.title.best(lang)
    event["SUMMARY"] = _text(f"{title} ({words['tbc']})" if deadline.tentative else title)
    event["DTSTART"] = vDDDTypes(deadline.due)
    event["DTEND"] = vDDDTypes(deadline.due + _ONE_DAY)
    event["STATUS"] = vText("TENTATIVE" if deadline.tentative else "CONFIRMED")
    event["TRANSP"] = vText("TRANSPARENT")
    event["CATEGORIES"] = vCategory([words["deadline"], words[engagement.audience]])
    url = meta.url_for(engagement.id)
    # The rule's first sentence only: its basis is on the engagement's page, and a feed has
    # several deadlines per engagement, so each byte here counts against the 1 MB budget.
    rule = deadline.rule_text.split(" Basis: ", 1)[0] if deadline.derived else deadline.rule_text
    lines = [f"{words['rule']}: {rule}"]
    if deadline.due != deadline.unadjusted:
        lines.append(words["moved_from"].format(day=deadline.unadjusted.isoformat()))
    lines.append(f"{words['link']}: {url}")
    event["DESCRIPTION"] = _text(_lines(lines))
    event["URL"] = vUri(url)
    event["RELATED-TO"] = vText(f"{engagement.id}@{meta.uid_host}")
    return event


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


# -- words -------------------------------------------------------------------------------------

_STATUS = {
    EventStatus.TENTATIVE: "TENTATIVE",
    EventStatus.CONFIRMED: "CONFIRMED",
    EventStatus.HELD: "CONFIRMED",
    EventStatus.CANCELLED: "CANCELLED",
}
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_ZONE_CITIES = {
    "Asia/Seoul": {"en": "Seoul", "ko": "서울", "zh": "首尔"},
    "Asia/Shanghai": {"en": "Beijing time", "ko": "베이징 시간", "zh": "北京时间"},
    "Asia/Tokyo": {"en": "Tokyo", "ko": "도쿄", "zh": "东京"},
}
_COUNTRIES = {
    "KR": {"en": "South Korea", "ko": "대한민국", "zh": "韩国"},
    "CN": {"en": "China", "ko": "중국", "zh": "中国"},
    "JP": {"en": "Japan", "ko": "일본", "zh": "日本"},
    "US": {"en": "United States", "ko": "미국", "zh": "美国"},
    "VN": {"en": "Vietnam", "ko": "베트남", "zh": "越南"},
    "MN": {"en": "Mongolia", "ko": "몽골", "zh": "蒙古"},
}
# fmt: off
_KEYS = (
    "tbc", "cancelled_prefix", "month_day_unknown", "morning", "afternoon", "evening",
    "probable", "when", "status", "participation", "inviter", "participants", "place",
    "aliases", "notes", "sources", "link", "moved_from", "rule", "deadline", "all_day",
    "dates_tbc",
    "day_unknown", "yearly", "month_day", "month_year", "month_suffix",
    "tentative", "confirmed", "held", "cancelled",
    "invited", "decision_pending", "attending", "declined", "delegated",
    "meeting", "visit", "forum", "expo", "signing", "anniversary",
    "public", "staff", "restricted", "article", "external", "assumed",
)
_TEXTS = {
    "en": (
        "to be confirmed", "CANCELLED: ", "{month}; day unknown", "morning", "afternoon",
        "evening", "probable", "When", "Status", "Our participation", "Invited by",
        "Participants", "Place", "Also known as", "Notes", "Sources", "Details",
        "Moved back from {day}, not a working day", "Rule",
        "Deadline", "all day", "dates to be confirmed", "day unknown",
        "every year, {on}, since {year}", "{month} {day}", "{month} {year}", "",
        "tentative", "confirmed", "held", "cancelled",
        "invited", "decision pending", "attending", "declined", "delegated",
        "Meeting", "Visit", "Forum", "Expo", "Signing", "Anniversary",
        "Public", "Staff", "Restricted", "Article", "External", "Assumed",
    ),
    "ko": (
        "미정", "[취소] ", "{month}, 날짜 미상", "오전", "오후", "저녁", "추정", "일시", "상태",
        "우리 측 참석", "초청", "참석자", "장소", "다른 이름", "메모", "출처", "자세히",
        "{day}이 휴일이어서 앞당김",
        "규칙", "마감", "종일", "날짜 미정", "날짜 미상", "{year}년부터 매년 {on}",
        "{month} {day}일", "{year}년 {month}", "월",
        "잠정", "확정", "개최됨", "취소",
        "초청받음", "검토 중", "참석", "불참", "대리 참석",
        "회의", "방문", "포럼", "박람회", "서명", "기념일",
        "공개", "직원", "제한", "기사", "외부 자료", "가정",
    ),
    "zh": (
        "待定", "[已取消] ", "{month}，日期不详", "上午", "下午", "晚上", "推定", "时间", "状态",
        "我方出席", "邀请方", "参加者", "地点", "别名", "备注", "来源", "详情",
        "{day}非工作日，已提前", "规则",
        "截止日期", "全天", "日期待定", "日期不详", "自{year}年起每年{on}", "{month}{day}日",
        "{year}年{month}", "月",
        "暂定", "已确认", "已举行", "已取消",
        "受邀", "待决定", "出席", "谢绝", "委派他人",
        "会议", "访问", "论坛", "博览会", "签约", "纪念日",
        "公开", "内部", "限制", "报道", "外部资料", "假设",
    ),
}
# fmt: on
_WORDS: dict[str, dict[str, str]] = {
    lang: dict(zip(_KEYS, texts, strict=True)) for lang, texts in _TEXTS.items()
}

__all__ = [
    "LANGUAGES",
    "PRODID",
    "DeadlineItem",
    "EngagementItem",
    "FeedItem",
    "FeedMeta",
    "FeedWindow",
    "RenderedItem",
    "assemble",
    "calendar_component",
    "clean_text",
    "event_component",
    "feed_items",
    "render_calendar",
    "render_item",
    "select_for_feed",
]

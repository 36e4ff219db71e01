"""The feed in the parsers real clients use: icalendar, vobject, ical (Home Assistant's strict
parser), ical.js (Thunderbird's, via node) and libical (Apple/Evolution's C library, via
ctypes). Each parser's view is normalised to `Parsed`, and the tests assert values.

ical.js: `tests/js/` pins it; it is installed there with npm on first use. Without node and
npm the ical.js tests fail under CI=true and are skipped, with the reason, elsewhere. libical:
the runtime library `libical.so.3` (Debian: libical3, which .ci/run installs); the same rule.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest
import vobject
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from icalendar.prop import vDuration

from calendar_service.domain import Audience, InvalidValue, LocalizedText
from calendar_service.ical import (
    LANGUAGES,
    EngagementItem,
    FeedWindow,
    clean_text,
    render_calendar,
    select_for_feed,
)
from tests.fixtures import ical_samples as samples
from tests.fixtures.ical_samples import DIRECTORY, article_items, meta
from tests.unit.test_ical import inside

JS_DIR = Path(__file__).resolve().parents[1] / "js"
HOST = "calendar.example.org"


@dataclass
class ParsedEvent:
    summary: str
    description: str
    location: str | None
    status: str
    sequence: int
    start: str
    """'2024-06-25' for a date; the instant in UTC, '2024-06-25T01:00:00Z', for a time."""
    end: str
    tzid: str | None
    triggers: list[timedelta]
    rrule: str | None
    attendees: int
    names: frozenset[str] = field(default_factory=frozenset)
    """Property names, where the parser keeps them."""


@dataclass
class Parsed:
    calendar: dict[str, str | None]
    timezones: list[str]
    events: dict[str, ParsedEvent]


def _moment(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _duration(value: timedelta | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return vDuration(value).to_ical().decode()


# -- adaptors ----------------------------------------------------------------------------------


def with_icalendar(feed: bytes) -> Parsed:
    calendar = Calendar.from_ical(feed)
    events = {}
    for event in calendar.walk("VEVENT"):
        events[str(event["UID"])] = ParsedEvent(
            summary=str(event["SUMMARY"]),
            description=str(event["DESCRIPTION"]),
            location=str(event["LOCATION"]) if "LOCATION" in event else None,
            status=str(event["STATUS"]),
            sequence=int(event["SEQUENCE"]),
            start=_moment(event.start),
            end=_moment(event.end),
            tzid=event["DTSTART"].params.get("TZID"),
            triggers=[alarm["TRIGGER"].dt for alarm in event.walk("VALARM")],
            rrule=event["RRULE"].to_ical().decode() if "RRULE" in event else None,
            attendees=len(event.get("ATTENDEE", [])) if "ATTENDEE" in event else 0,
            names=frozenset(event.keys()),
        )
    values = {name: calendar.get(name) for name in _CALENDAR_NAMES}
    return Parsed(
        calendar={
            name: _duration(value.dt)
            if hasattr(value, "dt")
            else (None if value is None else str(value))
            for name, value in values.items()
        },
        timezones=[timezone.tz_name for timezone in calendar.timezones],
        events=events,
    )


_CALENDAR_NAMES = (
    "NAME",
    "X-WR-CALNAME",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
    "X-WR-TIMEZONE",
    "METHOD",
)


def with_vobject(feed: bytes) -> Parsed:
    calendar = vobject.readOne(feed.decode("utf-8"))
    events = {}
    for event in calendar.vevent_list:
        contents = event.contents
        events[event.uid.value] = ParsedEvent(
            summary=event.summary.value,
            description=event.description.value,
            location=event.location.value if "location" in contents else None,
            status=event.status.value,
            sequence=int(event.sequence.value),
            start=_moment(event.dtstart.value),
            end=_moment(event.dtend.value),
            tzid=(event.dtstart.params.get("X-VOBJ-ORIGINAL-TZID") or [None])[0],
            triggers=[alarm.trigger.value for alarm in contents.get("valarm", [])],
            rrule=event.rrule.value if "rrule" in contents else None,
            attendees=len(contents.get("attendee", [])),
            names=frozenset(name.upper() for name in contents if name != "valarm"),
        )
    top = calendar.contents
    return Parsed(
        calendar={
            name: top[name.lower()][0].value if name.lower() in top else None
            for name in _CALENDAR_NAMES
        },
        timezones=[timezone.tzid.value for timezone in top.get("vtimezone", [])],
        events=events,
    )


def with_home_assistant(feed: bytes) -> Parsed:
    calendar = IcsCalendarStream.calendar_from_ics(feed.decode("utf-8"))
    extras = {extra.name.upper(): extra.value for extra in calendar.extras}
    events = {}
    for event in calendar.events:
        start = event.dtstart
        events[event.uid] = ParsedEvent(
            summary=event.summary or "",
            description=event.description or "",
            location=event.location,
            status=event.status.value if event.status else "",
            sequence=event.sequence or 0,
            start=_moment(start),
            end=_moment(event.dtend),
            tzid=getattr(start.tzinfo, "key", None) if isinstance(start, datetime) else None,
            triggers=[alarm.trigger for alarm in event.alarm],  # type: ignore[misc]
            rrule=event.rrule.as_rrule_str() if event.rrule else None,
            attendees=len(event.attendees),
            names=frozenset(extra.name.upper() for extra in event.extras),
        )
    return Parsed(
        calendar={
            "NAME": calendar.name[0] if calendar.name else None,
            "X-WR-CALNAME": extras.get("X-WR-CALNAME"),
            "REFRESH-INTERVAL": _duration(calendar.refresh_interval),
            "X-PUBLISHED-TTL": extras.get("X-PUBLISHED-TTL"),
            "X-WR-TIMEZONE": calendar.x_wr_timezone,
            "METHOD": calendar.method,
        },
        timezones=[timezone.tz_id for timezone in calendar.timezones],
        events=events,
    )


def from_ical_js(result: dict[str, Any]) -> Parsed:
    assert "error" not in result, result.get("error")
    assert result["others"] == []
    properties = result["calendar"]["properties"]
    events = {}
    for event in result["events"]:
        start, end = event["start"], event["end"]
        events[event["uid"]] = ParsedEvent(
            summary=event["summary"],
            description=event["description"],
            location=event["location"],
            status=event["status"],
            sequence=int(event["sequence"]),
            start=start["value"] if start["isDate"] else start["utc"],
            end=end["value"] if end["isDate"] else end["utc"],
            tzid=start["tzid"],
            triggers=[vDuration.from_ical(alarm["trigger"]) for alarm in event["alarms"]],
            rrule=event["rrule"],
            attendees=event["properties"].count("ATTENDEE"),
            names=frozenset(event["properties"]),
        )
    return Parsed(
        calendar={name: (properties.get(name) or [None])[0] for name in _CALENDAR_NAMES},
        timezones=result["calendar"]["timezones"],
        events=events,
    )


class LibIcal:
    """libical 3 through ctypes: parse, run its RFC restriction check, read values back."""

    class Time(ctypes.Structure):
        _fields_ = [
            *(
                (name, ctypes.c_int)
                for name in ("year", "month", "day", "hour", "minute", "second")
            ),
            ("is_date", ctypes.c_int),
            ("is_daylight", ctypes.c_int),
            ("zone", ctypes.c_void_p),
        ]

    def __init__(self, library: ctypes.CDLL) -> None:
        pointer, text, integer = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int

        def bind(name: str, result: Any, *arguments: Any) -> Callable[..., Any]:
            function = getattr(library, name)
            function.restype, function.argtypes = result, list(arguments)
            return function  # type: ignore[no-any-return]

        self.parse = bind("icalparser_parse_string", pointer, text)
        self.free = bind("icalcomponent_free", None, pointer)
        self.kind = bind("icalcomponent_string_to_kind", integer, text)
        self.property_kind = bind("icalproperty_string_to_kind", integer, text)
        self.first = bind("icalcomponent_get_first_component", pointer, pointer, integer)
        self.next = bind("icalcomponent_get_next_component", pointer, pointer, integer)
        self.first_property = bind("icalcomponent_get_first_property", pointer, pointer, integer)
        self.next_property = bind("icalcomponent_get_next_property", pointer, pointer, integer)
        self.name = bind("icalproperty_get_property_name", text, pointer)
        self.value = bind("icalproperty_get_value_as_string", text, pointer)
        self.errors = bind("icalcomponent_count_errors", integer, pointer)
        self.check = bind("icalrestriction_check", integer, pointer)
        self.dtstart = bind("icalcomponent_get_dtstart", self.Time, pointer)
        self.dtend = bind("icalcomponent_get_dtend", self.Time, pointer)
        self.utc = bind("icaltimezone_get_utc_timezone", pointer)
        self.convert = bind("icaltime_convert_to_zone", self.Time, self.Time, pointer)
        self.tzid = bind("icaltimezone_get_tzid", text, pointer)
        self.summary = bind("icalcomponent_get_summary", text, pointer)
        self.description = bind("icalcomponent_get_description", text, pointer)
        self.location = bind("icalcomponent_get_location", text, pointer)
        self.sequence = bind("icalcomponent_get_sequence", integer, pointer)

    def properties(self, component: int) -> Iterator[tuple[str, str]]:
        prop = self.first_property(component, 0)  # ICAL_ANY_PROPERTY
        while prop:
            yield self.name(prop).decode(), (self.value(prop) or b"").decode()
            prop = self.next_property(component, 0)

    def components(self, parent: int, kind: str) -> Iterator[int]:
        number = self.kind(kind.encode())
        child = self.first(parent, number)
        while child:
            yield child
            child = self.next(parent, number)

    def moment(self, time: LibIcal.Time) -> str:
        if time.is_date:
            return f"{time.year:04d}-{time.month:02d}-{time.day:02d}"
        utc = self.convert(time, self.utc())
        day = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        return f"{day}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"

    def read(self, feed: bytes) -> tuple[Parsed, list[str]]:
        """The parsed feed and libical's complaints (parse errors, then RFC restrictions)."""
        root = self.parse(feed)
        assert root, "libical could not parse the feed"
        try:
            self.check(root)
            return self._parsed(root), self._complaints(root)
        finally:
            self.free(root)

    def _complaints(self, component: int) -> list[str]:
        found = [value for name, value in self.properties(component) if name == "X-LIC-ERROR"]
        child = self.first(component, 1)  # ICAL_ANY_COMPONENT
        while child:
            found += self._complaints(child)
            child = self.next(component, 1)
        return found

    def _parsed(self, root: int) -> Parsed:
        events = {}
        for event in self.components(root, "VEVENT"):
            props = list(self.properties(event))
            values = dict(props)
            start = self.dtstart(event)
            events[values["UID"]] = ParsedEvent(
                summary=self.summary(event).decode(),
                description=self.description(event).decode(),
                location=(self.location(event) or b"").decode() or None,
                status=values["STATUS"],
                sequence=self.sequence(event),
                start=self.moment(start),
                end=self.moment(self.dtend(event)),
                tzid=self.tzid(start.zone).decode() if start.zone and not start.is_date else None,
                triggers=[
                    vDuration.from_ical(dict(self.properties(alarm))["TRIGGER"])
                    for alarm in self.components(event, "VALARM")
                ],
                rrule=values.get("RRULE"),
                attendees=sum(name == "ATTENDEE" for name, _ in props),
                names=frozenset(name for name, _ in props),
            )
        top = dict(self.properties(root))
        return Parsed(
            calendar={name: top.get(name) for name in _CALENDAR_NAMES},
            timezones=[
                dict(self.properties(tz))["TZID"] for tz in self.components(root, "VTIMEZONE")
            ],
            events=events,
        )


# -- fixtures ----------------------------------------------------------------------------------


def _missing(what: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: a missing parser is a failure)")
    pytest.skip(f"PARSER MISSING, its tests are skipped: {what}")


@pytest.fixture(scope="session")
def ical_js() -> Callable[[list[bytes]], list[dict[str, Any]]]:
    """Parse feeds with ical.js; installs it into tests/js/node_modules on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _missing("node and npm are needed for the ical.js parser (apt-get install nodejs npm)")
    assert node is not None
    assert npm is not None
    if not (JS_DIR / "node_modules" / "ical.js" / "package.json").exists():
        install = [npm, "ci" if (JS_DIR / "package-lock.json").exists() else "install"]
        done = subprocess.run(
            [*install, "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"npm could not install ical.js into {JS_DIR}:\n{done.stderr}")

    def parse(feeds: list[bytes]) -> list[dict[str, Any]]:
        done = subprocess.run(
            [node, str(JS_DIR / "parse.mjs")],
            input=json.dumps([feed.decode("utf-8") for feed in feeds]),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    return parse


@pytest.fixture(scope="session")
def libical() -> LibIcal:
    name = ctypes.util.find_library("ical") or "libical.so.3"
    try:
        library = ctypes.CDLL(name)
    except OSError:
        _missing("no libical.so.3 (apt-get install libical3)")
    return LibIcal(library)


@pytest.fixture(scope="module")
def feeds() -> dict[str, bytes]:
    """Today's staff feed in each language, and the feed as of the article (2024-04-25)."""
    window = FeedWindow(as_of=samples.TODAY)
    items = select_for_feed(article_items(), window, Audience.STAFF)
    article = FeedWindow(as_of=samples.PUBLISHED + timedelta(hours=1))
    first = select_for_feed(article_items(refined=False), article, Audience.STAFF)
    rendered = {lang: render_calendar(items, meta(lang), DIRECTORY) for lang in LANGUAGES}
    rendered["as-of-article"] = render_calendar(first, meta("en"), DIRECTORY)
    return rendered


@pytest.fixture(scope="module")
def parsed(
    feeds: dict[str, bytes],
    request: pytest.FixtureRequest,
) -> Callable[[str, str], Parsed]:
    cache: dict[tuple[str, str], Parsed] = {}
    keys = list(feeds)

    def get(parser: str, key: str) -> Parsed:
        if (parser, key) not in cache:
            if parser == "ical.js":
                results = request.getfixturevalue("ical_js")([feeds[k] for k in keys])
                cache.update(
                    {("ical.js", k): from_ical_js(r) for k, r in zip(keys, results, strict=True)}
                )
            elif parser == "libical":
                result, complaints = request.getfixturevalue("libical").read(feeds[key])
                assert complaints == []
                cache[parser, key] = result
            else:
                cache[parser, key] = PYTHON_PARSERS[parser](feeds[key])
        return cache[parser, key]

    return get


PYTHON_PARSERS: dict[str, Callable[[bytes], Parsed]] = {
    "icalendar": with_icalendar,
    "vobject": with_vobject,
    "ical": with_home_assistant,
}
PARSERS = [*PYTHON_PARSERS, "ical.js", "libical"]


def uid(engagement_id: object) -> str:
    return f"{engagement_id}@{HOST}"


# -- the seed-like feeds in every parser -------------------------------------------------------


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_calendar_properties_read_the_same_everywhere(
    parser: str, lang: str, parsed: Callable[[str, str], Parsed]
) -> None:
    feed = parsed(parser, lang)
    name = meta(lang).name
    assert feed.calendar["NAME"] == name
    assert feed.calendar["X-WR-CALNAME"] == name
    assert feed.calendar["REFRESH-INTERVAL"] == "PT1H"
    assert feed.calendar["X-PUBLISHED-TTL"] == "PT1H"
    assert feed.calendar["X-WR-TIMEZONE"] == "Asia/Seoul"
    assert feed.calendar["METHOD"] is None
    assert sorted(feed.timezones) == ["Asia/Seoul", "Asia/Shanghai"]


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_times_zones_spans_alarms_and_statuses_read_the_same_everywhere(
    parser: str, lang: str, parsed: Callable[[str, str], Parsed]
) -> None:
    events = parsed(parser, lang).events
    meeting = events[uid(samples.DALIAN_MEETING_ID)]
    assert (meeting.start, meeting.end, meeting.tzid) == (
        "2024-06-25T01:00:00Z",
        "2024-06-25T02:30:00Z",
        "Asia/Shanghai",
    )
    assert sorted(meeting.triggers) == [-timedelta(days=1), -timedelta(hours=2)]
    assert (meeting.status, meeting.sequence) == ("CONFIRMED", 0)
    briefing = events[uid(samples.BRIEFING_ID)]
    assert (briefing.start, briefing.tzid) == ("2024-06-20T05:00:00Z", "Asia/Seoul")
    assert briefing.triggers == [-timedelta(minutes=30)]
    davos = events[uid(samples.DAVOS_ID)]
    assert (davos.start, davos.end, davos.tzid) == ("2024-06-25", "2024-06-28", None)
    assert (davos.status, davos.sequence, davos.triggers) == ("CONFIRMED", 3, [])
    dodamso = events[uid(samples.DODAMSO_ID)]
    assert (dodamso.start, dodamso.end, dodamso.status) == ("2024-04-24", "2024-04-25", "CONFIRMED")
    expo = events[uid(samples.EXPO_ID)]
    assert (expo.start, expo.end, expo.status) == ("2024-09-01", "2024-10-01", "TENTATIVE")
    concert = events[uid(samples.CONCERT_ID)]
    assert (concert.status, concert.sequence, concert.triggers) == ("CANCELLED", 1, [])
    anniversary = events[uid(samples.ANNIVERSARY_ID)]
    assert (anniversary.start, anniversary.end) == ("1993-10-01", "1993-11-01")
    assert anniversary.rrule is not None
    assert anniversary.rrule.upper().replace("RRULE:", "") == "FREQ=YEARLY"
    assert not [key for key in events if "--" in key]  # every deadline is long past


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_texts_read_the_same_everywhere(
    parser: str, lang: str, parsed: Callable[[str, str], Parsed]
) -> None:
    reference = parsed("icalendar", lang).events
    events = parsed(parser, lang).events
    assert events.keys() == reference.keys()
    for key, event in events.items():
        assert (event.summary, event.description) == (
            reference[key].summary,
            reference[key].description,
        )
        assert event.location == reference[key].location
        assert event.attendees == 0
    davos = events[uid(samples.DAVOS_ID)]
    assert davos.summary == samples.DAVOS_TITLE.best(lang)
    assert events[uid(samples.CONCERT_ID)].summary.startswith(
        {"en": "CANCELLED: ", "ko": "[취소] ", "zh": "[已取消] "}[lang]
    )


@pytest.mark.parametrize("parser", PARSERS)
def test_as_of_the_article_summer_davos_is_a_tentative_june_span(
    parser: str, parsed: Callable[[str, str], Parsed]
) -> None:
    davos = parsed(parser, "as-of-article").events[uid(samples.DAVOS_ID)]
    assert (davos.start, davos.end, davos.status, davos.sequence) == (
        "2024-06-01",
        "2024-07-01",
        "TENTATIVE",
        0,
    )
    assert davos.summary.endswith(" (to be confirmed)")
    decision = parsed(parser, "as-of-article").events[uid(f"{samples.EXPO_ID}--decision")]
    assert (decision.start, decision.end) == ("2024-07-18", "2024-07-19")
    assert decision.status == "TENTATIVE"


# -- injection ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_feed() -> bytes:
    return render_calendar(samples.hostile_items(), meta("ko"))


@pytest.mark.parametrize("parser", PARSERS)
def test_no_hostile_text_adds_a_property_or_an_event_in_any_parser(
    parser: str, hostile_feed: bytes, request: pytest.FixtureRequest
) -> None:
    if parser == "ical.js":
        [result] = request.getfixturevalue("ical_js")([hostile_feed])
        feed = from_ical_js(result)
    elif parser == "libical":
        feed, complaints = request.getfixturevalue("libical").read(hostile_feed)
        assert complaints == []
    else:
        feed = PYTHON_PARSERS[parser](hostile_feed)
    assert sorted(feed.events) == sorted(
        uid(f"hostile-{n}") for n in range(len(samples.INJECTIONS))
    )
    expected_names = {
        "SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "UID", "SEQUENCE", "CATEGORIES",
        "DESCRIPTION", "LAST-MODIFIED", "LOCATION", "STATUS", "TRANSP", "URL",
    }  # fmt: skip
    for index, text in enumerate(samples.INJECTIONS):
        event = feed.events[uid(f"hostile-{index}")]
        assert event.summary == clean_text(text)
        assert event.location == clean_text(f"{text}, Suwon, 대한민국")
        assert f"\n- {inside(text)}\n" in event.description
        assert event.attendees == 0
        assert sorted(event.triggers) == [-timedelta(days=1), -timedelta(hours=2)]
        # (the ical library names only the properties it does not know: none here)
        assert event.names <= expected_names


def test_lines_are_folded_at_75_octets_on_character_boundaries(hostile_feed: bytes) -> None:
    assert hostile_feed.endswith(b"\r\n")
    lines = hostile_feed[:-2].split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")
    assert sum(line.startswith(b" ") for line in lines) > 50


TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=300) | st.sampled_from(
    samples.INJECTIONS
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_any_text_round_trips_through_icalendar_vobject_and_ical(text: str) -> None:
    assume(clean_text(text))
    feed = render_calendar([samples.hostile_item(text)], meta())
    for parse in PYTHON_PARSERS.values():
        [event] = parse(feed).events.values()
        assert event.summary == clean_text(text)
        assert event.location == clean_text(f"{text}, Suwon, South Korea")
        assert f"Notes:\n- {inside(text)}\n" in event.description
        assert event.attendees == 0
    if _domain_accepts(text) and text == text.strip(" \t"):
        assert clean_text(text) == text


def _domain_accepts(text: str) -> bool:
    try:
        LocalizedText(en=text)
    except InvalidValue:
        return False
    return True


# -- determinism and size ----------------------------------------------------------------------


def test_the_bytes_do_not_depend_on_the_process_hash_seed() -> None:
    script = textwrap.dedent(
        """
        import hashlib, sys
        from tests.fixtures.ical_samples import DIRECTORY, article_items, meta
        from calendar_service.ical import render_calendar
        feed = render_calendar(article_items(), meta("zh"), DIRECTORY)
        sys.stdout.write(hashlib.sha256(feed).hexdigest())
        """
    )
    root = Path(__file__).resolve().parents[2]
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1


def test_a_few_hundred_engagements_in_the_default_window_stay_well_under_1_mb() -> None:
    window = FeedWindow(as_of=samples.TODAY)
    items = select_for_feed(samples.generated(300), window, Audience.STAFF)
    engagements = sum(isinstance(item, EngagementItem) for item in items)
    feed = render_calendar(items, meta("ko"), DIRECTORY)
    assert engagements == 300
    assert len(feed) < 800_000, f"{len(feed)} bytes, {len(feed) / engagements:.0f} per engagement"

"""The feed in the parsers real clients use: icalendar, vobject, ical (Home Assistant's strict
parser), ical.js (Thunderbird's, via node) and libical (Apple/Evolution's C library, via
ctypes). Each parser's view is normalised to `Parsed` (`tests/fixtures/parsers.py`), and the
tests assert values. The ical.js and libical fixtures, and when their tests are skipped, are in
`tests/integration/conftest.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from calendar_service.domain import LANGUAGES, Audience, InvalidValue, LocalizedText
from calendar_service.feed.ical import clean_text, render_calendar
from calendar_service.feed.select import EngagementItem, FeedWindow, select_for_feed
from tests.fixtures import ical_samples as samples
from tests.fixtures.ical_samples import DIRECTORY, article_items, meta
from tests.fixtures.parsers import (
    PARSERS,
    PYTHON_PARSERS,
    Parsed,
    from_ical_js,
)
from tests.unit.test_ical import inside

HOST = "calendar.example.org"


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
        from calendar_service.feed.ical import render_calendar
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

"""Every feed the seed produces (public, staff and restricted; en, ko and zh; today and as of the
article), fetched from the feed route and read by icalendar, vobject, ical (Home Assistant),
ical.js (Thunderbird) and libical: the values each parser reads, not only that it parses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from calendar_service.config import load_settings
from calendar_service.domain import (
    LANGUAGES,
    Audience,
    EngagementId,
    ReminderPolicy,
    SetReminderPolicy,
)
from calendar_service.feed.words import calendar_name
from tests.fixtures.parsers import PARSERS, Parsed, from_ical_js
from tests.integration.feeds.support import (
    BASE_URL,
    PUBLIC,
    SEEDED,
    client,
    dalian_meeting,
    execute,
    new_feed,
    opened,
    read_feed,
    seed,
    uid,
)

DAVOS = "summer-davos-2024"
TITLES = {
    "en": "Summer Davos 2024 (World Economic Forum Annual Meeting of the New Champions)",
    "ko": "2024 하계 다보스포럼 (세계경제포럼 뉴 챔피언 연차총회)",
    "zh": "2024夏季达沃斯论坛（世界经济论坛第十五届新领军者年会）",
}
MORNING = {"en": " (morning)", "ko": " (오전)", "zh": "（上午）"}
TBC = {"en": " (to be confirmed)", "ko": " (미정)", "zh": "（待定）"}
UNDECIDED = {"en": "[Invitation · undecided] ", "ko": "[초청·미정] ", "zh": "[邀请·待定] "}
CHINA_TIME = {"en": "China (Shanghai) Time", "ko": "중국(상하이) 시간", "zh": "中国（上海）时间"}


def _fetch(tmp: Path, changes: Callable[[Any], None] | None = None) -> dict[str, bytes]:
    """The seed's feeds over HTTP, keyed 'audience/lang' and 'staff/en/as-of'."""
    settings = load_settings(store=f"sqlite:///{tmp}/events.db", base_url=BASE_URL)
    with opened(settings) as container:
        seed(container)
        if changes is not None:
            changes(container)
        http = client(container)
        feeds = {}
        for audience in Audience:
            token = new_feed(container, audience)
            for lang in LANGUAGES:
                answer = http.get(f"/feeds/{token}.ics", params={"lang": lang})
                assert answer.status_code == 200, answer.text
                feeds[f"{audience.value}/{lang}"] = answer.content
            if audience is Audience.STAFF:
                answer = http.get(f"/feeds/{token}.ics", params={"as_of": "2024-04-25"})
                feeds["staff/en/as-of"] = answer.content
    return feeds


@pytest.fixture(scope="module")
def seed_feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _fetch(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def officer_feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The seed, then an officer's work: a timed meeting in Dalian with reminders, and
    reminders on Summer Davos."""

    def changes(container: Any) -> None:
        execute(
            container,
            *dalian_meeting(),
            SetReminderPolicy(
                engagement_id=EngagementId(DAVOS), policy=ReminderPolicy.parse(["P7D", "P1D"])
            ),
        )

    return _fetch(tmp_path_factory.mktemp("officer"), changes)


@pytest.fixture(scope="module")
def read(
    request: pytest.FixtureRequest, seed_feeds: dict[str, bytes], officer_feeds: dict[str, bytes]
) -> Callable[[str, str], Parsed]:
    """read(parser, key): the feed `key` as `parser` reads it ('officer:staff/en' for the
    officer's feeds); ical.js parses every feed in one node run."""
    feeds = {**seed_feeds, **{f"officer:{k}": v for k, v in officer_feeds.items()}}
    cache: dict[tuple[str, str], Parsed] = {}

    def get(parser: str, key: str) -> Parsed:
        if (parser, key) not in cache:
            if parser == "ical.js":
                keys = list(feeds)
                results = request.getfixturevalue("ical_js")([feeds[k] for k in keys])
                for each, result in zip(keys, results, strict=True):
                    cache["ical.js", each] = from_ical_js(result)
            else:
                cache[parser, key] = read_feed(request, parser, feeds[key])
        return cache[parser, key]

    return get


@pytest.mark.parametrize("parser", PARSERS)
def test_every_seed_feed_names_itself_and_declares_its_zones(
    parser: str, read: Callable[[str, str], Parsed]
) -> None:
    for audience in Audience:
        for lang in LANGUAGES:
            feed = read(parser, f"{audience.value}/{lang}")
            name = calendar_name(audience, lang)
            assert feed.calendar["NAME"] == feed.calendar["X-WR-CALNAME"] == name
            assert feed.calendar["X-WR-TIMEZONE"] == "Asia/Seoul"
            assert feed.calendar["REFRESH-INTERVAL"] == feed.calendar["X-PUBLISHED-TTL"] == "PT1H"
            assert feed.calendar["METHOD"] is None
            expected = (
                ["Asia/Seoul"] if audience is Audience.PUBLIC else ["Asia/Seoul", "Asia/Shanghai"]
            )
            assert sorted(feed.timezones) == expected, (audience, lang)


@pytest.mark.parametrize("parser", PARSERS)
def test_each_audience_sees_its_engagements_and_none_above_it(
    parser: str, read: Callable[[str, str], Parsed]
) -> None:
    for lang in LANGUAGES:
        assert set(read(parser, f"public/{lang}").events) == {uid(e) for e in PUBLIC}
        for audience in ("staff", "restricted"):
            assert set(read(parser, f"{audience}/{lang}").events) == {uid(e) for e in SEEDED}
        officer_public = read(parser, f"officer:public/{lang}").events
        assert uid("leaders-meeting-dalian-2024-06-25") not in officer_public


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_todays_feed_shows_summer_davos_on_25_to_27_june_in_dalian(
    parser: str, lang: str, read: Callable[[str, str], Parsed]
) -> None:
    feed = read(parser, f"staff/{lang}")
    davos = feed.events[uid(DAVOS)]
    assert (davos.start, davos.end, davos.tzid) == ("2024-06-25", "2024-06-28", None)
    assert "Asia/Shanghai" in feed.timezones
    assert CHINA_TIME[lang] in davos.description
    assert (davos.status, davos.summary) == ("CONFIRMED", UNDECIDED[lang] + TITLES[lang])
    assert sorted(davos.triggers) == [-timedelta(days=7), -timedelta(days=1)], "the defaults"
    assert davos.sequence >= 1, "refined from June to 25-27 June: a change of time"
    dodamso = feed.events[uid("dodamso-meeting-2024-04-24")]
    assert (dodamso.start, dodamso.end, dodamso.status) == ("2024-04-24", "2024-04-25", "CONFIRMED")
    assert dodamso.summary.endswith(MORNING[lang])
    expo = feed.events[uid("liaoning-expo-2024")]
    assert (expo.start, expo.end, expo.status) == ("2024-09-01", "2024-10-01", "TENTATIVE")
    assert expo.summary.endswith(TBC[lang])
    anniversary = feed.events[uid("sisterhood-anniversary")]
    assert (anniversary.start, anniversary.end) == ("1993-10-01", "1993-11-01")
    assert anniversary.rrule is not None
    assert anniversary.rrule.upper().replace("RRULE:", "") == "FREQ=YEARLY"


@pytest.mark.parametrize("parser", PARSERS)
def test_as_of_the_article_summer_davos_is_a_tentative_june_2024_span(
    parser: str, read: Callable[[str, str], Parsed]
) -> None:
    feed = read(parser, "staff/en/as-of")
    davos = feed.events[uid(DAVOS)]
    assert (davos.start, davos.end, davos.tzid) == ("2024-06-01", "2024-07-01", None)
    assert (davos.status, davos.sequence) == ("TENTATIVE", 0)
    assert davos.summary == f"{UNDECIDED['en']}{TITLES['en']} (to be confirmed)"
    decision = feed.events[uid(f"{DAVOS}--decision")]
    assert (decision.start, decision.end, decision.status) == (
        "2024-05-10",
        "2024-05-11",
        "CONFIRMED",
    )
    assert uid("liaoning-expo-2024") in feed.events


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_timed_meeting_abroad_and_the_reminders_read_the_same_everywhere(
    parser: str, lang: str, read: Callable[[str, str], Parsed]
) -> None:
    feed = read(parser, f"officer:staff/{lang}")
    meeting = feed.events[uid("leaders-meeting-dalian-2024-06-25")]
    assert (meeting.start, meeting.end, meeting.tzid) == (
        "2024-06-25T01:00:00Z",
        "2024-06-25T02:30:00Z",
        "Asia/Shanghai",
    )
    assert sorted(meeting.triggers) == [-timedelta(days=1), -timedelta(hours=2)]
    assert (meeting.status, meeting.attendees) == ("CONFIRMED", 0)
    davos = feed.events[uid(DAVOS)]
    assert sorted(davos.triggers) == [-timedelta(days=7), -timedelta(days=1)]
    assert sorted(feed.timezones) == ["Asia/Seoul", "Asia/Shanghai"]


def test_the_seeded_feeds_stay_far_under_googles_1_mb(seed_feeds: dict[str, bytes]) -> None:
    assert max(len(feed) for feed in seed_feeds.values()) < 100_000

"""What a protocol officer sees of the seeded feeds in a calendar app (issue 12): an undecided
invitation marked and shown as free in every language, a declined one marked or left out as
CALENDAR_FEED_DECLINED says, the default reminders as alarms, every link opening the
engagement's page under the feed's page, and no English catalogue word in a Korean or Chinese
feed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from icalendar import Calendar, Event

from calendar_service.config import load_settings
from calendar_service.domain import (
    LANGUAGES,
    Audience,
    Decline,
    EngagementId,
    EventStatus,
    ExactWhen,
    ReceiveInvitation,
    ScheduleEngagement,
)
from calendar_service.feed.links import TOKEN_SLOT, engagement_page_url
from calendar_service.words import english_msgids, format_day
from tests.fixtures.ical_values import value
from tests.integration.feeds.support import (
    BASE_URL,
    client,
    dalian_meeting,
    execute,
    new_feed,
    opened,
    seed,
)

SEED = Path(__file__).resolve().parents[3] / "calendar_service" / "seed" / "engagements.yaml"
DAVOS = "summer-davos-2024"
"""Invited in April 2024; the seed records no decision."""
DODAMSO = "dodamso-meeting-2024-04-24"
"""Held, the province attending."""
UNDECIDED = {"en": "[Invitation · undecided] ", "ko": "[초청·미정] ", "zh": "[邀请·待定] "}
DECLINED = {"en": "[Declined] ", "ko": "[불참] ", "zh": "[谢绝] "}


def _feeds(
    tmp: Path, changes: Callable[[Any], None] | None = None, **settings: str
) -> tuple[dict[str, bytes], dict[str, str]]:
    """The seed's feeds over HTTP, keyed 'audience/lang', and each audience's token."""
    loaded = load_settings(store=f"sqlite:///{tmp}/events.db", base_url=BASE_URL, **settings)
    with opened(loaded) as container:
        seed(container)
        if changes is not None:
            changes(container)
        http = client(container)
        feeds, tokens = {}, {}
        for audience in Audience:
            token = tokens[audience.value] = new_feed(container, audience)
            for lang in LANGUAGES:
                answer = http.get(f"/feeds/{token}.ics", params={"lang": lang})
                assert answer.status_code == 200, answer.text
                feeds[f"{audience.value}/{lang}"] = answer.content
    return feeds, tokens


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, str]]:
    return _feeds(tmp_path_factory.mktemp("seeded"))


def _declined(container: Any) -> None:
    execute(container, Decline(engagement_id=EngagementId(DAVOS), reason="Budget"))


def events(feed: bytes) -> dict[str, Event]:
    return {
        str(e["UID"]).split("@")[0]: e
        for e in Calendar.from_ical(feed).walk("VEVENT")
        if isinstance(e, Event)
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_undecided_invitation_is_marked_and_free_with_its_decision_first(
    lang: str, seeded: tuple[dict[str, bytes], dict[str, str]]
) -> None:
    davos = events(seeded[0][f"staff/{lang}"])[DAVOS]
    assert str(davos["SUMMARY"]).startswith(UNDECIDED[lang])
    assert str(davos["TRANSP"]) == "TRANSPARENT"
    assert str(davos["STATUS"]) == "CONFIRMED", "the forum's own status: it takes place"
    first, second = str(davos["DESCRIPTION"]).split("\n")[:2]
    assert (
        first
        == {
            "en": "Our participation: invited, participation undecided",
            "ko": "우리 측 참석: 초청, 참석 미정",
            "zh": "我方出席：受邀，出席待定",
        }[lang]
    )
    assert (
        second
        == {
            "en": "Decide by: May 10, 2024",
            "ko": "결정 마감: 2024년 5월 10일",
            "zh": "决定截止：2024年5月10日",
        }[lang]
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_engagement_the_province_attends_is_busy_and_unmarked(
    lang: str, seeded: tuple[dict[str, bytes], dict[str, str]]
) -> None:
    dodamso = events(seeded[0][f"public/{lang}"])[DODAMSO]
    assert str(dodamso["TRANSP"]) == "OPAQUE"
    assert not str(dodamso["SUMMARY"]).startswith(("[", "CANCELLED"))


def test_engagements_without_a_reminder_policy_get_the_default_alarms_in_the_readers_language(
    seeded: tuple[dict[str, bytes], dict[str, str]],
) -> None:
    for lang, says in (("en", "starts in 1 week"), ("ko", "1주 후 시작"), ("zh", "1周后开始")):
        davos = events(seeded[0][f"staff/{lang}"])[DAVOS]
        alarms = davos.walk("VALARM")
        assert sorted(value(a, "TRIGGER").dt for a in alarms) == [
            -timedelta(days=7),
            -timedelta(days=1),
        ]
        assert any(str(a["DESCRIPTION"]).endswith(says) for a in alarms), lang


def test_every_link_opens_the_engagements_page_under_the_feeds_page(
    seeded: tuple[dict[str, bytes], dict[str, str]],
) -> None:
    feeds, tokens = seeded
    for key, feed in feeds.items():
        token = tokens[key.split("/")[0]]
        assert TOKEN_SLOT.encode() not in feed.replace(b"\r\n ", b"")
        for uid, event in events(feed).items():
            engagement = str(event.get("RELATED-TO", uid)).split("@")[0]
            page = engagement_page_url(BASE_URL, token, engagement)
            assert page == f"{BASE_URL}/c/{token}/e/{engagement}"
            assert str(event["URL"]) == page, (key, uid)
            assert str(event["DESCRIPTION"]).endswith(page), (key, uid)


def test_a_declined_engagement_is_marked_and_free_by_default(tmp_path: Path) -> None:
    feeds, _ = _feeds(tmp_path, _declined)
    for lang in LANGUAGES:
        davos = events(feeds[f"staff/{lang}"])[DAVOS]
        assert str(davos["SUMMARY"]).startswith(DECLINED[lang])
        assert str(davos["TRANSP"]) == "TRANSPARENT"
        assert not davos.walk("VALARM")


def test_a_declined_engagement_and_its_deadlines_are_left_out_when_the_setting_says_omit(
    tmp_path: Path,
) -> None:
    feeds, _ = _feeds(tmp_path, _declined, feed_declined="omit")
    shown = events(feeds["staff/en"])
    assert not [uid for uid in shown if uid.startswith(DAVOS)]
    assert DODAMSO in shown


_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
_NAMES = {"Expo", "Forum"}
"""Catalogue words that are also part of names in the data ("Summer Davos Forum")."""


def _english_words() -> set[str]:
    words: set[str] = set()
    for msgid in english_msgids():
        words.update(re.findall(r"[A-Za-z][A-Za-z'-]+", _PLACEHOLDER.sub(" ", msgid)))
    return words - _NAMES


def _texts(feed: bytes) -> list[str]:
    texts = []
    for component in Calendar.from_ical(feed).walk():
        for name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
            if name in component:
                texts.append(str(component[name]))
        if "CATEGORIES" in component:
            texts += [str(c) for c in value(component, "CATEGORIES").cats]
    return texts


def _data_strings() -> list[str]:
    """Every string of the seed's data (titles, names, notes, places, sources), longest first:
    the data's own words, which a feed shows as written, not the catalogue's."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node.strip())
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(SEED.read_text(encoding="utf-8")))
    return sorted({text for text in found if text}, key=len, reverse=True)


@pytest.mark.parametrize("lang", ["ko", "zh"])
def test_a_korean_or_chinese_feed_holds_no_english_catalogue_word(
    lang: str, seeded: tuple[dict[str, bytes], dict[str, str]]
) -> None:
    english, data = _english_words(), _data_strings()
    for audience in Audience:
        for text in _texts(seeded[0][f"{audience.value}/{lang}"]):
            for written in data:
                text = text.replace(written, " ")
            text = re.sub(r"https?://\S+", " ", text)
            found = {w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text) if w in english}
            assert not found, (audience.value, text)


def _future_invitation(container: Any) -> None:
    """An invitation to a forum in Dalian in 2027, received in November 2026: its deadlines
    are still to come, so the feed shows them."""
    [schedule, _] = dalian_meeting("forum-dalian-2027")
    assert isinstance(schedule, ScheduleEngagement)
    start = datetime(2027, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    details = replace(
        schedule.details, when=ExactWhen(start, start + timedelta(hours=3), "Asia/Shanghai")
    )
    execute(
        container,
        ReceiveInvitation(
            engagement_id=schedule.engagement_id,
            inviter="hao-peng",
            details=details,
            status=EventStatus.CONFIRMED,
        ),
    )


def test_a_deadline_links_to_its_engagements_page_and_says_its_words_in_the_readers_language(
    tmp_path: Path,
) -> None:
    feeds, tokens = _feeds(tmp_path, _future_invitation)
    for lang, kind in (("ko", "마감"), ("zh", "截止")):
        shown = events(feeds[f"staff/{lang}"])
        decision = shown["forum-dalian-2027--decision"]
        page = engagement_page_url(BASE_URL, tokens["staff"], "forum-dalian-2027")
        assert str(decision["URL"]) == page
        assert str(value(decision, "CATEGORIES").cats[0]) == kind
        forum = shown["forum-dalian-2027"]
        assert str(forum["SUMMARY"]).startswith(UNDECIDED[lang])
        assert str(forum["TRANSP"]) == "TRANSPARENT"
        decide_by = decision.decoded("DTSTART")
        assert str(forum["DESCRIPTION"]).split("\n")[1].endswith(format_day(decide_by, lang))

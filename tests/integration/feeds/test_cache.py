"""The feed cache over the memory store: what it renders, when, and what it keeps.

Integration, not unit: the cache comes from the composition root (`bootstrap.build`), which
imports every adapter, Redis's client among them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import calendar_service.feed.cache as feedcache
import calendar_service.feed.ical as ical
from calendar_service.bootstrap import Container, build
from calendar_service.config import Settings
from calendar_service.domain import (
    AddNote,
    AllDayWhen,
    Audience,
    Cancel,
    ChangeAudience,
    Command,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    LocalizedText,
    ScheduleEngagement,
)
from calendar_service.feed.cache import FeedCache, check_lang, parse_as_of
from calendar_service.feed.ical import FeedMeta, RenderedItem
from calendar_service.feed.select import FeedItem
from calendar_service.projections import Axis, NullNudger
from calendar_service.service import Envelope

NOW = datetime.now(UTC)
"""The store stamps events with the real time, so the cache's clock starts there too."""
SEOUL = ZoneInfo("Asia/Seoul")


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def container() -> Iterator[Container]:
    built = build(Settings(store="memory://"), nudger=NullNudger())
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The UIDs the cache renders, in order."""
    done: list[str] = []
    real = ical.render_item

    def counting(item: FeedItem, meta: FeedMeta, directory: object = None) -> RenderedItem:
        piece = real(item, meta, directory)  # type: ignore[arg-type]
        done.append(f"{piece.uid}/{meta.lang}")
        return piece

    monkeypatch.setattr(feedcache, "render_item", counting)
    return done


def soon(days: int) -> date:
    return NOW.date() + timedelta(days=days)


def schedule(name: str, day: date, audience: Audience = Audience.STAFF) -> ScheduleEngagement:
    return ScheduleEngagement(
        engagement_id=EngagementId(name),
        details=EngagementDetails(
            kind=EngagementKind.MEETING,
            direction=Direction.LOCAL,
            title=LocalizedText(en=f"Meeting {name}", ko=f"회의 {name}"),
            when=AllDayWhen.on(day, "Asia/Seoul"),
            audience=audience,
        ),
    )


def record(container: Container, *commands: Command) -> None:
    for command in commands:
        container.execute(command, Envelope(actor="officer"))
    container.projector.catch_up("calendar")


def cache_of(container: Container, clock: Clock | None = None) -> FeedCache:
    return FeedCache(
        container.store,
        container.views,
        base_url="https://calendar.example.org",
        timezone="Asia/Seoul",
        clock=clock or Clock(),
    )


def uids(body: bytes) -> set[str]:
    return {
        line.removeprefix(b"UID:").split(b"@")[0].decode()
        for line in body.split(b"\r\n")
        if line.startswith(b"UID:")
    }


def test_each_item_is_rendered_once_per_language_and_again_only_when_it_changes(
    container: Container, renders: list[str]
) -> None:
    record(container, schedule("a", soon(45)), schedule("b", soon(75)))
    cache = cache_of(container)
    first = cache.live(Audience.STAFF, "en")
    assert {"a", "b"} <= uids(first.body)
    rendered = len(renders)
    assert rendered >= 2
    assert cache.peek(Audience.STAFF, "en") is first, "nothing changed: the cached version"
    assert cache.live(Audience.STAFF, "en") is first
    assert cache.live(Audience.RESTRICTED, "en").body != first.body  # its own name...
    assert len(renders) == rendered, "...and the same pieces"

    record(container, AddNote(engagement_id=EngagementId("b"), text="Room 301"))
    assert cache.peek(Audience.STAFF, "en") is None, "the checkpoint moved"
    second = cache.live(Audience.STAFF, "en")
    assert second.etag != first.etag
    again = renders[rendered:]
    assert again, "b was rendered again"
    assert all(uid.startswith("b") for uid in again), again

    cache.live(Audience.STAFF, "ko")
    assert {uid.split("/")[1] for uid in renders[rendered + len(again) :]} == {"ko"}


def test_a_new_hour_reselects_without_rendering_and_keeps_the_bytes(
    container: Container, renders: list[str]
) -> None:
    record(container, schedule("a", soon(45)))
    clock = Clock()
    cache = cache_of(container, clock)
    first = cache.live(Audience.STAFF, "en")
    count = len(renders)
    clock.now += timedelta(hours=1)
    assert cache.peek(Audience.STAFF, "en") is None
    later = cache.live(Audience.STAFF, "en")
    assert (later.body, later.etag) == (first.body, first.etag)
    assert len(renders) == count


def test_two_caches_over_one_store_make_the_same_bytes(container: Container) -> None:
    record(container, schedule("a", soon(45)), schedule("p", soon(100), Audience.PUBLIC))
    one, two = cache_of(container), cache_of(container)
    for audience in Audience:
        assert one.live(audience, "zh").body == two.live(audience, "zh").body


def test_an_audience_change_takes_the_engagement_out_of_the_wider_feeds(
    container: Container,
) -> None:
    record(container, schedule("a", soon(45), Audience.PUBLIC))
    cache = cache_of(container)
    assert "a" in uids(cache.live(Audience.PUBLIC, "en").body)
    record(container, ChangeAudience(engagement_id=EngagementId("a"), audience=Audience.RESTRICTED))
    assert "a" not in uids(cache.live(Audience.PUBLIC, "en").body)
    assert "a" not in uids(cache.live(Audience.STAFF, "en").body)
    assert "a" in uids(cache.live(Audience.RESTRICTED, "en").body)


def test_last_modified_never_goes_back_when_a_cancelled_item_leaves_the_feed(
    container: Container,
) -> None:
    record(container, schedule("old", soon(10)), schedule("new", soon(45)))
    record(container, Cancel(engagement_id=EngagementId("new"), reason="postponed"))
    clock = Clock()
    cache = cache_of(container, clock)
    shown = cache.live(Audience.STAFF, "en")
    assert "new" in uids(shown.body)
    clock.now += timedelta(days=31)  # past the 30 days a cancellation stays
    later = cache.live(Audience.STAFF, "en")
    assert "new" not in uids(later.body)
    assert later.etag != shown.etag
    assert later.last_modified == shown.last_modified


def test_as_of_feeds_follow_the_log_head_and_use_what_was_known_then(
    container: Container, renders: list[str]
) -> None:
    record(container, schedule("a", soon(45)))
    cache = cache_of(container)
    moment = NOW + timedelta(days=1)
    first = cache.as_of(Audience.STAFF, "en", moment)
    count = len(renders)
    assert cache.as_of(Audience.STAFF, "en", moment) is first
    assert len(renders) == count
    record(container, schedule("b", soon(75)))
    assert "b" in uids(cache.as_of(Audience.STAFF, "en", moment).body)
    before = cache.as_of(Audience.STAFF, "en", datetime(2020, 1, 1, tzinfo=UTC))
    assert uids(before.body) == set()
    assert cache.as_of(Audience.STAFF, "en", moment, Axis.RECORDED).events >= 2
    with pytest.raises(ValueError, match="no UTC offset"):
        cache.as_of(Audience.STAFF, "en", datetime(2026, 1, 1))


def test_as_of_a_date_means_the_end_of_that_day_in_the_offices_zone() -> None:
    assert parse_as_of("2024-04-25", "Asia/Seoul") == datetime(
        2024, 4, 25, 23, 59, 59, 999999, tzinfo=SEOUL
    )
    assert parse_as_of("2024-04-25T09:00:00+09:00", "UTC") == datetime(2024, 4, 25, tzinfo=UTC)
    assert parse_as_of("2024-04-25t00:00:00z", "Asia/Seoul") == datetime(2024, 4, 25, tzinfo=UTC)
    assert parse_as_of("2024-04-25 09:30", "Asia/Seoul") == datetime(
        2024, 4, 25, 9, 30, tzinfo=SEOUL
    )
    for bad in ("", "25/04/2024", "2024-04-25T", "2024-4-5", "20240425", "2024-04-25T09:00+0900"):
        with pytest.raises(ValueError, match="is not a date or a time"):
            parse_as_of(bad, "Asia/Seoul")
    with pytest.raises(ValueError, match="out of range"):
        parse_as_of("1900-01-01", "Asia/Seoul")
    assert check_lang("zh") == "zh"
    with pytest.raises(ValueError, match="use en, ko or zh"):
        check_lang("EN")


def test_an_item_that_cannot_be_rendered_is_left_out_not_the_whole_feed(
    container: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    record(container, schedule("good", soon(45)), schedule("bad", soon(75)))
    real = ical.render_item

    def failing(item: FeedItem, meta: FeedMeta, directory: object = None) -> RenderedItem:
        if str(item.engagement.id) == "bad":
            raise ValueError("engagement URL 'x y': no spaces or control characters")
        return real(item, meta, directory)  # type: ignore[arg-type]

    monkeypatch.setattr(feedcache, "render_item", failing)
    version = cache_of(container).live(Audience.STAFF, "en")
    assert "good" in uids(version.body)
    assert "bad" not in uids(version.body)
    assert "an item of bad left out" in caplog.text

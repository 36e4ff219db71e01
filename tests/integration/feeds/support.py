"""Helpers for the feed tests: a store (SQLite or Redis), the seed recorded at a fixed "today",
an app over it, and every parser's reading of a feed."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calendar_service.api import create_app
from calendar_service.bootstrap import Container, build
from calendar_service.config import Settings, load_settings
from calendar_service.domain import (
    AddNote,
    Audience,
    Command,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EventStatus,
    ExactWhen,
    LocalizedText,
    Participant,
    Place,
    ReminderPolicy,
    ScheduleEngagement,
    SetReminderPolicy,
)
from calendar_service.feed.tokens import CreatedFeed, create_feed
from calendar_service.projections import NullNudger
from calendar_service.seed import apply_seed
from calendar_service.service import Envelope
from tests.fixtures.parsers import PYTHON_PARSERS, Parsed, from_ical_js

with warnings.catch_warnings():
    # starlette asks for `httpx2`; the project uses httpx, which works the same here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient as TestClient  # re-exported for the tests

BASE_URL = "https://calendar.example.org"
HOST = "calendar.example.org"
TODAY = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
""""Today" for these tests: pinned, so that the article's 2024 engagements stay inside the
three-year window whatever day the suite runs."""
SHANGHAI = ZoneInfo("Asia/Shanghai")
SEEDED = (
    "sisterhood-anniversary",
    "dodamso-meeting-2024-04-24",
    "summer-davos-2024",
    "liaoning-expo-2024",
)
"""The seed's engagements in today's window (the 1993 sisterhood and the October 2023 visit
are older than three years)."""
PUBLIC = ("sisterhood-anniversary", "dodamso-meeting-2024-04-24")


def settings_for(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A fresh SQLite file, or a Redis prefix of this test's own (the test Redis keeps nothing
    on disk, hence CALENDAR_REDIS_ALLOW_EPHEMERAL)."""
    if backend == "sqlite":
        return load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url=BASE_URL)
    redis_url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    request.getfixturevalue("monkeypatch").setenv("CALENDAR_REDIS_ALLOW_EPHEMERAL", "true")
    return load_settings(store=f"{redis_url}?prefix={prefix}", base_url=BASE_URL)


@contextmanager
def opened(
    settings: Settings, clock: Callable[[], datetime] = lambda: TODAY
) -> Iterator[Container]:
    """A container as one process of the service holds it, its clock at `clock`."""
    container = build(settings, nudger=NullNudger())
    container.clock = clock
    try:
        yield container
    finally:
        container.close()


def seed(container: Container) -> None:
    apply_seed(container.store, lambda: TODAY)
    container.projector.catch_up_all()


def client(container: Container) -> TestClient:
    return TestClient(create_app(container), raise_server_exceptions=True)


def new_feed(container: Container, audience: Audience = Audience.STAFF, lang: str = "en") -> str:
    created: CreatedFeed = create_feed(
        container.store,
        container.projector,
        name=f"{audience.value} test feed",
        audience=audience,
        lang=lang,
        actor="test",
    )
    return created.token


def execute(container: Container, *commands: Command) -> None:
    """Record `commands` through the write path, then let the projections catch up (as the
    nudged projector does after each write)."""
    for command in commands:
        container.execute(command, Envelope(actor="officer-lee"))
    container.projector.catch_up_all()


def dalian_meeting(
    engagement_id: str = "leaders-meeting-dalian-2024-06-25",
    *,
    audience: Audience = Audience.STAFF,
    title: str = "Gyeonggi–Liaoning leaders' meeting",
    note: str | None = None,
    place_name: str = "Dalian International Conference Center",
    guest: str = "Li Lecheng",
) -> list[Command]:
    """A timed meeting abroad, 09:00-10:30 in Dalian on the first day of Summer Davos, with
    reminders a day and two hours before (and `note`, if given)."""
    eid = EngagementId(engagement_id)
    start = datetime(2024, 6, 25, 9, 0, tzinfo=SHANGHAI)
    commands: list[Command] = [
        ScheduleEngagement(
            engagement_id=eid,
            details=EngagementDetails(
                kind=EngagementKind.MEETING,
                direction=Direction.OUTBOUND,
                title=LocalizedText(en=title, ko=title, zh=title),
                when=ExactWhen(start, start + timedelta(minutes=90), "Asia/Shanghai"),
                place=Place(
                    name=LocalizedText(en=place_name),
                    city=LocalizedText(en="Dalian", ko="다롄", zh="大连"),
                    country="CN",
                    tz="Asia/Shanghai",
                ),
                participants=(
                    Participant(party_id="kim-dong-yeon", role="head_of_delegation"),
                    Participant(party_id="li-lecheng", role="host", name=LocalizedText(en=guest)),
                ),
                audience=audience,
            ),
            status=EventStatus.CONFIRMED,
        ),
        SetReminderPolicy(engagement_id=eid, policy=ReminderPolicy.parse(["P1D", "PT2H"])),
    ]
    if note is not None:
        commands.append(AddNote(engagement_id=eid, text=note))
    return commands


def uid(engagement_id: str) -> str:
    return f"{engagement_id}@{HOST}"


def day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone))


def read_feed(request: pytest.FixtureRequest, parser: str, feed: bytes) -> Parsed:
    """`feed` as `parser` reads it (libical's RFC restriction check must find nothing)."""
    if parser == "ical.js":
        [result] = request.getfixturevalue("ical_js")([feed])
        return from_ical_js(result)
    if parser == "libical":
        parsed, complaints = request.getfixturevalue("libical").read(feed)
        assert complaints == [], complaints
        return parsed  # type: ignore[no-any-return]
    return PYTHON_PARSERS[parser](feed)

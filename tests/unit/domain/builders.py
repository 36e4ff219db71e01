"""Small builders for domain tests: realistic defaults from the article's engagements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from calendar_service.domain import (
    AllDayWhen,
    Command,
    Direction,
    Engagement,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    Event,
    EventStatus,
    ImpreciseWhen,
    LocalizedText,
    Origin,
    Participant,
    Participation,
    Place,
    ReceiveInvitation,
    ScheduleEngagement,
    Source,
    When,
    decide,
    evolve,
)

NOW = datetime(2024, 4, 25, 7, 17, tzinfo=UTC)
"""The article's publication (2024-04-25 07:17 KST is 2024-04-24 22:17 UTC; close enough)."""
DAVOS = EngagementId("summer-davos-2024-dalian")
JUNE_2024 = ImpreciseWhen.month("2024-06", "Asia/Shanghai")
DAVOS_DATES = AllDayWhen(date(2024, 6, 25), date(2024, 6, 28), "Asia/Shanghai")
DALIAN = Place(
    city=LocalizedText(en="Dalian", ko="다롄", zh="大连"), country="CN", tz="Asia/Shanghai"
)
ARTICLE = Source(
    origin=Origin.ARTICLE,
    ref="A",
    quote="He also officially invited Governor Kim to the Summer Davos Forum",
)


def weekdays_only(day: date) -> bool:
    """A working-day predicate without holidays, for tests about the rules themselves."""
    return day.weekday() < 5


def details(
    when: When = JUNE_2024,
    *,
    kind: EngagementKind = EngagementKind.FORUM,
    direction: Direction = Direction.OUTBOUND,
    title: str = "Summer Davos 2024, Dalian",
) -> EngagementDetails:
    return EngagementDetails(
        kind=kind,
        direction=direction,
        title=LocalizedText(en=title, ko="2024 하계 다보스포럼 (다롄)", label="title"),
        when=when,
        place=DALIAN,
        participants=(Participant(party_id="hao-peng", role="inviter"),),
    )


def invitation(
    when: When = JUNE_2024, engagement_id: EngagementId = DAVOS, **kwargs: object
) -> ReceiveInvitation:
    return ReceiveInvitation(
        engagement_id=engagement_id,
        inviter="hao-peng",
        channel="in person at the 2024-04-24 meeting",
        details=details(when, **kwargs),  # type: ignore[arg-type]
        sources=(ARTICLE,),
    )


def scheduled(
    when: When = DAVOS_DATES,
    engagement_id: EngagementId = DAVOS,
    status: EventStatus = EventStatus.TENTATIVE,
    participation: Participation = Participation.ATTENDING,
    **kwargs: object,
) -> ScheduleEngagement:
    return ScheduleEngagement(
        engagement_id=engagement_id,
        details=details(when, **kwargs),  # type: ignore[arg-type]
        status=status,
        participation=participation,
    )


def run(
    commands: Iterable[Command], now: datetime = NOW, start: Engagement | None = None
) -> tuple[Engagement, list[Event]]:
    """Decide and fold each command in turn, from `start`; the final state and the new events."""
    state = start
    log: list[Event] = []
    for command in commands:
        events = decide(state, command, now)
        for event in events:
            state = evolve(state, event)
        log.extend(events)
    assert state is not None
    return state, log

"""The calendar the feed benchmarks serve: the seed plus generated, rich engagements.

"Rich" as the protocol office's are: titles in English, Korean and Chinese, a place, two
participants from the seed's directory, a source with a quote, a note, reminders on half of
them; a third abroad (Asia/Shanghai, so two clocks in the description), half timed. Spread over
the default feed window around now (three years back, two ahead), so every one is in the feed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    AddNote,
    AllDayWhen,
    Audience,
    Command,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EventStatus,
    ExactWhen,
    LocalizedText,
    Origin,
    Participant,
    Place,
    ReminderPolicy,
    Reschedule,
    ScheduleEngagement,
    SetReminderPolicy,
    Source,
)
from calendar_service.eventstore import EventStore
from calendar_service.seed import apply_seed
from calendar_service.service import ENGAGEMENT, Envelope, handle

ACTOR = "bench"
_PLACES = {
    "Asia/Seoul": Place(
        name=LocalizedText(en="Gyeonggi Provincial Government", ko="경기도청", zh="京畿道厅"),
        city=LocalizedText(en="Suwon", ko="수원", zh="水原"),
        country="KR",
        tz="Asia/Seoul",
    ),
    "Asia/Shanghai": Place(
        name=LocalizedText(en="Dalian International Conference Center", zh="大连国际会议中心"),
        city=LocalizedText(en="Dalian", ko="다롄", zh="大连"),
        country="CN",
        tz="Asia/Shanghai",
    ),
}
_EN = "provincial delegation cooperation forum trade culture youth exchange agreement visit"
_KO = "도 대표단 협력 포럼 무역 문화 청소년 교류 협약 방문"
_ZH = "省 代表团 合作 论坛 贸易 文化 青少年 交流 协议 访问"
_SOURCE = Source(
    origin=Origin.EXTERNAL,
    ref="mofa-letter-2024-117",
    quote="The delegation will arrive on the morning of the first day.",
    claim="Dates and programme confirmed by the inviting province's letter.",
    url="https://www.example.org/letters/2024-117",
)
_REMINDERS = ReminderPolicy.parse(["P7D", "P1D", "PT2H"])


def engagement_id(index: int) -> EngagementId:
    return EngagementId(f"bench-engagement-{index:05d}")


def commands(index: int, around: date, rng: random.Random) -> list[Command]:
    """The commands that record one generated engagement."""
    eid = engagement_id(index)
    day = around + timedelta(days=rng.randint(-3 * 365 + 40, 2 * 365 - 40))
    tz = "Asia/Shanghai" if rng.random() < 0.33 else "Asia/Seoul"
    when: ExactWhen | AllDayWhen
    if rng.random() < 0.5:
        start = datetime.combine(day, time(rng.randint(8, 17)), ZoneInfo(tz))
        when = ExactWhen(start, start + timedelta(hours=rng.randint(1, 3)), tz)
    else:
        when = AllDayWhen(day, day + timedelta(days=rng.randint(1, 4)), tz)
    title = LocalizedText(
        en=" ".join(rng.choices(_EN.split(), k=6)).capitalize() + f" {index}",
        ko=" ".join(rng.choices(_KO.split(), k=6)) + f" {index}",
        zh="".join(rng.choices(_ZH.split(), k=6)) + f" {index}",
    )
    details = EngagementDetails(
        kind=rng.choice([EngagementKind.MEETING, EngagementKind.VISIT, EngagementKind.FORUM]),
        direction=Direction.OUTBOUND if tz == "Asia/Shanghai" else Direction.INBOUND,
        title=title,
        when=when,
        place=_PLACES[tz],
        participants=(
            Participant(party_id="kim-dong-yeon", role="head_of_delegation"),
            Participant(party_id="hao-peng", role="host"),
        ),
        audience=rng.choice([Audience.PUBLIC, Audience.STAFF, Audience.STAFF]),
    )
    made: list[Command] = [
        ScheduleEngagement(
            engagement_id=eid,
            details=details,
            status=rng.choice([EventStatus.TENTATIVE, EventStatus.CONFIRMED]),
            sources=(_SOURCE,),
        ),
        AddNote(engagement_id=eid, text="Interpreter booked; gifts: celadon vase. 통역 준비 완료."),
    ]
    if rng.random() < 0.5:
        made.append(SetReminderPolicy(engagement_id=eid, policy=_REMINDERS))
    return made


def populate(store: EventStore, count: int, now: datetime, seed: int = 7) -> None:
    """The seed, then `count` generated engagements, through the write path."""
    apply_seed(store, lambda: now)
    rng = random.Random(seed)
    around = now.astimezone(UTC).date()
    for index in range(count):
        for command in commands(index, around, rng):
            handle(store, ENGAGEMENT, command, Envelope(actor=ACTOR), lambda: now)


def reschedule(store: EventStore, index: int, now: datetime, hours: int = 1) -> None:
    """Move generated engagement `index` by `hours`: one event, a new SEQUENCE."""
    from calendar_service.service import ENGAGEMENT, load

    state, _ = load(store, ENGAGEMENT, str(engagement_id(index)))
    assert state is not None
    when = state.when
    shift = timedelta(hours=hours)
    moved: ExactWhen | AllDayWhen
    if isinstance(when, ExactWhen):
        moved = ExactWhen(when.start + shift, when.end + shift, when.tz)
    else:
        assert isinstance(when, AllDayWhen)
        day = timedelta(days=1)
        moved = AllDayWhen(when.start_date + day, when.end_date_exclusive + day, when.tz)
    handle(
        store,
        ENGAGEMENT,
        Reschedule(engagement_id=engagement_id(index), when=moved, reason="benchmark"),
        Envelope(actor=ACTOR),
        lambda: now,
    )

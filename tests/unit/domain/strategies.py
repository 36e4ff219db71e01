"""Hypothesis strategies for the domain: whens, and random commands on one engagement."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

from calendar_service.domain import (
    Accept,
    AddNote,
    AddParticipant,
    Agreement,
    AllDayWhen,
    AttachSource,
    Audience,
    Cancel,
    ChangeAudience,
    ChangeLocation,
    ChangeTitle,
    Command,
    Confirm,
    Decline,
    DefineRecurringObservance,
    Delegate,
    Direction,
    EngagementDetails,
    EngagementKind,
    EventStatus,
    ExactWhen,
    ExplicitDeadline,
    ImpreciseWhen,
    LocalizedText,
    MarkHeld,
    Origin,
    Participant,
    Participation,
    PartOfDay,
    Place,
    ReceiveInvitation,
    RecordAgreement,
    Recurrence,
    Refine,
    ReminderPolicy,
    RemoveParticipant,
    Reschedule,
    ReviewInvitation,
    ScheduleEngagement,
    SetDeadline,
    SetReminderPolicy,
    Source,
    When,
)
from tests.unit.domain.builders import DALIAN, DAVOS

ZONES = ("Asia/Seoul", "Asia/Shanghai", "Europe/Zurich")


def whens(
    first: date = date(2023, 1, 1), last: date = date(2027, 12, 31)
) -> st.SearchStrategy[When]:
    """Any kind of when starting between `first` and `last`."""
    days = st.dates(min_value=first, max_value=last)
    zones = st.sampled_from(ZONES)
    exact = st.builds(_exact, days, st.integers(0, 23), st.integers(1, 72), zones)
    all_day = st.builds(
        lambda day, length, tz: AllDayWhen(day, day + timedelta(days=length), tz),
        days,
        st.integers(1, 5),
        zones,
    )
    part = st.builds(AllDayWhen.on, days, zones, st.sampled_from(PartOfDay))
    month = st.builds(lambda day, tz: ImpreciseWhen.month(f"{day:%Y-%m}", tz), days, zones)
    year = st.builds(lambda day, tz: ImpreciseWhen.year(day.year, tz), days, zones)
    tbc = st.builds(
        lambda day, length, tz: ImpreciseWhen.tbc(day, day + timedelta(days=length), tz),
        days,
        st.integers(1, 20),
        zones,
    )
    return st.one_of(exact, all_day, part, month, year, tbc)


def _exact(day: date, hour: int, hours: int, tz: str) -> ExactWhen:
    start = datetime.combine(day, time(hour), UTC)
    return ExactWhen(start, start + timedelta(hours=hours), tz)


# Whens around June 2024, so that refinements and moves often fit what is there.
NEAR_JUNE = whens(date(2024, 5, 25), date(2024, 7, 5))
NOWS = st.datetimes(
    min_value=datetime(2024, 4, 1), max_value=datetime(2024, 8, 31), timezones=st.just(UTC)
)
PEOPLE = st.sampled_from(["kim-dong-yeon", "hao-peng", "li-lecheng", "vice-governor"])
ROLES = st.sampled_from(["host", "signatory", "head_of_delegation"])
PARTICIPANTS = st.builds(lambda p, r: Participant(party_id=p, role=r), PEOPLE, ROLES)
TEXTS = st.sampled_from(["Budget review", "Schedule clash with the council", "다른 일정"])
TITLES = st.sampled_from(
    [
        LocalizedText(en="Summer Davos 2024"),
        LocalizedText(ko="하계 다보스포럼", zh="夏季达沃斯论坛"),
    ]
)
SOURCES = st.sampled_from(
    [
        Source(origin=Origin.EXTERNAL, ref="S16", claim="NDRC confirmed June 25-27 in Dalian."),
        Source(origin=Origin.ASSUMED, claim="Deadline computed by a stated rule."),
    ]
)
PLACES = st.sampled_from(
    [
        DALIAN,
        Place(
            name=LocalizedText(en="Dalian International Conference Center", zh="大连国际会议中心"),
            country="CN",
            tz="Asia/Shanghai",
        ),
        None,
    ]
)
POLICIES = st.sampled_from(
    [ReminderPolicy.parse(["P7D", "P1D"], ["email"]), ReminderPolicy.parse(["PT2H"]), None]
)
AGREEMENTS = st.builds(
    lambda key, day: Agreement(
        agreement_id=key, name=LocalizedText(en="Cooperation agreement"), signed_on=day
    ),
    st.sampled_from(["agr-one", "agr-two"]),
    st.none() | st.dates(date(2024, 4, 1), date(2025, 12, 31)),
)
DEADLINES = st.builds(
    lambda key, day: ExplicitDeadline(key=key, due=day, basis="The inviter's letter asks for it."),
    st.sampled_from(["decision", "rsvp-form"]),
    st.dates(date(2024, 5, 1), date(2024, 6, 30)),
)


def _details(when: When, direction: Direction, kind: EngagementKind) -> EngagementDetails:
    return EngagementDetails(
        kind=kind, direction=direction, title=LocalizedText(en="Summer Davos 2024"), when=when
    )


DETAILS = st.builds(
    _details,
    NEAR_JUNE,
    st.sampled_from(Direction),
    st.sampled_from([EngagementKind.FORUM, EngagementKind.MEETING, EngagementKind.VISIT]),
)


def _on(cls: type[Command], **fields: st.SearchStrategy[object]) -> st.SearchStrategy[Command]:
    return st.builds(cls, engagement_id=st.just(DAVOS), **fields)


OBSERVANCES = _on(
    DefineRecurringObservance,
    title=TITLES,
    recurrence=st.builds(
        lambda day: Recurrence(month=10, day=day, since_year=1993, tz="Asia/Seoul"),
        st.none() | st.integers(1, 31),
    ),
)
CREATIONS: st.SearchStrategy[Command] = st.one_of(
    _on(
        ReceiveInvitation,
        inviter=PEOPLE,
        details=DETAILS,
        status=st.sampled_from([None, EventStatus.TENTATIVE, EventStatus.CONFIRMED]),
    ),
    _on(
        ScheduleEngagement,
        details=DETAILS,
        status=st.sampled_from([EventStatus.TENTATIVE, EventStatus.CONFIRMED]),
        participation=st.sampled_from([Participation.ATTENDING, Participation.NOT_APPLICABLE]),
    ),
    OBSERVANCES,
)
"""Commands that create an engagement, with choices that fit a new one."""

ANY_CREATION: st.SearchStrategy[Command] = st.one_of(
    _on(
        ReceiveInvitation,
        inviter=PEOPLE,
        details=st.none() | DETAILS,
        status=st.none() | st.sampled_from(EventStatus),
    ),
    _on(
        ScheduleEngagement,
        details=DETAILS,
        status=st.sampled_from(EventStatus),
        participation=st.sampled_from(Participation),
    ),
    OBSERVANCES,
)
"""Creating commands with any choices, including ones no new engagement can have."""

COMMANDS: st.SearchStrategy[Command] = st.one_of(
    ANY_CREATION,
    _on(Refine, when=NEAR_JUNE),
    _on(Reschedule, when=NEAR_JUNE, allow_less_precise=st.booleans()),
    _on(Confirm),
    _on(ReviewInvitation),
    _on(Accept),
    _on(Decline, reason=st.none() | TEXTS),
    _on(Delegate, delegate=PARTICIPANTS),
    _on(MarkHeld),
    _on(Cancel, reason=TEXTS),
    _on(ChangeLocation, place=PLACES),
    _on(AddParticipant, participant=PARTICIPANTS),
    _on(RemoveParticipant, party_id=PEOPLE, role=st.none() | ROLES),
    _on(AddNote, text=TEXTS),
    _on(AttachSource, sources=st.lists(SOURCES, max_size=2).map(tuple)),
    _on(SetReminderPolicy, policy=POLICIES),
    _on(RecordAgreement, agreement=AGREEMENTS),
    _on(SetDeadline, deadline=DEADLINES),
    _on(ChangeAudience, audience=st.sampled_from(Audience)),
    _on(ChangeTitle, title=TITLES),
)
"""Any command on the one engagement DAVOS, valid or not for whatever state it meets."""

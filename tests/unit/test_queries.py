"""Read-side queries: the calendar as the office knew it (known_at) or as the log stood
(recorded_at), the agenda's window and deadlines, the history's wording."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from calendar_service.domain import (
    EVENT_TYPES,
    AddNote,
    AllDayWhen,
    Cancel,
    ChangeLocation,
    Command,
    Confidence,
    ExactWhen,
    ImpreciseWhen,
    LocalizedText,
    Place,
    Refine,
)
from calendar_service.eventstore import NewEvent, StoredEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.read.history import (
    ENGAGEMENT_STREAM_PREFIX,
    EVENT_WORDS,
    Axis,
    RowKind,
    agenda_rows,
    calendar_as_of,
    history_rows,
)
from calendar_service.read.wording import (
    describe_place,
    describe_when,
    describe_when_in_zone,
    format_days,
    viewer_clock,
)
from calendar_service.service import ENGAGEMENT, Envelope, handle, stream_of
from tests.unit.domain.builders import DAVOS, DAVOS_DATES, invitation, weekdays_only

KST = timezone(timedelta(hours=9))


class Clock:
    """A settable clock: the store stamps recorded_at with it."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def kst(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=KST)


VENUE = Place(
    name=LocalizedText(en="Dalian International Conference Center"),
    city=LocalizedText(en="Dalian"),
    country="CN",
    tz="Asia/Shanghai",
)


@pytest.fixture
def log() -> Iterator[list[StoredEvent]]:
    """Davos as an office would record it: the invitation (known 25 Apr, entered 1 May), the
    dates (known 19 June, entered 20 June), and a venue learned on 10 June but entered late,
    on 1 July."""
    clock = Clock()
    store = MemoryEventStore(clock=clock)

    def record(command: Command, known: datetime, recorded: datetime) -> None:
        clock.now = recorded
        handle(store, ENGAGEMENT, command, Envelope(actor="officer.kim", known_at=known), clock)

    record(invitation(), kst(4, 25, 7), kst(5, 1))
    record(Refine(engagement_id=DAVOS, when=DAVOS_DATES), kst(6, 19), kst(6, 20))
    record(ChangeLocation(engagement_id=DAVOS, place=VENUE), kst(6, 10), kst(7, 1))
    yield store.read_all()
    store.close()


def test_as_of_known_at_is_the_calendar_as_the_office_knew_it_then(
    log: list[StoredEvent],
) -> None:
    assert calendar_as_of(log, kst(4, 24), Axis.KNOWN) == []
    on_the_day = calendar_as_of(log, kst(4, 26), Axis.KNOWN)
    assert [e.when for e in on_the_day] == [ImpreciseWhen.month("2024-06", "Asia/Shanghai")]
    mid_june = calendar_as_of(log, kst(6, 15), Axis.KNOWN)[0]
    assert mid_june.when.precision.name == "MONTH"
    assert mid_june.place == VENUE, "known on 10 June, though entered on 1 July"
    assert calendar_as_of(log, kst(6, 19), Axis.KNOWN)[0].when == DAVOS_DATES


def test_as_of_recorded_at_is_the_log_as_it_stood_then(log: list[StoredEvent]) -> None:
    assert calendar_as_of(log, kst(4, 26), Axis.RECORDED) == []
    mid_june = calendar_as_of(log, kst(6, 15), Axis.RECORDED)[0]
    assert mid_june.when == ImpreciseWhen.month("2024-06", "Asia/Shanghai")
    assert mid_june.place != VENUE
    late_june = calendar_as_of(log, kst(6, 25), Axis.RECORDED)[0]
    assert late_june.when == DAVOS_DATES
    assert late_june.place != VENUE, "the venue was not in the log before 1 July"
    assert calendar_as_of(log, kst(7, 1), Axis.RECORDED)[0].place == VENUE


def test_without_as_of_every_event_counts(log: list[StoredEvent]) -> None:
    [now] = calendar_as_of(log)
    assert now.when == DAVOS_DATES
    assert now.place == VENUE


def test_as_of_must_be_an_aware_time(log: list[StoredEvent]) -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        calendar_as_of(log, datetime(2024, 6, 1))


def test_a_change_known_before_its_engagement_is_skipped_not_an_error() -> None:
    store = MemoryEventStore()
    clock = Clock()
    clock.now = kst(5, 1)
    handle(store, ENGAGEMENT, invitation(), Envelope(actor="a", known_at=kst(4, 25)), clock)
    note = AddNote(engagement_id=DAVOS, text="heard of it in March")
    handle(store, ENGAGEMENT, note, Envelope(actor="a", known_at=kst(3, 1)), clock)

    assert calendar_as_of(store.read_all(), kst(4, 1)) == []
    [later] = calendar_as_of(store.read_all(), kst(4, 26))
    assert later.notes == ("heard of it in March",)


def test_other_streams_and_event_types_are_not_the_calendar() -> None:
    store = MemoryEventStore()
    handle(store, ENGAGEMENT, invitation(), Envelope(actor="a"), Clock())
    store.append("feed:staff", [NewEvent(type="FeedCreated", data={})], expected_version=0)
    store.append(stream_of(str(DAVOS)), [NewEvent(type="ReminderSent", data={})], None)

    assert [str(e.id) for e in calendar_as_of(store.read_all())] == [str(DAVOS)]
    rows = history_rows(store.read_stream(stream_of(str(DAVOS))))
    assert [row.what for row in rows] == ["invitation received", "reminder sent"]


def test_the_stream_prefix_is_the_write_paths() -> None:
    assert stream_of("x") == f"{ENGAGEMENT_STREAM_PREFIX}x"


def test_every_event_type_has_words_in_the_history() -> None:
    assert set(EVENT_WORDS) == set(EVENT_TYPES)


def test_history_says_what_changed_from_what_to_what(log: list[StoredEvent]) -> None:
    rows = history_rows(log)

    assert [row.what for row in rows] == ["invitation received", "date refined", "location changed"]
    assert rows[1].summary == (
        "date refined: June 2024 (to be confirmed) → 25–27 Jun 2024 (Asia/Shanghai)"
    )
    assert rows[2].change == "Dalian → Dalian International Conference Center, Dalian"
    assert rows[0].known_at == kst(4, 25, 7)
    assert rows[0].recorded_at == kst(5, 1)
    assert rows[0].actor == "officer.kim"
    assert rows[0].sources[0].quote is not None


def test_agenda_window_is_inclusive_and_cancelling_removes_the_deadlines() -> None:
    store = MemoryEventStore()
    clock = Clock()
    handle(store, ENGAGEMENT, invitation(DAVOS_DATES), Envelope(actor="a"), clock)
    [engagement] = calendar_as_of(store.read_all())

    rows = agenda_rows(
        [engagement], date(2024, 5, 10), date(2024, 6, 25), is_working_day=weekdays_only
    )
    assert [(row.kind, row.when.first_day) for row in rows] == [
        (RowKind.DEADLINE, date(2024, 5, 10)),
        (RowKind.ENGAGEMENT, date(2024, 6, 25)),
    ]
    assert rows[0].deadline is not None
    assert rows[0].deadline.rule == "decision"
    assert agenda_rows([engagement], date(2024, 5, 11), date(2024, 6, 24)) == []

    handle(
        store,
        ENGAGEMENT,
        Cancel(engagement_id=DAVOS, reason="postponed"),
        Envelope(actor="a"),
        clock,
    )
    [cancelled] = calendar_as_of(store.read_all())
    after = agenda_rows([cancelled], date(2024, 5, 1), date(2024, 6, 30))
    assert [row.kind for row in after] == [RowKind.ENGAGEMENT]


def test_month_precision_rows_are_tentative() -> None:
    store = MemoryEventStore()
    handle(store, ENGAGEMENT, invitation(), Envelope(actor="a"), Clock())
    [engagement] = calendar_as_of(store.read_all())
    rows = agenda_rows([engagement], date(2024, 1, 1), date(2024, 12, 31))
    assert all(row.tentative for row in rows)


def test_a_timed_item_abroad_shows_both_clocks() -> None:
    china = timezone(timedelta(hours=8))
    session = ExactWhen(
        datetime(2024, 6, 25, 9, tzinfo=china),
        datetime(2024, 6, 25, 11, tzinfo=china),
        "Asia/Shanghai",
    )
    assert describe_when(session) == "25 Jun 2024 09:00–11:00"
    assert viewer_clock(session, "Asia/Seoul") == "25 Jun 2024 10:00–12:00"
    assert viewer_clock(session, "Asia/Shanghai") is None
    assert viewer_clock(DAVOS_DATES, "Asia/Seoul") is None, "whole days are the same dates"


@pytest.mark.parametrize(
    ("first", "last", "lang", "expected"),
    [
        (date(2024, 6, 25), date(2024, 6, 27), "en", "25–27 Jun 2024"),
        (date(2023, 10, 30), date(2023, 11, 3), "en", "30 Oct–3 Nov 2023"),
        (date(2023, 12, 30), date(2024, 1, 2), "en", "30 Dec 2023–2 Jan 2024"),
        (date(2024, 6, 25), date(2024, 6, 27), "ko", "2024년 6월 25–27일"),
        (date(2023, 10, 30), date(2023, 11, 3), "zh", "2023年10月30日–11月3日"),
        (date(2024, 4, 24), date(2024, 4, 24), "zh", "2024年4月24日"),
    ],
)
def test_day_ranges_read_as_an_officer_writes_them(
    first: date, last: date, lang: str, expected: str
) -> None:
    assert format_days(first, last, lang) == expected


def test_imprecise_whens_say_to_be_confirmed_and_observances_day_unknown() -> None:
    june = ImpreciseWhen.month("2024-06", "Asia/Shanghai")
    assert describe_when(june) == "June 2024 (to be confirmed)"
    assert describe_when_in_zone(june) == "June 2024 (to be confirmed, Asia/Shanghai)"
    assert describe_when(june, "ko") == "2024년 6월 (미정)"
    assert describe_when(june, day_unknown=True) == "June 2024 (day unknown)"
    assert describe_when_in_zone(AllDayWhen.on(date(2024, 4, 24), "Asia/Seoul")) == (
        "24 Apr 2024 (Asia/Seoul)"
    )


def test_a_probable_place_says_so() -> None:
    shenyang = Place(
        city=LocalizedText(en="Shenyang", zh="沈阳"),
        country="CN",
        tz="Asia/Shanghai",
        confidence=Confidence.PROBABLE,
    )
    assert describe_place(shenyang) == "Shenyang (probable)"
    assert describe_place(shenyang, "zh") == "沈阳 (probable)"
    assert describe_place(None) == ""

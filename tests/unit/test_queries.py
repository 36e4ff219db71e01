"""Read-side queries: the calendar as the office knew it (known_at) or as the log stood
(recorded_at), the agenda's window and deadlines, the history's wording."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calendar_service.domain import (
    EVENT_TYPES,
    AddNote,
    AllDayWhen,
    Audience,
    Cancel,
    ChangeLocation,
    Command,
    Confidence,
    Engagement,
    ExactWhen,
    ImpreciseWhen,
    LocalizedText,
    Place,
    Refine,
    WorkingDayPredicate,
)
from calendar_service.eventstore import EventStore, NewEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import (
    Axis,
    CalendarProjection,
    MemoryViewStore,
    ViewStore,
    calendar_as_of,
    replay_into,
)
from calendar_service.read import agenda_view, engagement_history
from calendar_service.read.history import ENGAGEMENT_STREAM_PREFIX, EVENT_WORDS, history_rows
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
SEOUL = ZoneInfo("Asia/Seoul")


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


def engagements(views: ViewStore) -> list[Engagement]:
    """Every engagement the calendar views hold, by id."""
    rows = views.rows("calendar", "engagements")
    return [Engagement.from_json(json.loads(doc)["engagement"]) for *_, doc in rows]


def as_of(store: EventStore, moment: datetime, axis: Axis = Axis.KNOWN) -> list[Engagement]:
    """The calendar's engagements as of `moment` on `axis`."""
    return engagements(calendar_as_of(store, moment, axis))


def live(store: EventStore, is_working_day: WorkingDayPredicate | None = None) -> MemoryViewStore:
    """The calendar projection over the whole log, as the live views hold it."""
    views = MemoryViewStore()
    replay_into(CalendarProjection(is_working_day=is_working_day), store, views)
    return views


@pytest.fixture
def log() -> Iterator[MemoryEventStore]:
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
    yield store
    store.close()


def test_as_of_known_at_is_the_calendar_as_the_office_knew_it_then(
    log: MemoryEventStore,
) -> None:
    assert as_of(log, kst(4, 24), Axis.KNOWN) == []
    on_the_day = as_of(log, kst(4, 26), Axis.KNOWN)
    assert [e.when for e in on_the_day] == [ImpreciseWhen.month("2024-06", "Asia/Shanghai")]
    mid_june = as_of(log, kst(6, 15), Axis.KNOWN)[0]
    assert mid_june.when.precision.name == "MONTH"
    assert mid_june.place == VENUE, "known on 10 June, though entered on 1 July"
    assert as_of(log, kst(6, 19), Axis.KNOWN)[0].when == DAVOS_DATES


def test_as_of_recorded_at_is_the_log_as_it_stood_then(log: MemoryEventStore) -> None:
    assert as_of(log, kst(4, 26), Axis.RECORDED) == []
    mid_june = as_of(log, kst(6, 15), Axis.RECORDED)[0]
    assert mid_june.when == ImpreciseWhen.month("2024-06", "Asia/Shanghai")
    assert mid_june.place != VENUE
    late_june = as_of(log, kst(6, 25), Axis.RECORDED)[0]
    assert late_june.when == DAVOS_DATES
    assert late_june.place != VENUE, "the venue was not in the log before 1 July"
    assert as_of(log, kst(7, 1), Axis.RECORDED)[0].place == VENUE


def test_without_as_of_every_event_counts(log: MemoryEventStore) -> None:
    [now] = engagements(live(log))
    assert now.when == DAVOS_DATES
    assert now.place == VENUE


def test_as_of_must_be_an_aware_time(log: MemoryEventStore) -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        as_of(log, datetime(2024, 6, 1))


def test_a_change_known_before_its_engagement_is_skipped_not_an_error() -> None:
    store = MemoryEventStore()
    clock = Clock()
    clock.now = kst(5, 1)
    handle(store, ENGAGEMENT, invitation(), Envelope(actor="a", known_at=kst(4, 25)), clock)
    note = AddNote(engagement_id=DAVOS, text="heard of it in March")
    handle(store, ENGAGEMENT, note, Envelope(actor="a", known_at=kst(3, 1)), clock)

    assert as_of(store, kst(4, 1)) == []
    [later] = as_of(store, kst(4, 26))
    assert later.notes == ("heard of it in March",)


def test_other_streams_and_event_types_are_not_the_calendar() -> None:
    store = MemoryEventStore()
    handle(store, ENGAGEMENT, invitation(), Envelope(actor="a"), Clock())
    store.append("feed:staff", [NewEvent(type="FeedCreated", data={})], expected_version=0)
    store.append(stream_of(str(DAVOS)), [NewEvent(type="ReminderSent", data={})], None)

    assert [str(e.id) for e in engagements(live(store))] == [str(DAVOS)]
    rows = history_rows(store.read_stream(stream_of(str(DAVOS))))
    assert [row.what for row in rows] == ["invitation received", "reminder sent"]


def test_the_stream_prefix_is_the_write_paths() -> None:
    assert stream_of("x") == f"{ENGAGEMENT_STREAM_PREFIX}x"


def test_every_event_type_has_words_in_the_history() -> None:
    assert set(EVENT_WORDS) == set(EVENT_TYPES)


def test_history_says_what_changed_from_what_to_what(log: MemoryEventStore) -> None:
    rows = history_rows(log.read_all())

    assert [row.what for row in rows] == ["invitation received", "date refined", "location changed"]
    assert rows[1].summary == (
        "date refined: June 2024 (to be confirmed) → Jun 25\u2009–\u200927, 2024 (Shanghai)"
    )
    assert rows[2].change == "Dalian → Dalian International Conference Center, Dalian"
    assert rows[0].known_at == kst(4, 25, 7)
    assert rows[0].recorded_at == kst(5, 1)
    assert rows[0].actor == "officer.kim"
    assert rows[0].sources[0].quote is not None


def test_history_of_an_engagement_is_its_streams_folded_with_its_state_and_title(
    log: MemoryEventStore,
) -> None:
    log.append(f"reminders:{DAVOS}", [NewEvent("ReminderMissed", {"offset": "start-P1D"})], 0)

    found = engagement_history(log, str(DAVOS), "ko")

    assert found is not None
    assert [row.what for row in found.rows] == [
        "초청 접수",
        "날짜 구체화",
        "장소 변경",
        "알림 누락",
    ]
    assert found.state is not None
    assert found.state.place == VENUE
    assert found.title("ko") == "2024 하계 다보스포럼 (다롄)"
    assert found.rows[1].change == "2024년 6월 (미정) → 2024년 6월 25일~27일 (상하이)"
    assert engagement_history(log, "no-such-engagement") is None


def _agenda(views: ViewStore, first: date, last: date) -> list[tuple[str, date]]:
    items = agenda_view(views, first, last, audience=Audience.RESTRICTED, viewer=SEOUL, lang="en")
    return [(item.kind, item.when.first_day) for item in items]


def test_agenda_window_is_inclusive_and_cancelling_removes_the_deadlines() -> None:
    store = MemoryEventStore()
    clock = Clock()
    handle(store, ENGAGEMENT, invitation(DAVOS_DATES), Envelope(actor="a"), clock)
    views = live(store, is_working_day=weekdays_only)

    assert _agenda(views, date(2024, 5, 10), date(2024, 6, 25)) == [
        ("deadline", date(2024, 5, 10)),
        ("engagement", date(2024, 6, 25)),
    ]
    first = agenda_view(
        views,
        date(2024, 5, 10),
        date(2024, 5, 10),
        audience=Audience.RESTRICTED,
        viewer=SEOUL,
        lang="en",
    )[0]
    assert first.deadline is not None
    assert first.deadline["rule"] == "decision"
    assert _agenda(views, date(2024, 5, 11), date(2024, 6, 24)) == []

    handle(
        store,
        ENGAGEMENT,
        Cancel(engagement_id=DAVOS, reason="postponed"),
        Envelope(actor="a"),
        clock,
    )
    after = _agenda(live(store, is_working_day=weekdays_only), date(2024, 5, 1), date(2024, 6, 30))
    assert [kind for kind, _ in after] == ["engagement"]


def test_month_precision_rows_are_tentative() -> None:
    store = MemoryEventStore()
    handle(store, ENGAGEMENT, invitation(), Envelope(actor="a"), Clock())
    items = agenda_view(
        live(store),
        date(2024, 1, 1),
        date(2024, 12, 31),
        audience=Audience.RESTRICTED,
        viewer=SEOUL,
        lang="en",
    )
    assert items
    assert all(item.tentative for item in items)


def test_a_timed_item_abroad_shows_both_clocks() -> None:
    china = timezone(timedelta(hours=8))
    session = ExactWhen(
        datetime(2024, 6, 25, 9, tzinfo=china),
        datetime(2024, 6, 25, 11, tzinfo=china),
        "Asia/Shanghai",
    )
    assert describe_when(session) == "Jun 25, 2024 09:00\u2009–\u200911:00"
    assert viewer_clock(session, "Asia/Seoul") == "Jun 25, 2024 10:00\u2009–\u200912:00"
    assert viewer_clock(session, "Asia/Shanghai") is None
    assert viewer_clock(DAVOS_DATES, "Asia/Seoul") is None, "whole days are the same dates"


@pytest.mark.parametrize(
    ("first", "last", "lang", "expected"),
    [
        (date(2024, 6, 25), date(2024, 6, 27), "en", "Jun 25\u2009–\u200927, 2024"),
        (date(2023, 10, 30), date(2023, 11, 3), "en", "Oct 30\u2009–\u2009Nov 3, 2023"),
        (date(2023, 12, 30), date(2024, 1, 2), "en", "Dec 30, 2023\u2009–\u2009Jan 2, 2024"),
        (date(2024, 6, 25), date(2024, 6, 27), "ko", "2024년 6월 25일~27일"),
        (date(2023, 10, 30), date(2023, 11, 3), "zh", "2023年10月30日\u2009–\u200911月3日"),
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
    assert describe_when_in_zone(june) == "June 2024 (to be confirmed; Shanghai)"
    assert describe_when(june, "ko") == "2024년 6월 (미정)"
    assert describe_when(june, day_unknown=True) == "June 2024 (day unknown)"
    assert describe_when_in_zone(AllDayWhen.on(date(2024, 4, 24), "Asia/Seoul")) == (
        "Apr 24, 2024 (Seoul)"
    )


def test_a_probable_place_says_so() -> None:
    shenyang = Place(
        city=LocalizedText(en="Shenyang", zh="沈阳"),
        country="CN",
        tz="Asia/Shanghai",
        confidence=Confidence.PROBABLE,
    )
    assert describe_place(shenyang) == "Shenyang (probable)"
    assert describe_place(shenyang, "zh") == "沈阳（推定）"
    assert describe_place(None) == ""

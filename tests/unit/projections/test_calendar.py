"""The calendar projection: engagements and their derived deadlines, and the agenda over them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from calendar_service.domain import (
    Accept,
    Audience,
    Cancel,
    ChangeAudience,
    DefineRecurringObservance,
    EngagementId,
    EventStatus,
    LocalizedText,
    Participation,
    Recurrence,
    Refine,
    Reschedule,
)
from calendar_service.eventstore import NewEvent
from calendar_service.projections import CalendarProjection, agenda
from calendar_service.projections.calendar import (
    DEADLINES,
    NAME,
    deadlines_of,
    engagement,
    engagement_doc,
)
from tests.unit.domain.builders import DAVOS, DAVOS_DATES, invitation, scheduled
from tests.unit.projections.helpers import Log, project

SISTERHOOD = EngagementId("gyeonggi-liaoning-sisterhood")


def _calendar(log: Log) -> object:
    return project(log, [CalendarProjection()])


def test_an_invitation_shows_as_a_tentative_engagement_with_its_decision_deadline() -> None:
    log = Log()
    log.run(invitation())
    views = project(log, [CalendarProjection()])

    state = engagement(views, str(DAVOS))
    assert state is not None
    assert state.participation is Participation.INVITED
    doc = engagement_doc(views, str(DAVOS))
    assert doc is not None
    assert doc["start"] == "2024-05-31T16:00:00.000000Z"  # 1 June 2024 in Dalian, in UTC
    assert doc["precision"] == "month"
    assert [d["rule"] for d in deadlines_of(views, str(DAVOS))] == ["decision"]


def test_accepting_and_refining_replace_the_decision_with_the_trip_deadlines() -> None:
    log = Log()
    log.run(
        invitation(), Accept(engagement_id=DAVOS), Refine(engagement_id=DAVOS, when=DAVOS_DATES)
    )
    views = project(log, [CalendarProjection()])

    rules = {d["rule"]: d for d in deadlines_of(views, str(DAVOS))}
    assert "decision" not in rules
    assert {"visa-check", "trip-review", "departure", "return", "result-report"} <= set(rules)
    assert rules["departure"]["due"] == "2024-06-25"
    assert rules["departure"]["tentative"] is False
    stored = {key for _, key, _, _ in views.rows(NAME, DEADLINES)}
    assert stored == {d["id"] for d in rules.values()}, "no deadline row is left behind"


def test_rescheduling_moves_the_engagement_and_its_deadlines() -> None:
    log = Log()
    log.run(scheduled(DAVOS_DATES))
    before = {
        d["rule"]: d["due"]
        for d in deadlines_of(project(log, [CalendarProjection()]), "summer-davos-2024-dalian")
    }
    moved = DAVOS_DATES.__class__(date(2024, 7, 9), date(2024, 7, 12), "Asia/Shanghai")
    log.run(Reschedule(engagement_id=DAVOS, when=moved, reason="Forum postponed"))
    views = project(log, [CalendarProjection()])

    after = {d["rule"]: d["due"] for d in deadlines_of(views, str(DAVOS))}
    assert after.keys() == before.keys()
    assert after["departure"] == "2024-07-09" != before["departure"]
    found = agenda(views, datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 8, 1, tzinfo=UTC))
    assert [i.id for i in found if i.kind == "engagement"] == [str(DAVOS)]
    june = agenda(views, datetime(2024, 6, 20, tzinfo=UTC), datetime(2024, 6, 30, tzinfo=UTC))
    assert [i for i in june if i.kind == "engagement"] == []


def test_a_cancelled_engagement_stays_in_the_calendar_but_loses_its_deadlines() -> None:
    log = Log()
    log.run(scheduled(DAVOS_DATES), Cancel(engagement_id=DAVOS, reason="Called off"))
    views = project(log, [CalendarProjection()])

    state = engagement(views, str(DAVOS))
    assert state is not None
    assert state.status is EventStatus.CANCELLED
    assert deadlines_of(views, str(DAVOS)) == []
    assert list(views.rows(NAME, DEADLINES)) == []
    window = (datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC))
    assert [i.status for i in agenda(views, *window)] == ["cancelled"]
    assert agenda(views, *window, include_cancelled=False) == []


def test_agenda_lists_engagements_deadlines_and_each_year_of_an_observance() -> None:
    log = Log()
    log.run(
        scheduled(DAVOS_DATES),
        DefineRecurringObservance(
            engagement_id=SISTERHOOD,
            title=LocalizedText(en="Sister relationship anniversary"),
            recurrence=Recurrence(month=10, day=18, since_year=1993, tz="Asia/Seoul"),
        ),
    )
    views = project(log, [CalendarProjection()])

    items = agenda(views, datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    kinds = {(i.kind, i.id) for i in items}
    assert ("engagement", str(DAVOS)) in kinds
    assert ("observance", f"{SISTERHOOD}@2024") in kinds
    assert ("observance", f"{SISTERHOOD}@2025") in kinds
    assert any(i.kind == "deadline" and i.engagement_id == str(DAVOS) for i in items)
    assert [i.start for i in items] == sorted(i.start for i in items)


def test_agenda_never_shows_an_item_above_the_audience() -> None:
    log = Log()
    log.run(
        scheduled(DAVOS_DATES), ChangeAudience(engagement_id=DAVOS, audience=Audience.RESTRICTED)
    )
    views = project(log, [CalendarProjection()])
    window = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))

    assert agenda(views, *window, audience=Audience.STAFF) == []
    assert agenda(views, *window, audience=Audience.RESTRICTED)


def test_an_event_that_cannot_be_applied_is_recorded_as_a_problem_not_a_stuck_projection() -> None:
    log = Log()
    log.run(scheduled(DAVOS_DATES))
    log.store.append("engagement:ghost", [NewEvent("NoteAdded", {"text": "orphan"})], None)
    log.store.append(
        "engagement:ghost-two",
        [NewEvent("NoteAdded", {"engagement_id": "ghost-two", "text": "x"})],
        None,
    )
    log.store.append(
        "engagement:summer-davos-2024-dalian", [NewEvent("ReminderSent", {"x": 1})], None
    )
    log.store.append("feed:staff", [NewEvent("FeedCreated", {"audience": "staff"})], None)
    views = project(log, [CalendarProjection()])

    assert views.checkpoint(NAME) == log.store.head()
    problems = {key: doc for _, key, _, doc in views.rows(NAME, "problems")}
    assert sorted(problems) == ["000000000002", "000000000003"]
    assert "InvalidValue" in problems["000000000002"]
    assert "EngagementNotFound" in problems["000000000003"]
    assert engagement(views, str(DAVOS)) is not None

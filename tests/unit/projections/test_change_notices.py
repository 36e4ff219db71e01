"""Change notices in the reminder schedule: one per burst of changes, none for history filled in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    Accept,
    AddNote,
    AllDayWhen,
    ChangeAudience,
    Engagement,
    ExactWhen,
    Refine,
    Reschedule,
)
from calendar_service.domain.engagement.values import Audience, Participation
from calendar_service.projections import MemoryViewStore
from calendar_service.projections.reminders_due import (
    NAME,
    PLANS,
    RemindersDueProjection,
    due_between,
    notices_between,
)
from calendar_service.projections.views import Doc
from tests.unit.domain.builders import DAVOS, DAVOS_DATES, invitation, scheduled, weekdays_only
from tests.unit.projections.helpers import START, Log, project

DALIAN = ZoneInfo("Asia/Shanghai")
KICKOFF = ExactWhen(
    datetime(2024, 6, 25, 9, 0, tzinfo=DALIAN),
    datetime(2024, 6, 25, 12, 0, tzinfo=DALIAN),
    "Asia/Shanghai",
)
MOVED = ExactWhen(
    datetime(2024, 6, 26, 9, 0, tzinfo=DALIAN),
    datetime(2024, 6, 26, 12, 0, tzinfo=DALIAN),
    "Asia/Shanghai",
)
EVER = (START - timedelta(days=365), START + timedelta(days=365))


def _notices(
    log: Log, window: timedelta = timedelta(minutes=2)
) -> tuple[MemoryViewStore, list[Doc]]:
    projection = RemindersDueProjection(is_working_day=weekdays_only, notice_window=window)
    views = project(log, [projection])
    return views, notices_between(views, *EVER)


def test_a_new_engagement_opens_a_notice_due_when_the_window_closes() -> None:
    log = Log()
    log.run(scheduled(KICKOFF))
    _, notices = _notices(log)

    [notice] = notices
    assert notice["reminder_id"] == f"{DAVOS}|change|v1"
    assert notice["before"] is None
    assert notice["due_at"] == "2024-04-20T09:03:00.000000Z"  # recorded 09:01, window 2 min
    assert Engagement.from_json(notice["after"]).when == KICKOFF


def test_three_edits_inside_the_window_make_one_notice_from_the_first_state_to_the_last() -> None:
    log = Log()
    log.run(scheduled(KICKOFF), known_at=START - timedelta(days=30))  # history: no notice
    log.run(
        Reschedule(engagement_id=DAVOS, when=MOVED),
        Reschedule(engagement_id=DAVOS, when=KICKOFF),
        Reschedule(engagement_id=DAVOS, when=MOVED),
        step=timedelta(seconds=30),
    )
    _, notices = _notices(log)

    [notice] = notices
    assert Engagement.from_json(notice["before"]).when == KICKOFF
    assert Engagement.from_json(notice["after"]).when == MOVED


def test_a_change_after_the_window_closed_opens_the_next_notice() -> None:
    log = Log()
    log.run(scheduled(KICKOFF), known_at=START - timedelta(days=30))
    log.run(Reschedule(engagement_id=DAVOS, when=MOVED))
    log.run(Reschedule(engagement_id=DAVOS, when=KICKOFF), step=timedelta(minutes=5))
    views, notices = _notices(log)

    assert [n["reminder_id"] for n in notices] == [f"{DAVOS}|change|v1", f"{DAVOS}|change|v2"]
    second = notices[1]
    assert Engagement.from_json(second["before"]).when == MOVED  # what the first one said
    plan = views.get(NAME, PLANS, [str(DAVOS)])[str(DAVOS)]
    assert '"notice_version":2' in plan.replace(" ", "")


def test_facts_known_long_before_they_were_recorded_tell_nobody() -> None:
    log = Log()
    past = START - timedelta(days=200)
    log.run(invitation(), known_at=past)
    log.run(Refine(engagement_id=DAVOS, when=DAVOS_DATES), known_at=past)
    _, notices = _notices(log)
    assert notices == []


def test_a_note_opens_no_notice_but_a_decision_and_an_audience_do() -> None:
    log = Log()
    log.run(invitation(), known_at=START - timedelta(days=30))
    log.run(AddNote(engagement_id=DAVOS, text="Ask the consulate"))
    _, notices = _notices(log)
    assert notices == []

    log.run(Accept(engagement_id=DAVOS))
    log.run(
        ChangeAudience(engagement_id=DAVOS, audience=Audience.RESTRICTED),
        step=timedelta(minutes=10),
    )
    _, notices = _notices(log)
    first, second = (Engagement.from_json(n["after"]) for n in notices)
    assert first.participation is Participation.ATTENDING
    assert second.audience is Audience.RESTRICTED


def test_notices_stay_out_of_the_reminder_listings() -> None:
    log = Log()
    log.run(scheduled(AllDayWhen(date(2024, 6, 25), date(2024, 6, 28), "Asia/Shanghai")))
    views, notices = _notices(log)
    assert notices
    assert all(row["offset"] != "change" for row in due_between(views, *EVER))

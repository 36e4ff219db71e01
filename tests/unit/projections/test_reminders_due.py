"""The reminder schedule: what is due when, per engagement, offset and schedule version."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    AllDayWhen,
    Cancel,
    Confirm,
    Decline,
    ExactWhen,
    ReminderPolicy,
    Reschedule,
    SetReminderPolicy,
)
from calendar_service.eventstore import NewEvent
from calendar_service.projections import MemoryViewStore
from calendar_service.projections.reminders_due import (
    NAME,
    PLANS,
    RemindersDueProjection,
    due_between,
    pending,
    reminder,
    reminders_of,
)
from calendar_service.projections.views import Doc
from tests.unit.domain.builders import DAVOS, DAVOS_DATES, invitation, scheduled
from tests.unit.projections.helpers import Log, project

SEOUL = ZoneInfo("Asia/Seoul")
KICKOFF = ExactWhen(
    datetime(2024, 6, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2024, 6, 25, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    "Asia/Shanghai",
)


def _reminders(log: Log) -> tuple[MemoryViewStore, list[Doc]]:
    views = project(log, [RemindersDueProjection()])
    return views, reminders_of(views, str(DAVOS))


def test_default_reminders_fall_7_days_and_1_day_before_and_each_deadline_morning() -> None:
    log = Log()
    log.run(scheduled(KICKOFF))
    _, rows = _reminders(log)

    by_offset = {row["offset"]: row for row in rows}
    assert by_offset["start-P7D"]["due_at"] == "2024-06-18T01:00:00.000000Z"
    assert by_offset["start-P1D"]["due_at"] == "2024-06-24T01:00:00.000000Z"
    departure = by_offset["deadline-departure"]
    nine_in_seoul = datetime.combine(date(2024, 6, 25), time(9), SEOUL).astimezone(UTC)
    assert departure["due_at"] == nine_in_seoul.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert all(row["schedule_version"] == 1 and row["status"] == "pending" for row in rows)
    assert [r["due_at"] for r in rows] == sorted(r["due_at"] for r in rows)


def test_the_policy_sets_offsets_and_channels() -> None:
    log = Log()
    policy = ReminderPolicy.parse(["P30D", "PT2H"], ["email", "webhook"])
    log.run(scheduled(KICKOFF), SetReminderPolicy(engagement_id=DAVOS, policy=policy))
    _, rows = _reminders(log)

    starts = {r["offset"]: r for r in rows if str(r["offset"]).startswith("start-")}
    assert set(starts) == {"start-P30D", "start-PT2H"}
    assert starts["start-PT2H"]["channels"] == ["email", "webhook"]
    assert starts["start-PT2H"]["schedule_version"] == 2


def test_an_engagement_known_only_by_month_gets_deadline_reminders_but_none_before_its_start() -> (
    None
):
    log = Log(now=datetime(2024, 3, 1, tzinfo=UTC))
    log.run(invitation())
    _, rows = _reminders(log)

    assert [row["offset"] for row in rows] == ["deadline-decision"]


def test_rescheduling_moves_pending_reminders_to_a_new_schedule_version() -> None:
    log = Log()
    log.run(scheduled(KICKOFF))
    views, before = _reminders(log)
    moved = ExactWhen(
        KICKOFF.start + timedelta(days=7), KICKOFF.end + timedelta(days=7), KICKOFF.tz
    )
    log.run(Reschedule(engagement_id=DAVOS, when=moved))
    views, after = _reminders(log)

    assert {r["schedule_version"] for r in after} == {2}
    assert all(reminder(views, str(old["reminder_id"])) is None for old in before)
    old_due = {r["offset"]: r["due_at"] for r in before}
    new_due = {r["offset"]: r["due_at"] for r in after}
    assert new_due["start-P1D"] > old_due["start-P1D"]


def test_a_change_that_moves_no_reminder_keeps_the_schedule_version() -> None:
    log = Log()
    log.run(scheduled(KICKOFF), Confirm(engagement_id=DAVOS))
    _, rows = _reminders(log)

    assert {r["schedule_version"] for r in rows} == {1}


def test_cancelling_or_declining_removes_reminders_before_the_start() -> None:
    log = Log()
    log.run(scheduled(KICKOFF), Cancel(engagement_id=DAVOS, reason="Called off"))
    views, rows = _reminders(log)
    assert rows == []
    kept = [row for row in views.rows(NAME, "reminders") if "|change|" not in row[1]]
    assert kept == []  # only the change notice of the cancellation stays

    declined = Log()
    declined.run(invitation(), Decline(engagement_id=DAVOS, reason="Budget"))
    _, rows = _reminders(declined)
    assert rows == []


def test_reminders_already_past_when_the_engagement_was_recorded_are_never_scheduled() -> None:
    log = Log(now=datetime(2024, 6, 24, 12, 0, tzinfo=UTC))  # backfilled the day before
    log.run(scheduled(AllDayWhen(date(2024, 6, 25), date(2024, 6, 28), "Asia/Shanghai")))
    views, rows = _reminders(log)

    assert {r["offset"] for r in rows} == {
        "deadline-departure",  # 09:00 in Seoul on the 25th: still ahead
        "deadline-return",
        "deadline-thank-you",
        "deadline-result-report",
    }
    plan = json.loads(views.get(NAME, PLANS, [str(DAVOS)])[str(DAVOS)])
    assert {"start-P7D", "start-P1D", "deadline-visa-check"} <= set(plan["items"])
    assert len(plan["reminder_ids"]) == 4, "planned, but past when recorded: never scheduled"


def test_an_outcome_event_marks_its_reminder_and_pending_skips_it() -> None:
    log = Log()
    log.run(scheduled(DAVOS_DATES))
    views, rows = _reminders(log)
    first = rows[0]
    log.store.append(
        f"engagement:{DAVOS}",
        [NewEvent("ReminderSent", {"reminder_id": first["reminder_id"], "channel": "email"})],
        None,
    )
    views, rows = _reminders(log)

    assert reminder(views, str(first["reminder_id"]))["status"] == "sent"  # type: ignore[index]
    window = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert len(due_between(views, *window)) == len(rows)
    assert first["reminder_id"] not in {r["reminder_id"] for r in pending(views, window[1])}

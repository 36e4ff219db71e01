"""The scheduler's job table mirrors the reminder schedule: rebuilt from it, kept in step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calendar_service.domain import (
    Cancel,
    Command,
    DeliveryFailure,
    ExactWhen,
    RecordOutcome,
    ReminderFailed,
    Reschedule,
    RetryReminder,
)
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import MemoryViewStore, Projector, default_projections
from calendar_service.projections.reminders_due import reminders_of
from calendar_service.reminders.schedule import Reconciler
from calendar_service.service import ENGAGEMENT, REMINDER_OUTCOMES, Envelope, handle
from tests.unit.domain.builders import DAVOS, scheduled, weekdays_only

T0 = datetime(2024, 6, 1, tzinfo=UTC)
START = T0 + timedelta(days=10)
WHEN = ExactWhen(START, START + timedelta(hours=2), "Asia/Shanghai")


class Table:
    def __init__(self) -> None:
        self.rows: dict[str, datetime] = {}
        self.puts: list[tuple[str, datetime]] = []

    def jobs(self) -> dict[str, datetime]:
        return dict(self.rows)

    def put(self, job_id: str, run_at: datetime) -> None:
        self.rows[job_id] = run_at
        self.puts.append((job_id, run_at))

    def remove(self, job_id: str) -> None:
        self.rows.pop(job_id, None)

    def flush(self) -> None:
        pass

    def run_due(self, now: datetime) -> list[str]:
        """What the scheduler does: date jobs run once and disappear."""
        ran = sorted(job for job, at in self.rows.items() if at <= now)
        for job in ran:
            del self.rows[job]
        return ran


class Setup:
    def __init__(self) -> None:
        self.now = T0
        self.store = MemoryEventStore(clock=lambda: self.now)
        self.views = MemoryViewStore()
        self.projector = Projector(
            self.store, self.views, default_projections(is_working_day=weekdays_only)
        )
        self.table = Table()
        self.reconciler = Reconciler(
            self.views,
            self.store,
            self.table,
            grace=timedelta(minutes=15),
            horizon=timedelta(days=30),
            refire_after=timedelta(minutes=2),
            clock=lambda: self.now,
        )

    def run(self, *commands: Command, news: bool = False) -> None:
        """Record `commands`; as history filled in (no change notices) unless `news`."""
        known_at = None if news else self.now - timedelta(days=1)
        for command in commands:
            envelope = Envelope(actor="kim", known_at=known_at)
            handle(self.store, ENGAGEMENT, command, envelope, lambda: self.now)
        self.projector.catch_up_all()

    def pending(self) -> dict[str, datetime]:
        return {
            str(row["reminder_id"]): datetime.strptime(
                str(row["due_at"]), "%Y-%m-%dT%H:%M:%S.%fZ"
            ).replace(tzinfo=UTC)
            for row in reminders_of(self.views, str(DAVOS))
        }


def test_a_full_pass_rebuilds_the_table_from_the_schedule_and_drops_strangers() -> None:
    setup = Setup()
    setup.run(scheduled(WHEN))
    setup.table.rows["ghost|start-P1D|v9"] = T0 + timedelta(days=1)
    setup.reconciler.full()
    assert setup.table.rows == setup.pending()


def test_an_incremental_pass_follows_reschedules_and_cancellations() -> None:
    setup = Setup()
    setup.reconciler.full()
    assert setup.reconciler.incremental() is None  # nothing moved
    setup.run(scheduled(WHEN))
    setup.reconciler.incremental()
    first = setup.pending()
    assert setup.table.rows == first

    moved = ExactWhen(START + timedelta(days=1), START + timedelta(days=1, hours=2), WHEN.tz)
    setup.run(Reschedule(engagement_id=DAVOS, when=moved))
    setup.reconciler.incremental()
    assert setup.table.rows == setup.pending()
    assert not set(first) & set(setup.table.rows)

    setup.run(Cancel(engagement_id=DAVOS, reason="called off"))
    setup.reconciler.incremental()
    assert setup.table.rows == {}


def test_an_overdue_reminder_still_pending_is_handed_on_now_and_again_after_a_while() -> None:
    setup = Setup()
    setup.run(scheduled(WHEN))
    setup.reconciler.full()
    first = min(setup.table.rows.values())
    # The scheduler was down when its job was due; it comes back five minutes later.
    setup.now = first + timedelta(minutes=5)
    restarted = Reconciler(
        setup.views,
        setup.store,
        setup.table,
        grace=timedelta(minutes=15),
        horizon=timedelta(days=30),
        refire_after=timedelta(minutes=2),
        clock=lambda: setup.now,
    )
    restarted.full()
    overdue = sorted(job for job, due in setup.pending().items() if due <= setup.now)
    assert overdue
    assert all(setup.table.rows[job] == setup.now for job in overdue)
    assert setup.table.run_due(setup.now) == overdue
    restarted.incremental(force=True)
    assert not set(overdue) & set(setup.table.rows)  # handed on a moment ago: give it time
    setup.now += timedelta(minutes=3)
    restarted.incremental(force=True)
    assert all(setup.table.rows[job] == setup.now for job in overdue)  # still pending: again


def test_a_reminder_an_operator_retries_is_handed_on_at_the_next_incremental_pass() -> None:
    setup = Setup()
    setup.run(scheduled(WHEN))
    setup.reconciler.full()
    rid, due = min(setup.pending().items(), key=lambda item: item[1])
    setup.now = due + timedelta(hours=1)
    setup.table.run_due(setup.now)
    failed = ReminderFailed(
        engagement_id=DAVOS,
        reminder_id=rid,
        offset=rid.split("|")[1],
        due_at=due,
        failures=(DeliveryFailure(channel="email", to="kim@example.org", error="refused"),),
        channel="email",
    )
    handle(
        setup.store,
        REMINDER_OUTCOMES,
        RecordOutcome(outcome=failed),
        Envelope("w"),
        lambda: setup.now,
    )
    setup.projector.catch_up_all()
    setup.reconciler.incremental(force=True)
    assert rid not in setup.table.rows  # failed: nothing to hand on

    setup.now += timedelta(seconds=1)
    retry = RetryReminder(engagement_id=DAVOS, reminder_id=rid)
    handle(setup.store, REMINDER_OUTCOMES, retry, Envelope("ops"), lambda: setup.now)
    setup.projector.catch_up_all()
    setup.reconciler.incremental()  # not forced: the retry itself is what moved
    assert setup.table.rows[rid] == setup.now


def test_a_change_notice_is_scheduled_when_its_window_closes_and_dropped_once_sent() -> None:
    setup = Setup()
    setup.reconciler.full()
    setup.run(scheduled(WHEN), news=True)
    setup.reconciler.incremental()
    notice = f"{DAVOS}|change|v1"
    assert setup.table.rows[notice] == T0 + timedelta(minutes=2)  # the default window
    setup.now += timedelta(minutes=1)
    moved = ExactWhen(START + timedelta(days=1), START + timedelta(days=1, hours=2), WHEN.tz)
    setup.run(Reschedule(engagement_id=DAVOS, when=moved), news=True)
    setup.reconciler.incremental()
    assert [job for job in setup.table.rows if "|change|" in job] == [notice]  # one window

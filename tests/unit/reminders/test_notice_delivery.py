"""A change notice through the reminders' delivery: each reader once, the outcome recorded
even for a thousand readers, a notice nobody needs recorded as such."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calendar_service.domain import (
    Audience,
    ChangeNotices,
    Channel,
    ExactWhen,
    Reschedule,
    SubscribeStaff,
)
from calendar_service.eventstore import MAX_EVENT_BYTES
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import MemoryViewStore, Projector, default_projections
from calendar_service.read import engagement_history
from calendar_service.reminders.deliver import Deliverer, State
from calendar_service.reminders.leases import MemoryClaims
from calendar_service.reminders.notify.message import Composer
from calendar_service.reminders.notify.notice import NoticeComposer
from calendar_service.service import ENGAGEMENT, Envelope, handle
from calendar_service.staff.subscriptions import subscribe
from tests.unit.domain.builders import DAVOS, scheduled, weekdays_only
from tests.unit.reminders.test_delivery import Recorder

T0 = datetime(2024, 6, 1, tzinfo=UTC)
START = T0 + timedelta(days=20)
WHEN = ExactWhen(START, START + timedelta(hours=2), "Asia/Shanghai")
MOVED = ExactWhen(START + timedelta(days=1), START + timedelta(days=1, hours=2), "Asia/Shanghai")
NOTICE = f"{DAVOS}|change|v1"


class World:
    def __init__(self, readers: int) -> None:
        self.now = T0
        self.store = MemoryEventStore(clock=lambda: self.now)
        self.views = MemoryViewStore()
        projections = default_projections(is_working_day=weekdays_only)
        self.projector = Projector(self.store, self.views, projections)
        self.email, self.log = Recorder("email"), Recorder("log")
        composer = Composer("https://cal.example", b"key", is_working_day=weekdays_only)
        self.deliverer = Deliverer(
            store=self.store,
            views=self.views,
            claims=MemoryClaims(),
            notifiers={"email": self.email, "log": self.log},
            composer=composer,
            notice_words=NoticeComposer(composer),
            grace=timedelta(minutes=15),
            clock=lambda: self.now,
            catch_up=self.projector.catch_up,
            subscriptions_ttl=0,
        )
        for n in range(readers):
            command = SubscribeStaff(
                staff_id=f"reader-{n:04d}",
                name=f"Reader {n}",
                email=f"reader{n:04d}@example.org",
                audience=Audience.STAFF,
                channels=frozenset({Channel.EMAIL}),
                lang=("en", "ko", "zh")[n % 3],
                changes=ChangeNotices.IMMEDIATE,
            )
            subscribe(self.store, self.projector, command, actor="admin")
        past = Envelope(actor="kim", known_at=T0 - timedelta(days=30))
        handle(self.store, ENGAGEMENT, scheduled(WHEN), past, lambda: self.now)

    def change(self) -> None:
        move = Reschedule(engagement_id=DAVOS, when=MOVED)
        handle(self.store, ENGAGEMENT, move, Envelope(actor="kim"), lambda: self.now)
        self.projector.catch_up_all()
        self.now += timedelta(minutes=2, seconds=1)  # the window closes


@pytest.mark.slow
def test_a_notice_to_a_thousand_readers_reaches_each_once_and_its_outcome_is_recorded() -> None:
    world = World(1000)
    world.change()

    done = world.deliverer.deliver(NOTICE)
    assert done.state is State.SENT
    assert len({n.to for n in world.email.sent}) == len(world.email.sent) == 1000
    outcomes = world.store.read_stream(f"reminders:{DAVOS}")
    assert {event.type for event in outcomes} == {"ReminderSent"}
    assert sum(len(event.data["deliveries"]) for event in outcomes) == 1000
    assert all(len(str(event.data).encode()) < MAX_EVENT_BYTES for event in outcomes)
    assert world.deliverer.deliver(NOTICE).state is State.DONE  # once
    world.deliverer.close()

    history = engagement_history(world.store, str(DAVOS))
    assert history is not None
    told = [row.change for row in history.rows if row.event_type == "ReminderSent"]
    assert "reader0004@example.org (+145)" in told[0]  # 150 an event: 5 named, 145 counted


def test_a_notice_reaches_each_reader_once_in_their_language() -> None:
    world = World(3)
    world.change()
    assert world.deliverer.deliver(NOTICE).state is State.SENT
    subjects = sorted(n.subject for n in world.email.sent)
    assert len(subjects) == 3
    assert any(subject.startswith("Rescheduled") for subject in subjects)
    assert any("일정 변경" in subject for subject in subjects)
    world.deliverer.close()


def test_a_notice_nobody_may_read_is_recorded_as_told_to_the_log() -> None:
    world = World(0)
    world.change()
    assert world.deliverer.deliver(NOTICE).state is State.SENT
    (outcome,) = world.store.read_stream(f"reminders:{DAVOS}")
    assert [d["channel"] for d in outcome.data["deliveries"]] == ["log"]
    world.deliverer.close()

"""Reminder outcomes through the one write path: once per reminder, and never lost to the other
reminders of the same engagement that workers record into the same stream at the same time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

from calendar_service.domain import (
    DeliveryRecord,
    EngagementId,
    RecordOutcome,
    ReminderMissed,
    ReminderSent,
    decide_outcome,
    evolve_outcomes,
)
from calendar_service.eventstore import AppendResult, EventStore, NewEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.service import MAX_ATTEMPTS, REMINDER_OUTCOMES, Envelope, handle, load

DUE = datetime(2024, 6, 18, 1, 0, tzinfo=UTC)
ENGAGEMENT = "summer-davos-2024"
IDS = UUID("6f1d3c0e-8a51-4f0b-9a57-2f3d8e0c7b11")


def clock() -> datetime:
    return DUE + timedelta(seconds=1)


def sent(offset: str) -> ReminderSent:
    return ReminderSent(
        engagement_id=EngagementId(ENGAGEMENT),
        reminder_id=f"{ENGAGEMENT}|{offset}|v1",
        offset=offset,
        due_at=DUE,
        deliveries=(DeliveryRecord(channel="log", to="log", at=DUE),),
    )


def record(store: EventStore, outcome: ReminderSent | ReminderMissed) -> tuple[int, ...]:
    envelope = Envelope(actor="reminders", command_id=uuid5(IDS, outcome.reminder_id))
    return handle(
        store, REMINDER_OUTCOMES, RecordOutcome(outcome=outcome), envelope, clock
    ).positions


class Crowded:
    """A log where another worker records another reminder's outcome of the same engagement
    between every read and every append of ours."""

    def __init__(self, inner: EventStore) -> None:
        self.inner, self.others = inner, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        self.others += 1
        other = sent(f"start-PT{self.others}H")
        self.inner.append(stream, [NewEvent(other.event_type, other.to_data())], None)
        return self.inner.append(stream, events, expected_version)


def test_an_outcome_is_recorded_though_others_land_in_its_stream_before_every_append() -> None:
    store = MemoryEventStore()
    crowded = Crowded(store)
    for n in range(MAX_ATTEMPTS + 1):
        assert record(crowded, sent(f"start-P{n + 1}D"))
    state, version = load(store, REMINDER_OUTCOMES, ENGAGEMENT)
    assert state is not None
    assert version == len(state.recorded) == 2 * (MAX_ATTEMPTS + 1)


def test_a_reminder_has_one_outcome_however_often_or_however_it_is_recorded() -> None:
    store = MemoryEventStore()
    first = record(store, sent("start-P1D"))
    assert record(store, sent("start-P1D")) == first  # the same command again: its first answer
    late = ReminderMissed(
        engagement_id=EngagementId(ENGAGEMENT),
        reminder_id=f"{ENGAGEMENT}|start-P1D|v1",
        offset="start-P1D",
        due_at=DUE,
        late_ms=1,
        grace=timedelta(minutes=15),
    )
    assert record(store, late) == first
    # An outcome stored under another command id (say, before this one existed): refused.
    other = Envelope(actor="reminders", command_id=uuid4())
    again = handle(store, REMINDER_OUTCOMES, RecordOutcome(outcome=late), other, clock)
    assert again.refs == ()
    assert [event.type for event in store.read_all()] == ["ReminderSent"]


class Racing:
    """A log where a concurrent retry of the very same command stores it first."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        self.inner.append(stream, events, expected_version)
        return self.inner.append(stream, events, expected_version)


def test_a_concurrent_retry_of_the_same_outcome_stores_one_event_and_answers_with_it() -> None:
    store = MemoryEventStore()
    outcome = sent("start-P7D")
    envelope = Envelope(actor="reminders", command_id=uuid5(IDS, outcome.reminder_id))
    racing = Racing(store)
    answer = handle(racing, REMINDER_OUTCOMES, RecordOutcome(outcome=outcome), envelope, clock)
    assert answer.duplicate
    assert answer.positions == (1,)
    assert answer.events == (outcome,)
    assert store.head() == 1


def test_the_domain_refuses_a_second_outcome_of_one_reminder_and_keeps_the_first() -> None:
    first, other = sent("start-P1D"), sent("start-PT2H")
    state = evolve_outcomes(None, first)
    assert decide_outcome(state, RecordOutcome(outcome=first)) == []
    assert decide_outcome(state, RecordOutcome(outcome=other)) == [other]
    state = evolve_outcomes(evolve_outcomes(state, other), first)
    assert state.recorded == {first.reminder_id: "ReminderSent", other.reminder_id: "ReminderSent"}

"""The one write path: load an engagement's stream, decide, append with the expected version.

`handle` is what the CLI, the API and the seed call. It retries a conflict by reloading and
deciding again, unless the caller pinned the version it saw (an HTTP `If-Match`), in which
case a stale version is the caller's to resolve and `ConcurrencyError` goes back to them.

A `command_id` makes a command idempotent: its events get ids derived from it, and handling
the same command id again returns the stored result without deciding anything (a retried POST,
a second `seed` run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4, uuid5

from calendar_service.domain import (
    Command,
    Engagement,
    Event,
    InvalidValue,
    decide,
    evolve,
    replay,
)
from calendar_service.domain.engagement.events import event_from_data
from calendar_service.eventstore import ConcurrencyError, EventStore, NewEvent, StoredEvent

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 5
STREAM_PREFIX = "engagement:"


def stream_of(engagement_id: str) -> str:
    """The event stream that holds one engagement's history."""
    return f"{STREAM_PREFIX}{engagement_id}"


@dataclass(frozen=True)
class Envelope:
    """Who asks, when the office learned it, and how to recognise a retry of the same request."""

    actor: str
    known_at: datetime | None = None
    command_id: UUID | None = None
    causation_id: UUID | None = None


@dataclass(frozen=True)
class Outcome:
    engagement_id: str
    version: int
    positions: tuple[int, ...]
    events: tuple[Event, ...]
    state: Engagement | None
    duplicate: bool = False


def load(store: EventStore, engagement_id: str) -> tuple[Engagement | None, int]:
    """The engagement as its stream says now, and the stream version it was read at."""
    stored = store.read_stream(stream_of(engagement_id))
    return replay(to_domain(event) for event in stored), len(stored)


def to_domain(stored: StoredEvent) -> Event:
    return event_from_data(stored.type, stored.data)


def handle(
    store: EventStore,
    command: Command,
    envelope: Envelope,
    clock: Clock,
    expected_version: int | None = None,
) -> Outcome:
    """Decide `command` against the current state and append its events atomically.

    Raises the domain's errors for a refused or invalid command (nothing is written) and
    `ConcurrencyError` when `expected_version` is given and stale.
    """
    engagement_id = str(command.engagement_id)
    stream = stream_of(engagement_id)
    _check_known_at(envelope, clock())
    for attempt in range(1, MAX_ATTEMPTS + 1):
        stored = store.read_stream(stream)
        if envelope.command_id is not None and (done := _already_done(stored, envelope)):
            return done
        version = len(stored)
        if expected_version is not None and expected_version != version:
            raise ConcurrencyError(stream, expected_version, version)
        state = replay(to_domain(event) for event in stored)
        events = decide(state, command, clock())
        if not events:
            return Outcome(engagement_id, version, (), (), state)
        try:
            result = store.append(stream, _encode(events, envelope), expected_version=version)
        except ConcurrencyError:
            if expected_version is not None or attempt == MAX_ATTEMPTS:
                raise
            continue
        for event in events:
            state = evolve(state, event)
        return Outcome(
            engagement_id, result.version, result.positions, tuple(events), state, result.duplicate
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _check_known_at(envelope: Envelope, now: datetime) -> None:
    """The office cannot have learned a fact after it is being recorded."""
    known_at = envelope.known_at
    if known_at is not None and (known_at.tzinfo is None or known_at > now):
        raise InvalidValue(
            "known_at",
            known_at.isoformat(),
            "give the time zone and a moment no later than now: it is when the office "
            "learned the fact, which cannot be in the future",
        )


def _already_done(stored: Sequence[StoredEvent], envelope: Envelope) -> Outcome | None:
    assert envelope.command_id is not None
    first_id = event_id_for(envelope.command_id, 0)
    for index, event in enumerate(stored):
        if event.event_id == first_id:
            same = [e for e in stored[index:] if e.correlation_id == envelope.command_id]
            state = replay(to_domain(e) for e in stored)
            engagement_id = stored[0].stream.removeprefix(STREAM_PREFIX)
            return Outcome(
                engagement_id,
                len(stored),
                tuple(e.position for e in same),
                tuple(to_domain(e) for e in same),
                state,
                duplicate=True,
            )
    return None


def event_id_for(command_id: UUID, index: int) -> UUID:
    """The id of the `index`-th event a command produces: the same on every retry."""
    return uuid5(command_id, str(index))


def _encode(events: Sequence[Event], envelope: Envelope) -> list[NewEvent]:
    correlation = envelope.command_id or uuid4()
    return [
        NewEvent(
            type=event.event_type,
            data=event.to_data(),
            schema_version=event.SCHEMA_VERSION,
            event_id=(
                event_id_for(envelope.command_id, index)
                if envelope.command_id is not None
                else uuid4()
            ),
            known_at=envelope.known_at,
            actor=envelope.actor,
            correlation_id=correlation,
            causation_id=envelope.causation_id,
        )
        for index, event in enumerate(events)
    ]

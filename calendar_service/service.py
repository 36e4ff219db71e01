"""The one write path: load an aggregate's stream, decide, append with the expected version.

Every write in the service is a `handle` call: an engagement's commands (CLI, API, seed), a
feed's, a staff token's, a staff subscription's, and a reminder's outcome. An `Aggregate` says
how for one kind: which stream a command is about, the domain's `decide` and `evolve`, and how
its stored events decode. The five are at the end of this module (`ENGAGEMENT`, `FEED`,
`STAFF_TOKEN`, `SUBSCRIPTION`, `REMINDER_OUTCOMES`); another aggregate is another spec there.

`settle` is `handle` for the small aggregates' writes (feeds, staff tokens, subscriptions): it
finds the aggregate by the command's type and returns once the projection its spec names has
applied the events, so the change holds from the next request on, in any process.

`handle` retries a conflict by reloading and deciding again, unless the caller pinned the
version it saw (an HTTP `If-Match`), in which case a stale version is the caller's to resolve
and `ConcurrencyError` goes back to them.

A `command_id` makes a command idempotent: its events get ids derived from it, and handling
the same command id again returns the first attempt's result as stored, without deciding
anything (a retried POST, a second `seed` run, a redelivered reminder task). The `Outcome`
says all an edge answers with: the stream version after the command and where its events
landed, so nobody reads the log again to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import UnionType
from typing import Any, ClassVar, Generic, Protocol, TypeVar, get_args
from uuid import UUID, uuid4, uuid5

from calendar_service.domain import (
    Command,
    Engagement,
    Event,
    Feed,
    InvalidValue,
    OutcomeCommand,
    ReminderOutcomes,
    RetryReminder,
    Subscription,
    decide,
    decide_feed,
    decide_outcome,
    decide_staff,
    event_from_data,
    evolve,
    evolve_feed,
    evolve_outcomes,
    evolve_staff,
    feed_event_from_data,
    reminder_event_from_data,
    staff_event_from_data,
)
from calendar_service.domain.feeds import FEED_STREAM_PREFIX, FeedCommand, FeedEventType
from calendar_service.domain.reminder_outcomes import REMINDER_STREAM_PREFIX, ReminderOutcomeType
from calendar_service.domain.staff_tokens import (
    TOKEN_STREAM_PREFIX,
    StaffToken,
    TokenCommand,
    TokenEventType,
    decide_token,
    evolve_token,
    token_event_from_data,
)
from calendar_service.domain.subscriptions import STAFF_STREAM_PREFIX, StaffCommand, StaffEventType
from calendar_service.eventstore import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    NewEvent,
    StoredEvent,
)
from calendar_service.projections import Projector
from calendar_service.projections.feeds import NAME as FEEDS
from calendar_service.projections.staff_tokens import NAME as STAFF_TOKENS
from calendar_service.projections.subscriptions import NAME as SUBSCRIPTIONS

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 5
STREAM_PREFIX = "engagement:"


class Recordable(Protocol):
    """What the write path needs of a domain event to store it."""

    SCHEMA_VERSION: ClassVar[int]

    @property
    def event_type(self) -> str: ...

    def to_data(self) -> dict[str, Any]: ...


S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)
C = TypeVar("C")
E = TypeVar("E", bound=Recordable)


@dataclass(frozen=True)
class Aggregate(Generic[S, C, E]):
    """One kind of aggregate the write path handles: the domain's functions and its streams.

    A command is about the stream `prefix + id_of(command)`. `decide(state, command, now)`
    returns the events (none: nothing to do) or raises a DomainError; `evolve(state, event)`
    folds one event into the state (None before the first); `decode(type, data)` rebuilds a
    stored event. `versioned=False` appends without an expected version: only for a stream of
    independent facts whose command ids make a repeat a no-op (see `REMINDER_OUTCOMES`).
    `commands` is the command type it takes (the domain's union of them, as `C`);
    `settled_by` names the projection `settle` waits for (None: no write waits for one).
    """

    name: str
    prefix: str
    id_of: Callable[[C], str]
    decide: Callable[[S | None, C, datetime], Sequence[E]]
    evolve: Callable[[S | None, E], S]
    decode: Callable[[str, Mapping[str, Any]], E]
    commands: type | UnionType
    settled_by: str | None = None
    versioned: bool = True

    def stream(self, aggregate_id: str) -> str:
        """The event stream that holds one aggregate's history."""
        return f"{self.prefix}{aggregate_id}"

    @property
    def command_types(self) -> tuple[type, ...]:
        """Each command type this aggregate takes."""
        return get_args(self.commands) or (self.commands,)

    def replay(self, stored: Iterable[StoredEvent]) -> S | None:
        """The state `stored` builds from nothing; None if it is empty."""
        state: S | None = None
        for event in stored:
            state = self.evolve(state, self.decode(event.type, event.data))
        return state


class Replayable(Protocol[S_co]):
    """What `load` needs of an `Aggregate`. (A protocol, covariant in the state, so that mypy
    infers the state's type where `load`'s answer is unpacked into two names.)"""

    def stream(self, aggregate_id: str) -> str: ...

    def replay(self, stored: Iterable[StoredEvent]) -> S_co | None: ...


@dataclass(frozen=True)
class Envelope:
    """Who asks, when the office learned it, and how to recognise a retry of the same request."""

    actor: str
    known_at: datetime | None = None
    command_id: UUID | None = None
    causation_id: UUID | None = None


@dataclass(frozen=True)
class EventRef:
    """Where one event of a command landed: its type, global position and stream version."""

    type: str
    position: int
    version: int


@dataclass(frozen=True)
class Outcome(Generic[S, E]):
    """What a command did: the stream's `version` right after it, and its events (`refs`, where
    they landed; `events`, decoded). `state` is the aggregate as the command left it.

    For a `duplicate` (a command id handled before) `refs` and `events` are the first
    attempt's as stored, `version` is the version right after the last of them (the stream may
    have moved on since), and `state` is the aggregate as it stands now.
    """

    aggregate_id: str
    version: int
    refs: tuple[EventRef, ...]
    events: tuple[E, ...]
    state: S | None
    duplicate: bool = False

    @property
    def positions(self) -> tuple[int, ...]:
        return tuple(ref.position for ref in self.refs)

    @property
    def changed(self) -> bool:
        """Whether the command recorded anything: asking for what already holds records nothing."""
        return bool(self.refs)


EngagementOutcome = Outcome[Engagement, Event]


def load(store: EventStore, aggregate: Replayable[S], aggregate_id: str) -> tuple[S | None, int]:
    """The aggregate as its stream says now, and the stream version it was read at."""
    stored = store.read_stream(aggregate.stream(aggregate_id))
    return aggregate.replay(stored), len(stored)


def handle(
    store: EventStore,
    aggregate: Aggregate[S, C, E],
    command: C,
    envelope: Envelope,
    clock: Clock,
    expected_version: int | None = None,
) -> Outcome[S, E]:
    """Decide `command` against the current state and append its events atomically.

    Raises the domain's errors for a refused or invalid command (nothing is written) and
    `ConcurrencyError` when `expected_version` is given and stale, or when the stream kept
    moving for MAX_ATTEMPTS tries.
    """
    _check_known_at(envelope, clock())
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return _attempt(store, aggregate, command, envelope, clock, expected_version)
        except ConcurrencyError:
            if expected_version is not None or attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def settle(
    store: EventStore,
    projector: Projector,
    command: object,
    envelope: Envelope,
    clock: Clock,
) -> Outcome[Any, Any]:
    """`handle` a command of the small aggregates (a feed's, a staff token's, a subscription's),
    then return only once the projection that settles its aggregate has applied the command's
    events, so the next read of it, in any process, sees them (a revoked token is refused from
    the next request on). `NotSettled` if the projection cannot apply them in time: they are
    recorded, and take effect once it catches up. TypeError for a command no projection settles.
    """
    aggregate = _BY_COMMAND.get(type(command))
    if aggregate is None or aggregate.settled_by is None:
        raise TypeError(f"no projection settles a {type(command).__name__}: `handle` it")
    outcome = handle(store, aggregate, command, envelope, clock)
    if outcome.refs:
        projector.wait_for(aggregate.settled_by, outcome.refs[-1].position)
    return outcome


def _attempt(
    store: EventStore,
    aggregate: Aggregate[S, C, E],
    command: C,
    envelope: Envelope,
    clock: Clock,
    expected_version: int | None,
) -> Outcome[S, E]:
    """One read, decide and append; ConcurrencyError if the stream moved meanwhile."""
    aggregate_id = aggregate.id_of(command)
    stream = aggregate.stream(aggregate_id)
    stored = store.read_stream(stream)
    if (done := _already_done(aggregate, aggregate_id, stored, envelope)) is not None:
        return done
    version = len(stored)
    if expected_version is not None and expected_version != version:
        raise ConcurrencyError(stream, expected_version, version)
    state = aggregate.replay(stored)
    events = aggregate.decide(state, command, clock())
    if not events:
        return Outcome(aggregate_id, version, (), (), state)
    expected = version if aggregate.versioned else None
    result = store.append(stream, _encode(events, envelope), expected)
    if result.duplicate:  # a concurrent retry of this very command stored it first
        done = _already_done(aggregate, aggregate_id, store.read_stream(stream), envelope)
        assert done is not None, "the store holds this command's events"
        return done
    for event in events:
        state = aggregate.evolve(state, event)
    return Outcome(aggregate_id, result.version, _refs(result, events), tuple(events), state)


def _refs(result: AppendResult, events: Sequence[Recordable]) -> tuple[EventRef, ...]:
    first = result.version - len(events) + 1
    return tuple(
        EventRef(event.event_type, position, first + index)
        for index, (event, position) in enumerate(zip(events, result.positions, strict=True))
    )


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


def _already_done(
    aggregate: Aggregate[S, C, E],
    aggregate_id: str,
    stored: Sequence[StoredEvent],
    envelope: Envelope,
) -> Outcome[S, E] | None:
    """The outcome of the envelope's command id as stored, or None if it is not in `stored`."""
    command_id = envelope.command_id
    if command_id is None:
        return None
    first_id = event_id_for(command_id, 0)
    start = next((i for i, event in enumerate(stored) if event.event_id == first_id), None)
    if start is None:
        return None
    mine = [stored[start]]
    # One append stores a command's events together, with consecutive derived ids.
    for event in stored[start + 1 :]:
        if event.event_id != event_id_for(command_id, len(mine)):
            break
        mine.append(event)
    refs = tuple(EventRef(event.type, event.position, event.version) for event in mine)
    events = tuple(aggregate.decode(event.type, event.data) for event in mine)
    state = aggregate.replay(stored)
    return Outcome(aggregate_id, mine[-1].version, refs, events, state, duplicate=True)


def event_id_for(command_id: UUID, index: int) -> UUID:
    """The id of the `index`-th event a command produces: the same on every retry."""
    return uuid5(command_id, str(index))


def _encode(events: Sequence[Recordable], envelope: Envelope) -> list[NewEvent]:
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


# --- the aggregates ----------------------------------------------------------------------------


def stream_of(engagement_id: str) -> str:
    """The event stream that holds one engagement's history."""
    return ENGAGEMENT.stream(engagement_id)


def _timeless(
    decide: Callable[[S | None, C], Sequence[E]],
) -> Callable[[S | None, C, datetime], Sequence[E]]:
    """A decide that needs no clock, in the shape `Aggregate` calls."""
    return lambda state, command, _now: decide(state, command)


ENGAGEMENT: Aggregate[Engagement, Command, Event] = Aggregate(
    "engagement",
    STREAM_PREFIX,
    lambda c: str(c.engagement_id),
    decide,
    evolve,
    event_from_data,
    Command,
)
FEED: Aggregate[Feed, FeedCommand, FeedEventType] = Aggregate(
    "feed",
    FEED_STREAM_PREFIX,
    lambda c: c.feed_id,
    _timeless(decide_feed),
    evolve_feed,
    feed_event_from_data,
    FeedCommand,
    FEEDS,
)
STAFF_TOKEN: Aggregate[StaffToken, TokenCommand, TokenEventType] = Aggregate(
    "staff token",
    TOKEN_STREAM_PREFIX,
    lambda c: c.token_id,
    _timeless(decide_token),
    evolve_token,
    token_event_from_data,
    TokenCommand,
    STAFF_TOKENS,
)
SUBSCRIPTION: Aggregate[Subscription, StaffCommand, StaffEventType] = Aggregate(
    "staff subscription",
    STAFF_STREAM_PREFIX,
    lambda c: c.staff_id,
    _timeless(decide_staff),
    evolve_staff,
    staff_event_from_data,
    StaffCommand,
    SUBSCRIPTIONS,
)
REMINDER_OUTCOMES: Aggregate[ReminderOutcomes, OutcomeCommand, ReminderOutcomeType] = Aggregate(
    "reminder outcomes",
    REMINDER_STREAM_PREFIX,
    lambda c: str(c.engagement_id if isinstance(c, RetryReminder) else c.outcome.engagement_id),
    _timeless(decide_outcome),
    evolve_outcomes,
    reminder_event_from_data,
    OutcomeCommand,
    settled_by="reminders_due",
    versioned=False,
)
"""The outcomes of one engagement's reminders, appended without an expected version.

Workers record outcomes of different reminders of one engagement into its one stream at once
(a burst after downtime; thousands due in the same minute). Those facts are independent: an
order between them decides nothing, so a version check would only turn each collision into a
retry, and a burst could spend MAX_ATTEMPTS and fail an outcome whose reminder was already
sent. Exactly once rests on two things instead: `decide_outcome` refuses a reminder whose
outcome is recorded, and the command id (`deliver.outcome_command_id`, one per reminder) makes
every event id deterministic, so two concurrent appends of one reminder's outcome store one
event, and the second is answered as a duplicate.
"""

AGGREGATES = (ENGAGEMENT, FEED, STAFF_TOKEN, SUBSCRIPTION, REMINDER_OUTCOMES)
_BY_COMMAND: Mapping[type, Aggregate[Any, Any, Any]] = {
    command: aggregate for aggregate in AGGREGATES for command in aggregate.command_types
}
"""Each command type -> the aggregate that takes it, for `settle`."""

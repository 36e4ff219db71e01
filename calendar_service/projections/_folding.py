"""What the engagement projections share: decoding an engagement event, folding it into the state
kept in a projection's own rows, recording events that cannot be applied, sortable times, the
working days deadlines count by default, and the frame of a projection that keeps one row per
engagement (`EngagementProjection`).

Every projection keeps its own copy of the states it needs (the calendar's rows, the reminder
plans), so each one can be rebuilt, and catch up, on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from calendar_service.domain import (
    DEFAULT_RULES,
    EVENT_TYPES,
    Deadline,
    DeadlineRules,
    DomainError,
    Engagement,
    EngagementCancelled,
    Event,
    EventStatus,
    WorkingDayPredicate,
    derive_deadlines,
    event_from_data,
    evolve,
)
from calendar_service.domain._codec import encode_fields_reusing
from calendar_service.eventstore import StoredEvent
from calendar_service.projections.base import Batch

ENGAGEMENT_STREAM = "engagement:"
PROBLEMS = "problems"
"""Table of events a projection could not apply (malformed data, a change to no engagement):
one row per position, so the failure is visible and deterministic instead of a stuck worker."""


def instant_key(moment: datetime) -> str:
    """A UTC instant as fixed-width text that sorts as the instants do (…T00:00:00.000000Z)."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # as strftime writes such years (glibc does not pad them)
        return utc.strftime(_FORMAT)
    # The same text as strftime(_FORMAT) at two thirds of its cost: isoformat ends in +00:00
    # here, and leaves out the fraction when it is zero.
    text = utc.isoformat()
    return f"{text[:-6]}Z" if utc.microsecond else f"{text[:-6]}.000000Z"


_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def prefetch(events: list[StoredEvent], batch: Batch, table: str) -> None:
    """Load, in one round trip, the rows of `table` keyed by the engagements of `events` that
    the run has not cached yet."""
    wanted = {engagement_of(event) for event in events}
    wanted.discard(None)
    batch.load(table, sorted(key for key in wanted if key is not None and key not in batch.cache))


def engagement_of(event: StoredEvent) -> str | None:
    """The engagement id of an event in an engagement stream with a known type, else None."""
    if not event.stream.startswith(ENGAGEMENT_STREAM) or event.type not in EVENT_TYPES:
        return None
    return event.stream[len(ENGAGEMENT_STREAM) :]


def decode(event: StoredEvent, batch: Batch) -> Event | None:
    """The domain event, or None after recording why it cannot be decoded."""
    try:
        return event_from_data(event.type, event.data)
    except DomainError as error:
        record_problem(batch, event, error)
        return None


def fold_engagement(
    event: StoredEvent, batch: Batch, load: Callable[[Batch, str], Entry]
) -> Entry | None:
    """Fold `event` into its engagement's entry (the run's copy, else the cached one, else
    `load`'s) and mark it touched; None if the event is no engagement's or cannot apply."""
    engagement_id = engagement_of(event)
    if engagement_id is None:
        return None
    domain = decode(event, batch)
    if domain is None:
        return None
    entry = batch.touched.get(engagement_id) or batch.cache.get(engagement_id)
    if entry is None:
        entry = load(batch, engagement_id)
    if not entry.fold(event, domain, batch):
        return None
    batch.touched[engagement_id] = entry
    return entry


class EngagementProjection:
    """What the calendar and the reminders-due projections share: the deadline rules and working
    days they derive with, one row per engagement in their `table`, prefetched before a batch,
    and the engagements a batch touched written back by `write` at its end."""

    table: ClassVar[str]

    def __init__(
        self,
        rules: DeadlineRules = DEFAULT_RULES,
        is_working_day: WorkingDayPredicate | None = None,
    ) -> None:
        self._rules = rules
        self._is_working_day = working_days(is_working_day)

    def prepare(self, events: list[StoredEvent], batch: Batch) -> None:
        prefetch(events, batch, self.table)

    def flush(self, batch: Batch) -> None:
        for engagement_id, entry in batch.touched.items():
            if entry.state is not None:
                self.write(batch, entry, entry.state)
                batch.cache[engagement_id] = entry

    def write(self, batch: Batch, entry: Entry, state: Engagement) -> None:
        """Put the rows of one engagement the batch touched (its `state` is `entry.state`)."""
        raise NotImplementedError

    def deadlines(self, entry: Entry, state: Engagement) -> list[Deadline]:
        """`derive_deadlines(state)` with this projection's rules, derived again only when
        something the items are computed from changed (`deadline_basis`): most events (a
        note, a participant, a confirmation) leave them as they were. Do not change the list.
        """
        basis = deadline_basis(state)
        for known, found in entry.derivations:
            if known == basis:
                return found
        found = derive_deadlines(state, self._rules, self._is_working_day)
        entry.derivations = [(basis, found), *entry.derivations[: DERIVATIONS_KEPT - 1]]
        return found


DERIVATIONS_KEPT = 2
"""Derivations an entry remembers: the state before an event and the state after it."""


def deadline_basis(state: Engagement) -> tuple[object, ...]:
    """Everything of an engagement `derive_deadlines` reads (beside its id): equal bases, equal
    deadline items."""
    return (
        state.status is EventStatus.CANCELLED,  # of the statuses, the rules read only this
        state.kind,
        state.direction,
        state.participation,
        state.when,
        state.deadlines,
        state.title,
    )


def working_days(is_working_day: WorkingDayPredicate | None) -> WorkingDayPredicate:
    """`is_working_day`, or by default the Korean working days (loaded only then), asked once
    per date: it is a fixed calendar (a projection could not be deterministic otherwise), and
    every derivation asks it about a few dates."""
    if is_working_day is None:
        from calendar_service.domain.workdays import korean_working_days

        is_working_day = korean_working_days()
    known: dict[date, bool] = {}

    def remembered(day: date) -> bool:
        answer = known.get(day)
        if answer is None:
            answer = known[day] = is_working_day(day)
        return answer

    return remembered


def record_problem(batch: Batch, event: StoredEvent, error: Exception) -> None:
    batch.put(
        PROBLEMS,
        f"{event.position:012d}",
        {
            "position": event.position,
            "stream": event.stream,
            "version": event.version,
            "type": event.type,
            "error": f"{type(error).__name__}: {error}",
        },
    )


@dataclass
class Entry:
    """An engagement as one projection holds it: its state and the log coordinates of it."""

    id: str
    state: Engagement | None
    version: int = 0
    position: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    known_at: datetime | None = None
    cancelled_at: datetime | None = None
    """When the last cancellation was recorded (the feed keeps a cancelled item for a while)."""
    extra: Any = None
    """What the projection derived from the state last time (deadline basis, plan, ...)."""
    derivations: list[tuple[tuple[object, ...], list[Deadline]]] = field(default_factory=list)
    """The deadline items last derived, by `deadline_basis` (`EngagementProjection.deadlines`)."""
    encoded: tuple[Engagement, dict[str, Any]] | None = None
    """The state last encoded, and its JSON (`state_json`)."""

    def state_json(self, state: Engagement) -> dict[str, Any]:
        """`state.to_json()`, re-encoding only the fields that changed since the state last
        encoded (a page's events each replace a few fields and carry the others over as they
        are). The document is shared: do not change it."""
        if self.encoded is None:
            encoded = state.to_json()
        else:
            before, before_json = self.encoded
            if before is state:
                return before_json
            encoded = encode_fields_reusing(state, before, before_json)
        self.encoded = (state, encoded)
        return encoded

    def fold(self, event: StoredEvent, domain: Event, batch: Batch) -> bool:
        """Apply `domain` (the decoding of `event`); False, with a problem row, if it cannot."""
        try:
            self.state = evolve(self.state, domain)
        except DomainError as error:
            record_problem(batch, event, error)
            return False
        self.version, self.position = event.version, event.position
        if self.created_at is None:
            self.created_at = event.recorded_at
        self.updated_at, self.known_at = event.recorded_at, event.known_at
        if isinstance(domain, EngagementCancelled):
            self.cancelled_at = event.recorded_at
        return True

    def coordinates(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "position": self.position,
            "created_at": _text(self.created_at),
            "updated_at": _text(self.updated_at),
            "known_at": _text(self.known_at),
        }


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else instant_key(moment)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def entry_from_doc(engagement_id: str, doc: dict[str, Any] | None) -> Entry:
    """The entry a stored row describes; an empty one (no state yet) for no row."""
    if doc is None:
        return Entry(engagement_id, None)
    return Entry(
        engagement_id,
        Engagement.from_json(doc["engagement"]),
        version=doc["version"],
        position=doc["position"],
        created_at=_moment(doc["created_at"]),
        updated_at=_moment(doc["updated_at"]),
        known_at=_moment(doc["known_at"]),
        cancelled_at=_moment(doc.get("cancelled_at")),
    )

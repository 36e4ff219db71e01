"""The calendar as of a past moment, folded from the log into private, in-memory views.

`calendar_as_of(store, at)` gives views holding the `calendar` projection as the office knew
it at `at` (events whose `known_at` is at or before it: the default), or as the log stood then
(`Axis.RECORDED`: events whose `recorded_at` is). The same query functions then read it
(`calendar.agenda`, `calendar.engagement`, ...), and the live projections are never
touched. Each stream is folded in version order; an event whose engagement does not exist yet
at that moment (a backfilled change known before the engagement itself) is set aside in the
`problems` table of those views, as the live projection would.

It reads the whole log: O(events), fine for the thousands a protocol office writes a year.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum

from calendar_service.eventstore import AppendResult, EventStore, NewEvent, StoredEvent
from calendar_service.projections.base import Projection, replay_into
from calendar_service.projections.calendar import CalendarProjection
from calendar_service.projections.views import MemoryViewStore


class Axis(StrEnum):
    KNOWN = "known_at"
    """As the office knew it then."""
    RECORDED = "recorded_at"
    """As the log stood then."""


class _Until:
    """A read-only view of a store: only the events on `axis` at or before `at`."""

    def __init__(self, store: EventStore, keep: Callable[[StoredEvent], bool]) -> None:
        self._store, self._keep = store, keep

    def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        kept: list[StoredEvent] = []
        while len(kept) < limit:
            page = self._store.read_all(after, limit)
            kept += [event for event in page if self._keep(event)]
            if len(page) < limit:
                break
            after = page[-1].position
        # A caller continues after the last event it got, so trimming loses nothing.
        return kept[:limit]

    def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        return [e for e in self._store.read_stream(stream, after_version) if self._keep(e)]

    def head(self) -> int:
        return self._store.head()

    def stream_version(self, stream: str) -> int:
        return len(self.read_stream(stream))

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        raise TypeError("an as-of view of the log is read-only")

    def close(self) -> None:
        pass


def log_as_of(store: EventStore, at: datetime, axis: Axis = Axis.KNOWN) -> EventStore:
    """The log as it stands at `at` on `axis`, read-only."""
    if at.utcoffset() is None:
        raise ValueError(f"as-of time {at.isoformat()} has no UTC offset; give an aware time")
    if axis is Axis.KNOWN:
        return _Until(store, lambda event: event.known_at <= at)
    return _Until(store, lambda event: event.recorded_at <= at)


def views_as_of(
    store: EventStore,
    at: datetime,
    projections: Sequence[Projection],
    axis: Axis = Axis.KNOWN,
) -> MemoryViewStore:
    """Private views holding `projections` as of `at` on `axis`."""
    views = MemoryViewStore()
    log = log_as_of(store, at, axis)
    for projection in projections:
        replay_into(projection, log, views)
    return views


def calendar_as_of(
    store: EventStore,
    at: datetime,
    axis: Axis = Axis.KNOWN,
    projection: CalendarProjection | None = None,
) -> MemoryViewStore:
    """Private views holding the calendar as of `at`; read them with `calendar.agenda`."""
    return views_as_of(store, at, [projection or CalendarProjection()], axis)

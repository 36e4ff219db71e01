"""A log the tests drive through the real write path, with a clock they move by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from calendar_service.domain import Command
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import MemoryViewStore, Projection, replay_into
from calendar_service.service import ENGAGEMENT, Envelope, Outcome, handle

START = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)


class Log:
    """A memory event log whose `recorded_at` is `self.now`, advanced a minute per command."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self.store = MemoryEventStore(clock=lambda: self.now)

    def run(
        self,
        *commands: Command,
        actor: str = "kim.minji",
        known_at: datetime | None = None,
        step: timedelta = timedelta(minutes=1),
    ) -> list[Outcome[Any, Any]]:
        outcomes = []
        for command in commands:
            self.now += step
            envelope = Envelope(actor=actor, known_at=known_at)
            outcomes.append(handle(self.store, ENGAGEMENT, command, envelope, lambda: self.now))
        return outcomes


def project(
    log: Log | MemoryEventStore, projections: Sequence[Projection], page_size: int = 1000
) -> MemoryViewStore:
    """Fresh views holding `projections` folded from the whole log."""
    store = log.store if isinstance(log, Log) else log
    views = MemoryViewStore()
    for projection in projections:
        replay_into(projection, store, views, page_size=page_size)
    return views

"""A projection that counts how many times each event was applied: the double-apply detector."""

from __future__ import annotations

from calendar_service.eventstore import StoredEvent
from calendar_service.projections import Batch

NAME = "counting"


class CountingProjection:
    """One row per event position holding how often it was applied, and a running total."""

    name = NAME

    def prepare(self, events: list[StoredEvent], batch: Batch) -> None:
        batch.load("applied", [f"{e.position:09d}" for e in events])

    def apply(self, event: StoredEvent, batch: Batch) -> None:
        key = f"{event.position:09d}"
        row = batch.get("applied", key)
        batch.put("applied", key, {"times": (0 if row is None else row["times"]) + 1})
        total = batch.get("total", "all")
        batch.put("total", "all", {"events": (0 if total is None else total["events"]) + 1})

    def flush(self, batch: Batch) -> None:
        pass

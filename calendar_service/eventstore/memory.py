"""The in-process event store: unit tests and `CALENDAR_STORE=memory://`.

It keeps the rows the SQLite store keeps (`records.Row`), built and decoded by the same
functions, and validates with the same `prepare_batch`, so the contract suite holds for it too.
Thread-safe; not shared across processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from calendar_service.eventstore import records
from calendar_service.eventstore.port import (
    AppendResult,
    ConcurrencyError,
    DuplicateEventConflict,
    NewEvent,
    StoredEvent,
    utc_now,
)
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters


class MemoryEventStore:
    def __init__(
        self,
        upcasters: Upcasters = NO_UPCASTERS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._upcast = upcasters.upcast if upcasters else None
        self._clock = clock
        self._lock = threading.Lock()
        self._log: list[records.Row] = []
        """The rows the SQLite store would hold: `_log[position - 1]`."""
        self._streams: dict[str, list[int]] = {}
        self._ids: dict[str, int] = {}

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        stream, prepared, expected = records.prepare_batch(stream, events, expected_version)
        with self._lock:
            stored = [self._ids.get(p.event_id) for p in prepared]
            if any(position is not None for position in stored):
                return self._duplicate(stream, stored)
            positions = self._streams.get(stream, [])
            if expected is not None and expected != len(positions):
                raise ConcurrencyError(stream, expected, len(positions))
            first = len(self._log) + 1
            rows = records.rows_for(
                stream, len(positions), first, records.to_micros(self._clock()), prepared
            )
            self._log += rows
            self._ids.update((row[3], row[0]) for row in rows)
            new_positions = tuple(row[0] for row in rows)
            self._streams[stream] = [*positions, *new_positions]
            return AppendResult(stream, new_positions, len(positions) + len(prepared))

    def _duplicate(self, stream: str, stored: list[int | None]) -> AppendResult:
        if any(position is None for position in stored):
            raise DuplicateEventConflict(
                stream, "the batch mixes event ids already stored with new ones"
            )
        positions = tuple(p for p in stored if p is not None)
        if any(self._log[p - 1][1] != stream for p in positions):
            raise DuplicateEventConflict(stream, "an event id is already stored in another stream")
        return AppendResult(stream, positions, len(self._streams[stream]), duplicate=True)

    def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        records.check_stream_id(stream)
        with self._lock:
            positions = self._streams.get(stream, [])[max(after_version, 0) :]
            rows = [self._log[p - 1] for p in positions]
        return list(records.decode_rows(rows, self._upcast))

    def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        if limit <= 0:
            return []
        start = max(after, 0)
        with self._lock:
            rows = self._log[start : start + limit]
        return list(records.decode_rows(rows, self._upcast))

    def head(self) -> int:
        return len(self._log)

    def stream_version(self, stream: str) -> int:
        return len(self._streams.get(records.check_stream_id(stream), []))

    def close(self) -> None:
        pass

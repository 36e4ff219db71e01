"""The in-process event store: unit tests and `CALENDAR_STORE=memory://`.

It keeps the same records the durable stores keep and validates with the same
`prepare_batch`, so the contract suite holds for it too. Thread-safe; not shared across processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from calendar_service.eventstore.port import (
    AppendResult,
    ConcurrencyError,
    DuplicateEventConflict,
    NewEvent,
    StoredEvent,
    check_stream_id,
    decode_event,
    prepare_batch,
    to_micros,
    utc_now,
)
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters


@dataclass(frozen=True)
class _Row:
    stream: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data_json: str
    recorded_at_us: int
    known_at_us: int | None
    actor: str
    correlation_id: str | None
    causation_id: str | None


class MemoryEventStore:
    def __init__(
        self,
        upcasters: Upcasters = NO_UPCASTERS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._upcasters = upcasters
        self._clock = clock
        self._lock = threading.Lock()
        self._log: list[_Row] = []
        self._streams: dict[str, list[int]] = {}
        self._ids: dict[str, int] = {}

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        stream, prepared, expected = prepare_batch(stream, events, expected_version)
        with self._lock:
            stored = [self._ids.get(p.event_id) for p in prepared]
            if any(position is not None for position in stored):
                return self._duplicate(stream, stored)
            positions = self._streams.get(stream, [])
            if expected is not None and expected != len(positions):
                raise ConcurrencyError(stream, expected, len(positions))
            recorded_at_us = to_micros(self._clock())
            first = len(self._log) + 1
            for offset, p in enumerate(prepared):
                self._log.append(
                    _Row(
                        stream,
                        len(positions) + offset + 1,
                        p.event_id,
                        p.type,
                        p.schema_version,
                        p.data_json,
                        recorded_at_us,
                        p.known_at_us,
                        p.actor,
                        p.correlation_id,
                        p.causation_id,
                    )
                )
                self._ids[p.event_id] = first + offset
            new_positions = tuple(range(first, first + len(prepared)))
            self._streams[stream] = [*positions, *new_positions]
            return AppendResult(stream, new_positions, len(positions) + len(prepared))

    def _duplicate(self, stream: str, stored: list[int | None]) -> AppendResult:
        if any(position is None for position in stored):
            raise DuplicateEventConflict(
                stream, "the batch mixes event ids already stored with new ones"
            )
        positions = tuple(p for p in stored if p is not None)
        if any(self._log[p - 1].stream != stream for p in positions):
            raise DuplicateEventConflict(stream, "an event id is already stored in another stream")
        return AppendResult(stream, positions, len(self._streams[stream]), duplicate=True)

    def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        check_stream_id(stream)
        with self._lock:
            positions = self._streams.get(stream, [])[max(after_version, 0) :]
            return [self._decode(p) for p in positions]

    def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        with self._lock:
            start = max(after, 0)
            return [
                self._decode(p) for p in range(start + 1, min(start + limit, len(self._log)) + 1)
            ]

    def head(self) -> int:
        return len(self._log)

    def stream_version(self, stream: str) -> int:
        return len(self._streams.get(check_stream_id(stream), []))

    def close(self) -> None:
        pass

    def _decode(self, position: int) -> StoredEvent:
        row = self._log[position - 1]
        event = decode_event(
            position=position,
            stream=row.stream,
            version=row.version,
            event_id=row.event_id,
            type=row.type,
            schema_version=row.schema_version,
            data_json=row.data_json,
            recorded_at_us=row.recorded_at_us,
            known_at_us=row.known_at_us,
            actor=row.actor,
            correlation_id=row.correlation_id,
            causation_id=row.causation_id,
        )
        return self._upcasters.upcast(event) if self._upcasters else event

"""The event log: the port, its records, schema evolution on read, and three adapters.

`port` holds the `EventStore` protocol and its errors, `records` the events it takes and gives
(and their validation), `upcasting` the schema evolution; `memory`, `sqlite` and `redis` are
the adapters, side by side.

Only `calendar_service.bootstrap` imports an adapter (`memory`, `sqlite`, `redis`); everything
else depends on the names re-exported here.
"""

from calendar_service.eventstore.port import (
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    ConcurrencyError,
    DuplicateEventConflict,
    EventStore,
    EventStoreError,
    EventTooLarge,
    InvalidAppend,
    InvalidEventData,
    InvalidStreamId,
    StoreUnavailable,
    iter_all,
)
from calendar_service.eventstore.records import AppendResult, NewEvent, StoredEvent
from calendar_service.eventstore.upcasting import Upcasters

__all__ = [
    "MAX_BATCH_EVENTS",
    "MAX_EVENT_BYTES",
    "AppendResult",
    "ConcurrencyError",
    "DuplicateEventConflict",
    "EventStore",
    "EventStoreError",
    "EventTooLarge",
    "InvalidAppend",
    "InvalidEventData",
    "InvalidStreamId",
    "NewEvent",
    "StoreUnavailable",
    "StoredEvent",
    "Upcasters",
    "iter_all",
]

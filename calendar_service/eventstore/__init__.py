"""The event log: the port (`base`), schema evolution (`codec`) and three adapters side by side.

Only `calendar_service.bootstrap` imports an adapter (`memory`, `sqlite`, `redis`); everything
else depends on the names re-exported here.
"""

from calendar_service.eventstore.port import (
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    AppendResult,
    ConcurrencyError,
    DuplicateEventConflict,
    EventStore,
    EventStoreError,
    EventTooLarge,
    InvalidAppend,
    InvalidEventData,
    InvalidStreamId,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
    iter_all,
)
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

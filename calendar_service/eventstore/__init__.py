"""The event log: the port, its records, schema evolution on read, and three adapters.

`port` holds the `EventStore` protocol, the events it takes and gives (`NewEvent`,
`StoredEvent`, `AppendResult`) and its errors; `records` how adapters validate, encode and
decode them; `upcasting` the schema evolution; `memory`, `sqlite` and `redis` are
the adapters, side by side.

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

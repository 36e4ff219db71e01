"""The event log port: what every event store promises, the events it takes and gives, and the
errors it raises.

Error hierarchy (every one carries the values a person needs to act on it)::

    EventStoreError
    ├── ConcurrencyError        stale expected_version; nothing was written
    ├── InvalidAppend           refused before anything was written
    │   ├── InvalidStreamId
    │   ├── InvalidEventData    not JSON-serialisable, wrong type name, bad metadata
    │   └── EventTooLarge       one event's JSON data over MAX_EVENT_BYTES
    ├── DuplicateEventConflict  a batch mixes event ids already stored with new ones,
    │                           or reuses a stored id for another stream
    └── StoreUnavailable        the backend cannot be opened or refuses
                                (e.g. Redis without persistence)

To add a backend, implement `EventStore` beside `memory.py`, `sqlite.py` and `redis.py`, build the
records with `records.prepare_batch` so validation is identical, and add it to the contract suite
in `tests/contract/test_eventstore_contract.py`. How adapters validate, encode and decode the
events is in `records`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID, SafeUUID, uuid4

MAX_EVENT_BYTES = 64 * 1024
"""Largest JSON `data` of one event, in UTF-8 bytes. An engagement's notes fit many times over."""

MAX_BATCH_EVENTS = 10_000
"""Most events one append may carry."""


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended. The store adds position, version and `recorded_at`."""

    type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: UUID = field(default_factory=uuid4)
    known_at: datetime | None = None
    """When the office learned the fact; None means "when it was recorded"."""
    actor: str = "system"
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log holds it. `position` is global and gap-free, `version` per stream."""

    position: int
    stream: str
    version: int
    event_id: UUID
    type: str
    schema_version: int
    data: dict[str, Any]
    recorded_at: datetime
    known_at: datetime
    actor: str
    correlation_id: UUID | None
    causation_id: UUID | None


class _UuidFromText:
    """A UUID field of `StoredEvent` that a store may fill with the canonical text it wrote
    (validated when it was appended): the UUID is made from it on first read, and kept.

    Making a UUID of each id as the log is read costs about a tenth of decoding an event, and
    most readers (projections folding the log) never look at the ids. Equality, hashing, repr
    and `dataclasses.replace` read the field as usual, so they see the UUID.
    """

    __slots__ = ("_slot",)

    def __init__(self, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, event: object, owner: type | None = None) -> UUID | None:
        if event is None:
            raise AttributeError(self._slot[1:])  # no class-level value (no default)
        found = event.__dict__
        value = found[self._slot]
        if type(value) is str:
            value = found[self._slot] = uuid_from_text(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, event: object, value: UUID | str | None) -> None:
        event.__dict__[self._slot] = value


for _name in ("event_id", "correlation_id", "causation_id"):
    setattr(StoredEvent, _name, _UuidFromText(_name))


def uuid_from_text(text: str) -> UUID:
    """A UUID from canonical text a store wrote itself (validated then), without UUID()'s parse.

    UUID() strips braces and "urn:uuid:", checks the length and builds through its keyword
    handling: 0.7 µs, a tenth of decoding an event. This is what it leaves at the end.
    """
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int(text.replace("-", ""), 16))
    object.__setattr__(value, "is_safe", SafeUUID.unknown)
    return value


@dataclass(frozen=True)
class AppendResult:
    """Where an append landed. `duplicate` is True when every event id was already stored."""

    stream: str
    positions: tuple[int, ...]
    version: int
    duplicate: bool = False


class EventStoreError(Exception):
    """Base of every error an event store raises."""


class ConcurrencyError(EventStoreError):
    """The stream moved on since the caller read it; nothing was written."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
        super().__init__(
            f"stream {stream!r} is at version {actual}, not the expected {expected}: "
            "someone else changed it; reload it and try again"
        )


class InvalidAppend(EventStoreError):
    """The append was refused before anything was written."""


class InvalidStreamId(InvalidAppend):
    def __init__(self, stream: object) -> None:
        self.stream = stream
        super().__init__(
            f"stream id {stream!r} is not valid: use 1-200 characters, starting with a letter or "
            "digit, then letters, digits or . _ : @ / + -"
        )


class InvalidEventData(InvalidAppend):
    pass


class EventTooLarge(InvalidAppend):
    def __init__(self, event_type: str, size: int) -> None:
        self.event_type, self.size = event_type, size
        super().__init__(
            f"event {event_type} has {size} bytes of data, over the limit of {MAX_EVENT_BYTES}: "
            "shorten its text or attach the document by reference"
        )


class DuplicateEventConflict(EventStoreError):
    def __init__(self, stream: str, detail: str) -> None:
        self.stream = stream
        super().__init__(f"append to {stream!r} refused: {detail}")


class StoreUnavailable(EventStoreError):
    pass


class EventStore(Protocol):
    """An append-only, totally ordered log of streams.

    Every implementation passes `tests/contract/test_eventstore_contract.py`.
    """

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        """Append `events` to `stream` atomically: all of them, or none.

        `expected_version` is the stream's current version as the caller read it (0 for a new
        stream); a different actual version raises `ConcurrencyError` and writes nothing.
        None skips the check. If every event id is already stored in this stream, nothing is
        written and the stored positions are returned with `duplicate=True` (a safe retry);
        a batch mixing stored and new ids raises `DuplicateEventConflict`. Invalid input
        raises an `InvalidAppend` subclass before anything is written. `recorded_at` is set by
        the store, in UTC.
        """
        ...

    def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        """The stream's events with version > after_version, in version order; [] if none."""
        ...

    def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Up to `limit` events with position > after, in position order; [] if none."""
        ...

    def head(self) -> int:
        """The position of the last stored event; 0 for an empty log."""
        ...

    def stream_version(self, stream: str) -> int:
        """The stream's current version; 0 if it has no events."""
        ...

    def close(self) -> None:
        """Release connections. The store is unusable afterwards."""
        ...


def iter_all(store: EventStore, after: int = 0, page_size: int = 1000) -> Iterator[StoredEvent]:
    """Every event after `after`, page by page, so memory stays bounded by one page.

    A store with its own `iter_all(after, page_size)` streams instead: it fetches a page of
    rows and decodes each as it is yielded, so a thousand decoded events never sit in memory
    at once (holding them is what wakes the cyclic GC: over a third of a replay's time).
    """
    streaming = getattr(store, "iter_all", None)
    if streaming is not None:
        yield from streaming(after, page_size)
        return
    while True:
        page = store.read_all(after, page_size)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].position


def utc_now() -> datetime:
    """The stores' clock: now, in UTC."""
    return datetime.now(UTC)

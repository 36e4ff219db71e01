"""The event log port: what every event store promises, and the validation they share.

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
records with `prepare_batch` so validation is identical, and add it to the contract suite in
`tests/contract/test_eventstore_contract.py`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, SafeUUID, uuid4

MAX_EVENT_BYTES = 64 * 1024
"""Largest JSON `data` of one event, in UTF-8 bytes. An engagement's notes fit many times over."""

MAX_BATCH_EVENTS = 10_000
"""Most events one append may carry."""

STREAM_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}")
EVENT_TYPE_PATTERN = re.compile(r"[A-Z][A-Za-z0-9]{0,99}")
ACTOR_PATTERN = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


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


@dataclass(frozen=True)
class AppendResult:
    """Where an append landed. `duplicate` is True when every event id was already stored."""

    stream: str
    positions: tuple[int, ...]
    version: int
    duplicate: bool = False


@dataclass(frozen=True)
class PreparedEvent:
    """A validated event with its data already encoded: what adapters write."""

    event_id: str
    type: str
    schema_version: int
    data_json: str
    known_at_us: int | None
    actor: str
    correlation_id: str | None
    causation_id: str | None


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
    return datetime.now(UTC)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime; naive times are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidEventData(f"time {moment.isoformat()} has no time zone; give it one")
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


def uuid_from_store(text: str) -> UUID:
    """A UUID from canonical text a store wrote itself (validated then), without UUID()'s parse.

    UUID() strips braces and "urn:uuid:", checks the length and builds through its keyword
    handling: 0.7 µs, a tenth of decoding an event. This is what it leaves at the end.
    """
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int(text.replace("-", ""), 16))
    object.__setattr__(value, "is_safe", SafeUUID.unknown)
    return value


def stored_event(
    position: int,
    stream: str,
    version: int,
    event_id: UUID,
    type: str,
    schema_version: int,
    data: dict[str, Any],
    recorded_at: datetime,
    known_at: datetime,
    actor: str,
    correlation_id: UUID | None,
    causation_id: UUID | None,
) -> StoredEvent:
    """StoredEvent(...) without the frozen dataclass __init__ (one object.__setattr__ per
    field, 0.9 µs): the same instance, equal and hashable alike, built from its __dict__, as
    eventsourcing's Mapper builds its events. For adapters' read loops."""
    event = object.__new__(StoredEvent)
    object.__setattr__(
        event,
        "__dict__",
        {
            "position": position,
            "stream": stream,
            "version": version,
            "event_id": event_id,
            "type": type,
            "schema_version": schema_version,
            "data": data,
            "recorded_at": recorded_at,
            "known_at": known_at,
            "actor": actor,
            "correlation_id": correlation_id,
            "causation_id": causation_id,
        },
    )
    return event


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def check_stream_id(stream: object) -> str:
    if not isinstance(stream, str) or STREAM_ID_PATTERN.fullmatch(stream) is None:
        raise InvalidStreamId(stream)
    return stream


def check_expected_version(expected_version: object) -> int | None:
    if expected_version is None:
        return None
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise InvalidAppend(
            f"expected_version {expected_version!r} is not a whole number: "
            "pass the stream version you read (0 for a new stream) or None"
        )
    if expected_version < 0:
        raise InvalidAppend(
            f"expected_version {expected_version} is negative: "
            "pass the stream version you read (0 for a new stream) or None"
        )
    return expected_version


def prepare_batch(
    stream: object, events: Sequence[NewEvent], expected_version: object
) -> tuple[str, list[PreparedEvent], int | None]:
    """Validate an append and encode its events. Raises `InvalidAppend` on the first fault."""
    checked_stream = check_stream_id(stream)
    checked_version = check_expected_version(expected_version)
    if not events:
        raise InvalidAppend(f"append to {checked_stream!r} has no events: pass at least one")
    if len(events) > MAX_BATCH_EVENTS:
        raise InvalidAppend(
            f"append to {checked_stream!r} has {len(events)} events, over the limit of "
            f"{MAX_BATCH_EVENTS}: split it into several appends"
        )
    prepared = [_prepare(event) for event in events]
    ids = [p.event_id for p in prepared]
    if len(set(ids)) != len(ids):
        raise InvalidEventData(f"append to {checked_stream!r} repeats an event id within one batch")
    return checked_stream, prepared, checked_version


def _prepare(event: NewEvent) -> PreparedEvent:
    if not isinstance(event, NewEvent):
        raise InvalidEventData(f"{event!r} is not a NewEvent")
    if not isinstance(event.type, str) or not _is_event_type(event.type):
        raise InvalidEventData(
            f"event type {event.type!r} is not valid: use a CamelCase name such as "
            "'EngagementRescheduled' (letters and digits, up to 100)"
        )
    if isinstance(event.schema_version, bool) or not isinstance(event.schema_version, int):
        raise InvalidEventData(f"event {event.type} has schema_version {event.schema_version!r}")
    if event.schema_version < 1:
        raise InvalidEventData(
            f"event {event.type} has schema_version {event.schema_version}: versions start at 1"
        )
    if not isinstance(event.actor, str) or not _is_actor(event.actor):
        raise InvalidEventData(
            f"event {event.type} has actor {event.actor!r}: give 1-200 printable characters"
        )
    return PreparedEvent(
        event_id=str(_uuid(event.event_id, "event_id", event.type)),
        type=event.type,
        schema_version=event.schema_version,
        data_json=_encode_data(event),
        known_at_us=None if event.known_at is None else to_micros(event.known_at),
        actor=event.actor,
        correlation_id=_optional_uuid(event.correlation_id, "correlation_id", event.type),
        causation_id=_optional_uuid(event.causation_id, "causation_id", event.type),
    )


_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
"""One encoder for every append: json.dumps with options builds a new encoder per call."""


@functools.lru_cache(maxsize=1024)
def _is_event_type(name: str) -> bool:
    """Memoised: a log has a few dozen type names, and the regex costs more than the lookup."""
    return EVENT_TYPE_PATTERN.fullmatch(name) is not None


@functools.lru_cache(maxsize=4096)
def _is_actor(actor: str) -> bool:
    return ACTOR_PATTERN.fullmatch(actor) is not None


def _encode_data(event: NewEvent) -> str:
    data = event.data
    # type() first: isinstance against the Mapping ABC costs more than the rest of the check
    if type(data) is not dict and not isinstance(data, Mapping):
        raise InvalidEventData(
            f"event {event.type} data is a {type(data).__name__}, not a JSON object"
        )
    try:
        encoded = _JSON.encode(data)
        size = len(encoded.encode("utf-8"))
    except (TypeError, ValueError) as error:  # UnicodeEncodeError (a lone surrogate) included
        raise InvalidEventData(
            f"event {event.type} data is not JSON-serialisable ({error}): "
            "use strings, numbers, booleans, lists and objects only"
        ) from None
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(event.type, size)
    return encoded


def _uuid(value: object, name: str, event_type: str) -> UUID:
    if isinstance(value, UUID):
        return value
    raise InvalidEventData(f"event {event_type} has {name} {value!r}, which is not a UUID")


def _optional_uuid(value: object, name: str, event_type: str) -> str | None:
    return None if value is None else str(_uuid(value, name, event_type))


def decode_event(
    *,
    position: int,
    stream: str,
    version: int,
    event_id: str,
    type: str,
    schema_version: int,
    data_json: str,
    recorded_at_us: int,
    known_at_us: int | None,
    actor: str,
    correlation_id: str | None,
    causation_id: str | None,
) -> StoredEvent:
    """Build a StoredEvent from the columns every backend stores."""
    recorded_at = from_micros(recorded_at_us)
    return StoredEvent(
        position=position,
        stream=stream,
        version=version,
        event_id=UUID(event_id),
        type=type,
        schema_version=schema_version,
        data=json.loads(data_json),
        recorded_at=recorded_at,
        known_at=recorded_at if known_at_us is None else from_micros(known_at_us),
        actor=actor,
        correlation_id=None if correlation_id is None else UUID(correlation_id),
        causation_id=None if causation_id is None else UUID(causation_id),
    )

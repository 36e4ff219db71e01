"""The event log's records: what is appended, what is stored, and how adapters build them.

- `PreparedEvent`: a `NewEvent` validated, its data encoded (the port's own records,
  `NewEvent`, `StoredEvent` and `AppendResult`, live in `eventstore.port`).
- `prepare_batch`: the validation every adapter runs before it writes anything, so that memory,
  SQLite and Redis refuse the same appends with the same `InvalidAppend` messages.
- `Row`, `rows_for` and `decode_rows`: an event as columns (the SQLite table's, which the memory
  store keeps too), and back, upcast, for adapters' read loops.
- Times are stored as microseconds since the Unix epoch, in UTC (`to_micros`, `from_micros`).

The records callers exchange with a store, its errors and its limits belong to the port.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from calendar_service.eventstore import port
from calendar_service.eventstore.port import NewEvent, StoredEvent

STREAM_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}")
EVENT_TYPE_PATTERN = re.compile(r"[A-Z][A-Za-z0-9]{0,99}")
ACTOR_PATTERN = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


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


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime; naive times are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise port.InvalidEventData(f"time {moment.isoformat()} has no time zone; give it one")
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


uuid_from_store = port.uuid_from_text
"""A UUID from canonical text a store wrote itself (see `port.uuid_from_text`)."""


def stored_event(
    position: int,
    stream: str,
    version: int,
    event_id: UUID | str,
    type: str,
    schema_version: int,
    data: dict[str, Any],
    recorded_at: datetime,
    known_at: datetime,
    actor: str,
    correlation_id: UUID | str | None,
    causation_id: UUID | str | None,
) -> StoredEvent:
    """StoredEvent(...) without the frozen dataclass __init__ (one object.__setattr__ per
    field, 0.9 µs): the same instance, equal and hashable alike, built from its __dict__, as
    eventsourcing's Mapper builds its events. For adapters' read loops. The ids may be the
    canonical text the store wrote: the UUID is made only if someone reads it."""
    event = object.__new__(StoredEvent)
    object.__setattr__(
        event,
        "__dict__",
        {
            "position": position,
            "stream": stream,
            "version": version,
            "_event_id": event_id,
            "type": type,
            "schema_version": schema_version,
            "data": data,
            "recorded_at": recorded_at,
            "known_at": known_at,
            "actor": actor,
            "_correlation_id": correlation_id,
            "_causation_id": causation_id,
        },
    )
    return event


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def check_stream_id(stream: object) -> str:
    if not isinstance(stream, str) or STREAM_ID_PATTERN.fullmatch(stream) is None:
        raise port.InvalidStreamId(stream)
    return stream


def check_expected_version(expected_version: object) -> int | None:
    if expected_version is None:
        return None
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise port.InvalidAppend(
            f"expected_version {expected_version!r} is not a whole number: "
            "pass the stream version you read (0 for a new stream) or None"
        )
    if expected_version < 0:
        raise port.InvalidAppend(
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
        raise port.InvalidAppend(f"append to {checked_stream!r} has no events: pass at least one")
    if len(events) > port.MAX_BATCH_EVENTS:
        raise port.InvalidAppend(
            f"append to {checked_stream!r} has {len(events)} events, over the limit of "
            f"{port.MAX_BATCH_EVENTS}: split it into several appends"
        )
    prepared = [_prepare(event) for event in events]
    ids = [p.event_id for p in prepared]
    if len(set(ids)) != len(ids):
        raise port.InvalidEventData(
            f"append to {checked_stream!r} repeats an event id within one batch"
        )
    return checked_stream, prepared, checked_version


def _prepare(event: NewEvent) -> PreparedEvent:
    if not isinstance(event, NewEvent):
        raise port.InvalidEventData(f"{event!r} is not a NewEvent")
    if not isinstance(event.type, str) or not _is_event_type(event.type):
        raise port.InvalidEventData(
            f"event type {event.type!r} is not valid: use a CamelCase name such as "
            "'EngagementRescheduled' (letters and digits, up to 100)"
        )
    if isinstance(event.schema_version, bool) or not isinstance(event.schema_version, int):
        raise port.InvalidEventData(
            f"event {event.type} has schema_version {event.schema_version!r}"
        )
    if event.schema_version < 1:
        raise port.InvalidEventData(
            f"event {event.type} has schema_version {event.schema_version}: versions start at 1"
        )
    if not isinstance(event.actor, str) or not _is_actor(event.actor):
        raise port.InvalidEventData(
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
        raise port.InvalidEventData(
            f"event {event.type} data is a {type(data).__name__}, not a JSON object"
        )
    try:
        encoded = _JSON.encode(data)
        size = len(encoded.encode("utf-8"))
    except (TypeError, ValueError) as error:  # UnicodeEncodeError (a lone surrogate) included
        raise port.InvalidEventData(
            f"event {event.type} data is not JSON-serialisable ({error}): "
            "use strings, numbers, booleans, lists and objects only"
        ) from None
    if size > port.MAX_EVENT_BYTES:
        raise port.EventTooLarge(event.type, size)
    return encoded


def _uuid(value: object, name: str, event_type: str) -> UUID:
    if isinstance(value, UUID):
        return value
    raise port.InvalidEventData(f"event {event_type} has {name} {value!r}, which is not a UUID")


def _optional_uuid(value: object, name: str, event_type: str) -> str | None:
    return None if value is None else str(_uuid(value, name, event_type))


Row = tuple[int, str, int, str, str, int, str, int, int | None, str, str | None, str | None]
"""An event as columns: position, stream, version, event_id, type, schema_version, data (JSON
text), recorded_at_us, known_at_us, actor, correlation_id, causation_id."""


def rows_for(
    stream: str, current: int, first: int, recorded_at_us: int, prepared: list[PreparedEvent]
) -> list[Row]:
    """The rows of `prepared`, numbered from position `first` and version `current + 1`."""
    return [
        (
            first + offset,
            stream,
            current + offset + 1,
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
        for offset, p in enumerate(prepared)
    ]


def decode_rows(
    rows: Iterable[Row], upcast: Callable[[StoredEvent], StoredEvent] | None = None
) -> Iterator[StoredEvent]:
    """StoredEvents from rows the adapter wrote itself, upcast; one datetime per instant.

    Builds each StoredEvent with `stored_event` rather than through the dataclass, keeping
    the ids as the text the store wrote (a UUID is made only when read), with the same
    meaning (the contract suite holds every adapter to it): a positional loop is about 4 µs an
    event faster.
    """
    loads, seen_us, seen_at = json.loads, -1, from_micros(0)
    for (
        position,
        stream,
        version,
        event_id,
        type_,
        schema_version,
        data,
        recorded_us,
        known_us,
        actor,
        correlation,
        causation,
    ) in rows:
        if recorded_us != seen_us:
            seen_us, seen_at = recorded_us, from_micros(recorded_us)
        event = stored_event(
            position,
            stream,
            version,
            event_id,
            type_,
            schema_version,
            loads(data),
            seen_at,
            seen_at if known_us is None else from_micros(known_us),
            actor,
            correlation,
            causation,
        )
        yield upcast(event) if upcast else event

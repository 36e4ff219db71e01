"""The Redis event store: one log shared by every host of a deployment.

Keys, all under `prefix` (one prefix is one log; prefixes must not nest)::

    {prefix}:log          HASH   position -> record, a JSON array (see `RECORD_FIELDS`)
    {prefix}:head         STRING the last position written; 0 when absent
    {prefix}:ids          HASH   event id -> position, for idempotent retries
    {prefix}:s:{stream}   LIST   the stream's positions; version = index + 1

One Lua script checks idempotency and the expected version and writes, atomically: Redis runs
a script to the end before serving anyone else, and checks come before the first write, so a
refused append writes nothing. `recorded_at` comes from the server's `TIME`, so every host
agrees on the clock. Positions are gap-free, so `read_all` fetches them by number with no scan.

Every write is idempotent by event id, which is why a connection error may be retried: a retry
of an append that did land returns its positions with `duplicate=True`.

Keys span hash slots, so Redis Cluster is not supported; use one primary (with replicas or
Sentinel). The store refuses a Redis that keeps nothing on disk unless `allow_ephemeral`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from calendar_service.eventstore.base import (
    AppendResult,
    ConcurrencyError,
    DuplicateEventConflict,
    EventStoreError,
    InvalidAppend,
    NewEvent,
    PreparedEvent,
    StoredEvent,
    StoreUnavailable,
    check_stream_id,
    from_micros,
    prepare_batch,
)
from calendar_service.eventstore.codec import NO_UPCASTERS, Upcasters

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 3.0
SOCKET_TIMEOUT_SECONDS = 30.0
READ_CHUNK = 10_000
"""Most log records fetched by one HMGET."""

RECORD_FIELDS = (
    "version",
    "recorded_at_us",
    "stream",
    "event_id",
    "type",
    "schema_version",
    "known_at_us",
    "actor",
    "correlation_id",
    "causation_id",
    "data",
)
"""The items of a stored record, in order. `data` is the event's JSON object itself (not a string
holding it), so one parse reads a record. The script writes the first two; the rest arrive
pre-encoded. Stream ids, event ids and type names are validated to need no JSON escaping, which
is also what lets the script read a record's stream with a pattern instead of a JSON parser."""

_JSON_STRING = json.JSONEncoder(ensure_ascii=False).encode

_LUA_HMGET = """
local CHUNK = 1000  -- items per unpack: Lua's C stack takes about 8,000
local function hmget(key, fields, n)
  local values = {}
  for start = 1, n, CHUNK do
    local got = redis.call('HMGET', key, unpack(fields, start, math.min(start + CHUNK - 1, n)))
    for j = 1, #got do values[start + j - 1] = got[j] end
  end
  return values
end
"""

_APPEND_LUA = (
    _LUA_HMGET
    + """
-- KEYS: log, head, ids, stream.  ARGV: expected version ('' = any), stream,
-- then per event: id, record tail (the record's JSON array after version and recorded_at).
if redis.replicate_commands then redis.replicate_commands() end
local log, head, ids, stream_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local n = (#ARGV - 2) / 2
local event_ids = {}
for i = 1, n do event_ids[i] = ARGV[1 + 2 * i] end
local stored, missing = hmget(ids, event_ids, n), 0
for i = 1, n do if not stored[i] then missing = missing + 1 end end
if missing < n then
  if missing > 0 then return {'mixed'} end
  local records = hmget(log, stored, n)
  for i = 1, n do
    if string.match(records[i], '^%[%d+,%d+,"([^"]*)"') ~= ARGV[2] then return {'elsewhere'} end
  end
  local reply = {'duplicate', redis.call('LLEN', stream_key)}
  for i = 1, n do reply[i + 2] = stored[i] end
  return reply
end
local current = redis.call('LLEN', stream_key)
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then return {'stale', current} end
local first = tonumber(redis.call('GET', head) or '0') + 1
local now = redis.call('TIME')
local recorded_at = now[1] .. string.format('%06d', tonumber(now[2]))
for start = 1, n, CHUNK do
  local records, positions, id_positions = {}, {}, {}
  for i = start, math.min(start + CHUNK - 1, n) do
    local position = string.format('%d', first + i - 1)
    local version = string.format('%d', current + i)
    records[#records + 1] = position
    records[#records + 1] = '[' .. version .. ',' .. recorded_at .. ',' .. ARGV[2 + 2 * i]
    positions[#positions + 1] = position
    id_positions[#id_positions + 1] = event_ids[i]
    id_positions[#id_positions + 1] = position
  end
  redis.call('HSET', log, unpack(records))
  redis.call('RPUSH', stream_key, unpack(positions))
  redis.call('HSET', ids, unpack(id_positions))
end
redis.call('SET', head, string.format('%d', first + n - 1))
return {'ok', current + n, first}
"""
)

_READ_STREAM_LUA = (
    _LUA_HMGET
    + """
-- KEYS: stream, log.  ARGV: after_version (>= 0).  Returns position, record, ... in version order.
local positions = redis.call('LRANGE', KEYS[1], ARGV[1], -1)
local records = hmget(KEYS[2], positions, #positions)
local out = {}
for i = 1, #positions do
  out[2 * i - 1] = positions[i]
  out[2 * i] = records[i]
end
return out
"""
)


class RedisEventStore:
    """An `EventStore` in Redis. Thread-safe; open one per process."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "calendar",
        allow_ephemeral: bool = False,
        upcasters: Upcasters = NO_UPCASTERS,
    ) -> None:
        """Connect to `url` and check it is fit to hold the log.

        Raises `StoreUnavailable` naming the URL (password masked) if Redis cannot be reached,
        or if it keeps nothing on disk (no AOF, no RDB snapshots) and `allow_ephemeral` is
        False. If CONFIG is disabled, as on some managed services, persistence is unknown:
        the store opens and logs a warning.
        """
        if not prefix or any(c.isspace() for c in prefix):
            raise ValueError(f"prefix {prefix!r} must be non-empty and have no spaces")
        self._where = mask_url(url)
        self._upcasters = upcasters
        self._log, self._head, self._ids = f"{prefix}:log", f"{prefix}:head", f"{prefix}:ids"
        self._stream_prefix = f"{prefix}:s:"
        self._client = _connect(url, self._where)
        try:
            if not allow_ephemeral:
                _check_persistence(self._client, self._where)
        except BaseException:
            self._client.close()
            raise
        self._append_script = self._client.register_script(_APPEND_LUA)
        self._read_stream_script = self._client.register_script(_READ_STREAM_LUA)

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        """See `EventStore.append`. One script call: checks and writes are atomic together."""
        stream, prepared, expected = prepare_batch(stream, events, expected_version)
        keys, args = self._append_call(stream, prepared, expected)
        with self._errors_named("append to " + repr(stream), writing=True):
            reply = self._append_script(keys=keys, args=args)
        return _append_outcome(stream, len(prepared), expected, reply)

    def append_many(
        self, batches: Sequence[tuple[str, Sequence[NewEvent], int | None]]
    ) -> list[AppendResult | EventStoreError]:
        """Several appends in one round trip, each atomic on its own, results in batch order.

        A batch refused for its content or version gets its error in its slot; the others
        still land. A connection failure raises `StoreUnavailable` for the whole call (any of
        the batches may have landed; retrying them is safe, as every write is idempotent).
        """
        results: list[AppendResult | EventStoreError | None] = []
        calls: list[tuple[int, str, int, int | None, list[str], list[str]]] = []
        for index, (stream, events, expected_version) in enumerate(batches):
            try:
                checked, prepared, expected = prepare_batch(stream, events, expected_version)
            except InvalidAppend as error:
                results.append(error)
                continue
            results.append(None)
            calls.append(
                (
                    index,
                    checked,
                    len(prepared),
                    expected,
                    *self._append_call(checked, prepared, expected),
                )
            )
        replies = self._evalsha_pipelined([(keys, args) for *_, keys, args in calls])
        for (index, stream, count, expected, _, _), reply in zip(calls, replies, strict=True):
            try:
                results[index] = _append_outcome(stream, count, expected, reply)
            except EventStoreError as error:
                results[index] = error
        return [r for r in results if r is not None]

    def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        """See `EventStore.read_stream`. One script call: LRANGE, then HMGET of the records."""
        check_stream_id(stream)
        keys = [self._stream_prefix + stream, self._log]
        with self._errors_named("read of " + repr(stream)):
            flat = self._read_stream_script(keys=keys, args=[max(after_version, 0)])
        return self._decode([int(p) for p in flat[0::2]], flat[1::2])

    def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """See `EventStore.read_all`. Positions are gap-free, so this is HMGET by number."""
        start, events = max(after, 0), list[StoredEvent]()
        while len(events) < limit:
            wanted = range(start + 1, start + 1 + min(limit - len(events), READ_CHUNK))
            with self._errors_named("read of the log"):
                records = self._command("HMGET", self._log, *wanted)
            found = records.index(None) if None in records else len(records)
            events += self._decode(wanted[:found], records[:found])
            if found < len(wanted):
                break
            start = wanted[-1]
        return events

    def head(self) -> int:
        """See `EventStore.head`."""
        with self._errors_named("read of the head"):
            value = self._command("GET", self._head)
        return 0 if value is None else int(value)

    def stream_version(self, stream: str) -> int:
        """See `EventStore.stream_version`."""
        check_stream_id(stream)
        with self._errors_named("read of " + repr(stream)):
            return int(self._command("LLEN", self._stream_prefix + stream))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _append_call(
        self, stream: str, prepared: list[PreparedEvent], expected: int | None
    ) -> tuple[list[str], list[str]]:
        keys = [self._log, self._head, self._ids, self._stream_prefix + stream]
        args = ["" if expected is None else str(expected), stream]
        for p in prepared:
            args += [p.event_id, _record_tail(stream, p)]
        return keys, args

    def _evalsha_pipelined(self, calls: list[tuple[list[str], list[str]]]) -> list[Any]:
        """Run the append script once per call in one round trip; replies in call order.

        A NOSCRIPT reply means that call ran nothing, so only those are sent again after loading
        the script (the server was restarted or flushed its script cache).
        """
        replies: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        for attempt in range(2):
            with self._errors_named("pipelined append", writing=True):
                pipe = self._client.pipeline(transaction=False)
                for index in pending:
                    keys, args = calls[index]
                    pipe.evalsha(self._append_script.sha, len(keys), *keys, *args)
                answers = pipe.execute(raise_on_error=False)
            for index, answer in zip(pending, answers, strict=True):
                replies[index] = answer
            pending = [i for i in pending if isinstance(replies[i], redis.exceptions.NoScriptError)]
            if not pending or attempt == 1:
                break
            with self._errors_named("script load"):
                self._append_script.sha = _text(self._client.script_load(_APPEND_LUA))
        return replies

    def _command(self, *args: Any) -> Any:
        return self._client.execute_command(*args)  # type: ignore[no-untyped-call]

    @contextmanager
    def _errors_named(self, action: str, writing: bool = False) -> Iterator[None]:
        """Turn redis-py errors into `StoreUnavailable` naming the URL and the action."""
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as error:
            unknown = "; it may have landed: retrying with the same event ids is safe"
            raise StoreUnavailable(
                f"Redis at {self._where} did not answer during {action} ({error})"
                + (unknown if writing else "")
            ) from error
        except redis.RedisError as error:
            raise StoreUnavailable(f"Redis at {self._where} refused {action}: {error}") from error

    def _decode(self, positions: Sequence[int], records: Sequence[bytes]) -> list[StoredEvent]:
        """StoredEvents from records (see `RECORD_FIELDS`), upcast; one datetime per instant."""
        events, upcast = [], self._upcasters.upcast if self._upcasters else None
        loads, seen_us, seen_at = json.loads, -1, from_micros(0)
        for position, record in zip(positions, records, strict=True):
            (
                version,
                recorded_us,
                stream,
                event_id,
                type_,
                schema_version,
                known_us,
                actor,
                correlation,
                causation,
                data,
            ) = loads(record)
            if recorded_us != seen_us:
                seen_us, seen_at = recorded_us, from_micros(recorded_us)
            event = StoredEvent(
                position,
                stream,
                version,
                UUID(event_id),
                type_,
                schema_version,
                data,
                seen_at,
                seen_at if known_us is None else from_micros(known_us),
                actor,
                None if correlation is None else UUID(correlation),
                None if causation is None else UUID(causation),
            )
            events.append(upcast(event) if upcast else event)
        return events


def _record_tail(stream: str, p: PreparedEvent) -> str:
    """A record's JSON text after its first two items (see `RECORD_FIELDS`)."""
    known_at = "null" if p.known_at_us is None else str(p.known_at_us)
    correlation = "null" if p.correlation_id is None else f'"{p.correlation_id}"'
    causation = "null" if p.causation_id is None else f'"{p.causation_id}"'
    return (
        f'"{stream}","{p.event_id}","{p.type}",{p.schema_version},{known_at},'
        f"{_JSON_STRING(p.actor)},{correlation},{causation},{p.data_json}]"
    )


def _append_outcome(stream: str, count: int, expected: int | None, reply: Any) -> AppendResult:
    """The AppendResult for the script's reply, or the error it stands for."""
    if isinstance(reply, Exception):
        raise StoreUnavailable(f"Redis refused the append to {stream!r}: {reply}")
    tag = reply[0].decode() if isinstance(reply[0], bytes) else str(reply[0])
    if tag == "ok":
        first = int(reply[2])
        return AppendResult(stream, tuple(range(first, first + count)), int(reply[1]))
    if tag == "duplicate":
        positions = tuple(int(p) for p in reply[2:])
        return AppendResult(stream, positions, int(reply[1]), duplicate=True)
    if tag == "stale":
        raise ConcurrencyError(stream, expected if expected is not None else -1, int(reply[1]))
    if tag == "mixed":
        raise DuplicateEventConflict(
            stream, "the batch mixes event ids already stored with new ones"
        )
    if tag == "elsewhere":
        raise DuplicateEventConflict(stream, "an event id is already stored in another stream")
    raise StoreUnavailable(f"Redis append script gave an unknown reply {reply!r}")


def _connect(url: str, where: str) -> redis.Redis:
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        )
    except ValueError as error:
        raise StoreUnavailable(f"Redis URL {where} is not valid: {error}") from None
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        raise StoreUnavailable(
            f"Redis at {where} cannot be reached ({error}): start it, or fix the URL"
        ) from None
    return client


def _check_persistence(client: redis.Redis, where: str) -> None:
    """Refuse a Redis that would lose the log on restart; allow, with a warning, if unknown."""
    try:
        appendonly = _config(client, "appendonly")
        save = _config(client, "save")
    except redis.ResponseError as error:
        logger.warning(
            "Redis at %s does not let us read CONFIG (%s): cannot tell whether it keeps data on "
            "disk; make sure AOF (appendonly yes) or RDB snapshots are on",
            where,
            error,
        )
        return
    if appendonly == "no" and save == "":
        raise StoreUnavailable(
            f"Redis at {where} keeps nothing on disk (appendonly {appendonly}, save '{save}'): "
            "enable appendonly yes, or pass allow_ephemeral for tests"
        )


def _config(client: redis.Redis, name: str) -> str:
    values = cast(dict[Any, Any], client.config_get(name))
    for key, value in values.items():
        if _text(key) == name:
            return _text(value)
    return ""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def mask_url(url: str) -> str:
    """`url` with any password replaced by ***, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))

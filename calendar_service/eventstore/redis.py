"""The Redis event store: one log shared by every host of a deployment.

Keys, all under `prefix` (one prefix is one log; prefixes must not nest)::

    {prefix}:log          HASH   position -> record, a JSON array (see `RECORD_FIELDS`)
    {prefix}:head         STRING the last position written; 0 when absent
    {prefix}:ids          HASH   event id -> position, for idempotent retries
    {prefix}:s:{stream}   LIST   the stream's positions; version = index + 1

One Lua script checks idempotency and the expected version and writes, atomically: Redis runs
a script to the end before serving anyone else, and checks come before the first write, so a
refused append writes nothing. One run of it carries up to a hundred appends (`append_many`),
taken in order, each checked against the log as the ones before it left it, each landing whole
or not at all. `recorded_at` comes from the server's `TIME`, so every host agrees on the clock.
Positions are gap-free, so `read_all` fetches them by number with no scan.

Every write is idempotent by event id, which is why a connection error may be retried: a retry
of an append that did land returns its positions with `duplicate=True`.

Keys span hash slots, so Redis Cluster is not supported; use one primary (with replicas or
Sentinel). The store refuses a Redis that keeps nothing on disk unless `allow_ephemeral`.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from uuid import UUID

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from calendar_service.eventstore.port import (
    AppendResult,
    ConcurrencyError,
    DuplicateEventConflict,
    EventStoreError,
    InvalidAppend,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
)
from calendar_service.eventstore.records import (
    PreparedEvent,
    check_stream_id,
    from_micros,
    prepare_batch,
)
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters
from calendar_service.plumbing.urls import mask_url

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
holding it), so one parse reads a record. The script writes the first three; the rest arrive
pre-encoded, event id first (see `_record_tail`). Stream ids, event ids and type names are
validated to need no JSON escaping, which is also what lets the script read a record's stream
with a pattern instead of a JSON parser."""

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
-- KEYS: log, head, ids, then the stream key of each append, in order.
-- ARGV: the length of the stream keys' prefix, then per append: its expected version
-- ('' = any), its event count n, and n record tails (a record's JSON text after its stream).
-- Reply: the first position this call gives out, then per append in order: its new version
-- (it landed, on the next positions), or a table saying why not (see `_refusal`).
-- Appends run one after another, each seeing the ones before: every check is done, and every
-- record built, before the first write, so an append that is refused writes nothing.
if redis.replicate_commands then redis.replicate_commands() end
local log, head, ids = KEYS[1], KEYS[2], KEYS[3]
local skip, appends = tonumber(ARGV[1]), #KEYS - 3
local event_ids, n, cursor = {}, 0, 2
for j = 1, appends do
  local count = tonumber(ARGV[cursor + 1])
  for i = cursor + 2, cursor + 1 + count do
    n = n + 1
    event_ids[n] = string.sub(ARGV[i], 2, 37)
  end
  cursor = cursor + 2 + count
end
local stored = hmget(ids, event_ids, n)
local versions, landed_at, landed_in = {}, {}, {}
local records, id_positions, pushes, pushed = {}, {}, {}, {}
local reply, next_position, recorded_at = {0}, nil, nil
local function version_of(key)
  local version = versions[key]
  if version == nil then
    version = redis.pcall('LLEN', key)
    if type(version) == 'table' then return nil, version.err end
    versions[key] = version
  end
  return version
end
local e
e, cursor = 0, 2
for j = 1, appends do
  local key = KEYS[3 + j]
  local stream = string.sub(key, skip + 1)
  local expected, count = ARGV[cursor], tonumber(ARGV[cursor + 1])
  local tails = cursor + 1
  cursor = cursor + 2 + count
  local positions, missing = {}, 0
  for i = 1, count do
    local position = stored[e + i] or landed_at[event_ids[e + i]]
    if position then positions[i] = position else missing = missing + 1 end
  end
  if missing == count then
    local current, err = version_of(key)
    if current == nil then
      reply[j + 1] = {'error', err}
    elseif expected ~= '' and tonumber(expected) ~= current then
      reply[j + 1] = {'stale', current}
    else
      if next_position == nil then
        next_position = tonumber(redis.call('GET', head) or '0') + 1
        reply[1] = next_position
        local now = redis.call('TIME')
        recorded_at = now[1] .. string.format('%06d', tonumber(now[2]))
      end
      local middle = ',' .. recorded_at .. ',"' .. stream .. '",'
      local pushing = pushes[key]
      if pushing == nil then
        pushing = {}
        pushes[key] = pushing
        pushed[#pushed + 1] = key
      end
      for i = 1, count do
        local position = string.format('%d', next_position)
        local id = event_ids[e + i]
        records[#records + 1] = position
        records[#records + 1] = '[' .. string.format('%d', current + i) .. middle .. ARGV[tails + i]
        id_positions[#id_positions + 1] = id
        id_positions[#id_positions + 1] = position
        pushing[#pushing + 1] = position
        landed_at[id], landed_in[id] = position, stream
        next_position = next_position + 1
      end
      versions[key] = current + count
      reply[j + 1] = current + count
    end
  elseif missing > 0 then
    reply[j + 1] = {'mixed'}
  else
    local elsewhere, earlier, wanted = false, {}, 0
    for i = 1, count do
      local in_stream = landed_in[event_ids[e + i]]
      if in_stream == nil then
        wanted = wanted + 1
        earlier[wanted] = positions[i]
      elseif in_stream ~= stream then
        elsewhere = true
      end
    end
    -- a hundred records at a time: they may be large, and only their stream is wanted
    for start = 1, wanted, 100 do
      if elsewhere then break end
      local found = redis.call('HMGET', log, unpack(earlier, start, math.min(start + 99, wanted)))
      for i = 1, #found do
        if string.match(found[i], '^%[%d+,%d+,"([^"]*)"') ~= stream then elsewhere = true end
      end
    end
    if elsewhere then
      reply[j + 1] = {'elsewhere'}
    else
      local current, err = version_of(key)
      if current == nil then
        reply[j + 1] = {'error', err}
      else
        local duplicate = {'duplicate', current}
        for i = 1, count do duplicate[i + 2] = positions[i] end
        reply[j + 1] = duplicate
      end
    end
  end
  e = e + count
end
if next_position ~= nil then
  local function write(command, key, items)
    for start = 1, #items, CHUNK do
      redis.call(command, key, unpack(items, start, math.min(start + CHUNK - 1, #items)))
    end
  end
  write('HSET', log, records)
  for _, key in ipairs(pushed) do write('RPUSH', key, pushes[key]) end
  write('HSET', ids, id_positions)
  redis.call('SET', head, string.format('%d', next_position - 1))
end
return reply
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
        self._stream_prefix = stream_key(prefix, "")
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
        call = _Call(self._log, self._head, self._ids, self._stream_prefix)
        call.add(stream, *_tails(prepared), expected)
        action = "append to " + repr(stream)
        with self._errors_named(action, writing=True):
            try:
                reply = self._command("EVALSHA", self._append_script.sha, *call.command())
            except redis.exceptions.NoScriptError:  # the server forgot it: nothing ran
                self._append_script.sha = _text(self._client.script_load(_APPEND_LUA))
                reply = self._command("EVALSHA", self._append_script.sha, *call.command())
        [outcome] = call.outcomes(reply)
        if isinstance(outcome, EventStoreError):
            raise outcome
        return outcome

    def append_many(
        self, batches: Sequence[tuple[str, Sequence[NewEvent], int | None]]
    ) -> list[AppendResult | EventStoreError]:
        """Several appends in one round trip, each atomic on its own, results in batch order.

        A batch refused for its content or version gets its error in its slot; the others
        still land. The appends run in order, each seeing the ones before it (a retry of an
        earlier batch in the same call is a duplicate). A connection failure raises
        `StoreUnavailable` for the whole call (any of the batches may have landed; retrying
        them is safe, as every write is idempotent).

        Consecutive appends share one script call (up to `APPENDS_PER_CALL` of them,
        `ARGS_PER_CALL` arguments and `CHARS_PER_CALL` of records), so the server runs one
        script per hundred small appends rather than one per append; the calls go in one
        pipeline.
        """
        results: list[AppendResult | EventStoreError | None] = [None] * len(batches)
        calls: list[_Call] = []
        call: _Call | None = None
        for index, (stream, events, expected_version) in enumerate(batches):
            try:
                checked, prepared, expected = prepare_batch(stream, events, expected_version)
            except InvalidAppend as error:
                results[index] = error
                continue
            tails, chars = _tails(prepared)
            if call is None or not call.takes(tails, chars):
                call = _Call(self._log, self._head, self._ids, self._stream_prefix)
                calls.append(call)
            call.add(checked, tails, chars, expected, index)
        replies = self._evalsha_pipelined(calls)
        for call, reply in zip(calls, replies, strict=True):
            for index, outcome in zip(call.indexes, call.outcomes(reply), strict=True):
                results[index] = outcome
        return cast(list[AppendResult | EventStoreError], results)

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

    def _evalsha_pipelined(self, calls: list[_Call]) -> list[Any]:
        """Run the append script once per call in one round trip; replies in call order.

        A NOSCRIPT reply means that call ran nothing, so only those are sent again after loading
        the script (the server was restarted or flushed its script cache). Should another client
        load it while ours are in flight, a call sent again lands after later ones that ran:
        every append is still checked against the log as it then stands, so it may be refused as
        stale, never written on a stale version.
        """
        replies: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        for attempt in range(2):
            if not pending:
                break
            with self._errors_named("pipelined append", writing=True):
                pipe = self._client.pipeline(transaction=False)
                for index in pending:
                    pipe.execute_command(  # type: ignore[no-untyped-call]
                        "EVALSHA", self._append_script.sha, *calls[index].command()
                    )
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


APPENDS_PER_CALL = 100
"""Most appends one script call carries: the server serves no one else while it runs."""
ARGS_PER_CALL = 4000
"""About the most arguments one script call carries; a bigger single append goes alone."""
CHARS_PER_CALL = 1 << 20
"""About the most record text one script call carries; a bigger single append goes alone."""


class _Call:
    """One run of the append script: consecutive appends, with what reading its reply needs."""

    __slots__ = (
        "_stream_prefix",
        "args",
        "chars",
        "counts",
        "expected",
        "indexes",
        "keys",
        "streams",
    )

    def __init__(self, log: str, head: str, ids: str, stream_prefix: str) -> None:
        self.keys = [log, head, ids]
        # the script cuts stream ids out of their keys, counting bytes
        self.args: list[str | int] = [len(stream_prefix.encode())]
        self.chars = 0
        self.streams: list[str] = []
        self.counts: list[int] = []
        self.expected: list[int | None] = []
        self.indexes: list[int] = []
        self._stream_prefix = stream_prefix

    def takes(self, tails: list[str], chars: int) -> bool:
        """Whether an append of these record tails fits in this call (an empty call takes any)."""
        return not self.streams or (
            len(self.streams) < APPENDS_PER_CALL
            and len(self.keys) + len(self.args) + len(tails) + 3 <= ARGS_PER_CALL
            and self.chars + chars <= CHARS_PER_CALL
        )

    def add(
        self, stream: str, tails: list[str], chars: int, expected: int | None, index: int = 0
    ) -> None:
        self.keys.append(self._stream_prefix + stream)
        self.args += ["" if expected is None else expected, len(tails)]
        self.args += tails
        self.chars += chars
        self.streams.append(stream)
        self.counts.append(len(tails))
        self.expected.append(expected)
        self.indexes.append(index)

    def command(self) -> list[str | int]:
        """EVALSHA's arguments after the script's SHA."""
        return [len(self.keys), *self.keys, *self.args]

    def outcomes(self, reply: Any) -> list[AppendResult | EventStoreError]:
        """Each append's result, or the error it stands for, in order."""
        if isinstance(reply, Exception):
            return [
                StoreUnavailable(f"Redis refused the append to {stream!r}: {reply}")
                for stream in self.streams
            ]
        if not isinstance(reply, list) or len(reply) != len(self.streams) + 1:
            return [
                StoreUnavailable(f"Redis append script gave an unknown reply {reply!r}")
                for _ in self.streams
            ]
        outcomes: list[AppendResult | EventStoreError] = []
        position = int(reply[0])
        for stream, count, expected, answer in zip(
            self.streams, self.counts, self.expected, reply[1:], strict=True
        ):
            if type(answer) is int:  # it landed, on the call's next `count` positions
                outcomes.append(
                    AppendResult(stream, tuple(range(position, position + count)), answer)
                )
                position += count
            else:
                outcomes.append(_refusal(stream, expected, answer))
        return outcomes


def _tails(prepared: list[PreparedEvent]) -> tuple[list[str], int]:
    """The batch's record tails and their total length."""
    tails = [_record_tail(p) for p in prepared]
    return tails, sum(map(len, tails))


@functools.lru_cache(maxsize=4096)
def _json_string(text: str) -> str:
    """`text` as a JSON string; memoised, as a log has few actors."""
    return _JSON_STRING(text)


def _record_tail(p: PreparedEvent) -> str:
    """A record's JSON text after its first three items (see `RECORD_FIELDS`). It starts with
    the event id, which the script reads at characters 2-37 (a canonical UUID is 36 long)."""
    known_at = "null" if p.known_at_us is None else p.known_at_us
    correlation = "null" if p.correlation_id is None else f'"{p.correlation_id}"'
    causation = "null" if p.causation_id is None else f'"{p.causation_id}"'
    return (
        f'"{p.event_id}","{p.type}",{p.schema_version},{known_at},'
        f"{_json_string(p.actor)},{correlation},{causation},{p.data_json}]"
    )


def _refusal(stream: str, expected: int | None, answer: Any) -> AppendResult | EventStoreError:
    """What the script's table for an append that wrote nothing stands for."""
    tag = _text(answer[0]) if isinstance(answer, list) and answer else None
    if tag == "duplicate":
        positions = tuple(int(p) for p in answer[2:])
        return AppendResult(stream, positions, int(answer[1]), duplicate=True)
    if tag == "stale":
        return ConcurrencyError(stream, expected if expected is not None else -1, int(answer[1]))
    if tag == "mixed":
        return DuplicateEventConflict(
            stream, "the batch mixes event ids already stored with new ones"
        )
    if tag == "elsewhere":
        return DuplicateEventConflict(stream, "an event id is already stored in another stream")
    if tag == "error":
        return StoreUnavailable(f"Redis refused the append to {stream!r}: {_text(answer[1])}")
    return StoreUnavailable(f"Redis append script gave an unknown reply {answer!r}")


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


def stream_key(prefix: str, stream: str) -> str:
    """The key of `stream`'s positions in the log under `prefix` (a LIST; version = index +
    1): what a script of another store reading it in place needs."""
    return f"{prefix}:s:{stream}"

"""The Redis views store: one read side shared by the API, workers and scheduler on any host.

Keys, under `{prefix}:views:{name}` (the event store's prefix, so one deployment is one
namespace)::

    ...:live                  STRING the live generation number
    ...:next                  STRING generation counter (INCR)
    ...:lock                  STRING the catch-up lease: owner token, with a PX expiry
    ...:g:{n}:state           STRING 'live' | 'building'
    ...:g:{n}:cp              STRING the generation's checkpoint
    ...:g:{n}:tables          SET    tables that have rows
    ...:g:{n}:r:{table}       HASH   key -> document JSON
    ...:g:{n}:s:{table}       HASH   key -> sort (rows that have one)
    ...:g:{n}:i:{table}       ZSET   "sort NUL key", all scores 0, for ZRANGEBYLEX

Every write is one Lua script, which Redis runs to the end before serving anyone else:
`commit` checks the generation's state and checkpoint (compare-and-set) before its first write,
so a refused batch writes nothing. Reads that resolve the live generation do it inside their
script too, so a reader never mixes two generations. Like the event store, keys span hash
slots: one Redis primary, not Cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from calendar_service.plumbing.redis import RedisClient
from calendar_service.projections.views import (
    Changes,
    Generation,
    Row,
    ViewsUnavailable,
    check_name,
    check_text,
)

SOCKET_TIMEOUT_SECONDS = 30.0
_SCAN_COUNT = 2000
_KEY_CHUNK = 1000
"""Keys per HMGET: Lua's unpack takes about 8,000."""

_RESOLVE = """
local base = ARGV[1]
local gen = ARGV[2]
if gen == '' then gen = redis.call('GET', base .. ':live') end
if not gen then return false end
local g = base .. ':g:' .. gen
"""

_LIVE = """
local base = ARGV[1]
local gen = redis.call('GET', base .. ':live')
if not gen then
  gen = tostring(redis.call('INCR', base .. ':next'))
  redis.call('SET', base .. ':g:' .. gen .. ':state', 'live')
  redis.call('SET', base .. ':g:' .. gen .. ':cp', '0')
  redis.call('SET', base .. ':live', gen)
end
return {gen, redis.call('GET', base .. ':g:' .. gen .. ':cp') or '0'}
"""

_CHECKPOINT = """
local gen = redis.call('GET', ARGV[1] .. ':live')
if not gen then return '0' end
return redis.call('GET', ARGV[1] .. ':g:' .. gen .. ':cp') or '0'
"""

_COMMIT = """
-- ARGV: base, generation, expected, new, then (op, table, key, sort, doc) per row.
local g = ARGV[1] .. ':g:' .. ARGV[2]
local state = redis.call('GET', g .. ':state')
if state ~= 'live' and state ~= 'building' then return 'gone' end
if (redis.call('GET', g .. ':cp') or '0') ~= ARGV[3] then return 'moved' end
for i = 5, #ARGV, 5 do
  local op, tbl, key, sort = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local sorts, index = g .. ':s:' .. tbl, g .. ':i:' .. tbl
  local old = redis.call('HGET', sorts, key)
  if old then
    redis.call('ZREM', index, old .. '\\0' .. key)
    redis.call('HDEL', sorts, key)
  end
  if op == 'p' then
    redis.call('HSET', g .. ':r:' .. tbl, key, ARGV[i + 4])
    redis.call('SADD', g .. ':tables', tbl)
    if sort ~= '' then
      redis.call('HSET', sorts, key, sort)
      redis.call('ZADD', index, 0, sort .. '\\0' .. key)
    end
  else
    redis.call('HDEL', g .. ':r:' .. tbl, key)
  end
end
redis.call('SET', g .. ':cp', ARGV[4])
return 'ok'
"""

_GET = (
    _RESOLVE
    + """
-- ARGV: base, generation, table, keys...
local keys = {}
for i = 4, #ARGV do keys[#keys + 1] = ARGV[i] end
if #keys == 0 then return {} end
return redis.call('HMGET', g .. ':r:' .. ARGV[3], unpack(keys))
"""
)

_RANGE = (
    _RESOLVE
    + """
-- ARGV: base, generation, table, low, high, limit (-1: none). Returns member, doc, ...
local members
if tonumber(ARGV[6]) >= 0 then
  members = redis.call('ZRANGEBYLEX', g .. ':i:' .. ARGV[3], '[' .. ARGV[4], '(' .. ARGV[5],
    'LIMIT', 0, tonumber(ARGV[6]))
else
  members = redis.call('ZRANGEBYLEX', g .. ':i:' .. ARGV[3], '[' .. ARGV[4], '(' .. ARGV[5])
end
local out = {}
for i, member in ipairs(members) do
  local key = string.sub(member, string.find(member, '\\0', 1, true) + 1)
  out[2 * i - 1] = member
  out[2 * i] = redis.call('HGET', g .. ':r:' .. ARGV[3], key)
end
return out
"""
)

_RESOLVE_ONLY = _RESOLVE + "return gen\n"

_BEGIN_SHADOW = """
local base = ARGV[1]
local gen = tostring(redis.call('INCR', base .. ':next'))
redis.call('SET', base .. ':g:' .. gen .. ':state', 'building')
redis.call('SET', base .. ':g:' .. gen .. ':cp', '0')
return gen
"""

_DROP = """
local function drop(g)
  for _, tbl in ipairs(redis.call('SMEMBERS', g .. ':tables')) do
    redis.call('UNLINK', g .. ':r:' .. tbl, g .. ':s:' .. tbl, g .. ':i:' .. tbl)
  end
  redis.call('UNLINK', g .. ':tables', g .. ':state', g .. ':cp')
end
"""

_SWAP = (
    _DROP
    + """
local base, gen = ARGV[1], ARGV[2]
local g = base .. ':g:' .. gen
if redis.call('GET', g .. ':state') ~= 'building' then return 'gone' end
local old = redis.call('GET', base .. ':live')
if old then
  local live_cp = tonumber(redis.call('GET', base .. ':g:' .. old .. ':cp') or '0')
  if tonumber(redis.call('GET', g .. ':cp') or '0') < live_cp then return 'behind' end
end
redis.call('SET', g .. ':state', 'live')
redis.call('SET', base .. ':live', gen)
if old then drop(base .. ':g:' .. old) end
return 'ok'
"""
)

_DISCARD = (
    _DROP
    + """
local g = ARGV[1] .. ':g:' .. ARGV[2]
if redis.call('GET', g .. ':state') == 'building' then drop(g) end
return 'ok'
"""
)


class RedisViewStore:
    """A `ViewStore` in Redis. Thread-safe; open one per process."""

    def __init__(self, url: str, *, prefix: str = "calendar") -> None:
        self._redis = RedisClient(
            url,
            prefix=prefix,
            store="views",
            unavailable=ViewsUnavailable,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        script = self._redis.client.register_script
        self._live, self._checkpoint = script(_LIVE), script(_CHECKPOINT)
        self._commit, self._get, self._range = script(_COMMIT), script(_GET), script(_RANGE)
        self._resolve = script(_RESOLVE_ONLY)
        self._begin, self._swap, self._discard = (
            script(_BEGIN_SHADOW),
            script(_SWAP),
            script(_DISCARD),
        )

    def live(self, name: str) -> Generation:
        with self._redis.errors_named("read of the live generation"):
            number, checkpoint = self._live(args=[self._key(name)])
        return Generation(name, int(number), int(checkpoint))

    def checkpoint(self, name: str) -> int:
        with self._redis.errors_named("read of a checkpoint"):
            return int(self._checkpoint(args=[self._key(name)]))

    def commit(self, generation: Generation, expected: int, new: int, changes: Changes) -> bool:
        args: list[Any] = [self._key(generation.name), generation.number, expected, new]
        for (table, key), change in changes.items():
            check_name("table", table)
            check_text("key", key)
            if change is None:
                args += ["d", table, key, "", ""]
            else:
                sort, doc = change
                args += ["p", table, key, "" if sort is None else check_text("sort", sort), doc]
        with self._redis.errors_named("commit"):
            reply = self._commit(args=args)
        return _text(reply) == "ok"

    def get(
        self, name: str, table: str, keys: Sequence[str], generation: int | None = None
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), _KEY_CHUNK):
            chunk = list(keys[start : start + _KEY_CHUNK])
            with self._redis.errors_named("read"):
                values = self._get(args=[self._key(name), _gen(generation), table, *chunk])
            if values:
                found.update(
                    (key, _text(value)) for key, value in zip(chunk, values, strict=True) if value
                )
        return found

    def range(
        self, name: str, table: str, low: str, high: str, limit: int | None = None
    ) -> list[tuple[str, str, str]]:
        args: list[str | int] = [self._key(name), _gen(None), table, low, high]
        args.append(-1 if limit is None else limit)
        with self._redis.errors_named("range read"):
            flat = self._range(args=args) or []  # nil: the projection was never built
        out = []
        for member, doc in zip(flat[0::2], flat[1::2], strict=True):
            sort, _, key = _text(member).partition("\0")
            out.append((sort, key, _text(doc)))
        return out

    def rows(
        self, name: str, table: str | None = None, generation: int | None = None
    ) -> Iterator[Row]:
        base = self._key(name)
        with self._redis.errors_named("listing"):
            resolved = self._resolve(args=[base, _gen(generation)])
            if not resolved:
                return
            g = f"{base}:g:{_text(resolved)}"
            tables = (
                sorted(_text(t) for t in self._command("SMEMBERS", g + ":tables"))
                if table is None
                else [table]
            )
            for tbl in tables:
                docs = {
                    _text(k): _text(v)
                    for k, v in self._redis.client.hscan_iter(g + ":r:" + tbl, count=_SCAN_COUNT)
                }
                sorts = {
                    _text(k): _text(v)
                    for k, v in self._redis.client.hscan_iter(g + ":s:" + tbl, count=_SCAN_COUNT)
                }
                for key in sorted(docs):
                    yield tbl, key, sorts.get(key), docs[key]

    def begin_shadow(self, name: str) -> Generation:
        with self._redis.errors_named("start of a rebuild"):
            number = int(self._begin(args=[self._key(name)]))
        return Generation(name, number, 0)

    def swap(self, shadow: Generation) -> bool:
        with self._redis.errors_named("swap"):
            return _text(self._swap(args=[self._key(shadow.name), shadow.number])) == "ok"

    def discard(self, shadow: Generation) -> None:
        with self._redis.errors_named("discard"):
            self._discard(args=[self._key(shadow.name), shadow.number])

    def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        with self._redis.errors_named("lock"):
            return self._redis.take_lease(self._key(name) + ":lock", owner, ttl)

    def refresh_lock(self, name: str, owner: str, ttl: float) -> bool:
        with self._redis.errors_named("lock refresh"):
            return self._redis.refresh_lease(self._key(name) + ":lock", owner, ttl)

    def unlock(self, name: str, owner: str) -> None:
        with self._redis.errors_named("unlock"):
            self._redis.release_lease(self._key(name) + ":lock", owner)

    def close(self) -> None:
        self._redis.close()

    def _command(self, *args: Any) -> Any:
        return self._redis.client.execute_command(*args)  # type: ignore[no-untyped-call]

    def _key(self, name: str) -> str:
        return self._redis.key(check_name("projection", name))


def view_key(prefix: str, name: str) -> str:
    """The base key of projection `name`'s views in the store under `prefix` (`{prefix}:views:
    {name}`): what a script of another store reading them in place needs."""
    return f"{prefix}:views:{check_name('projection', name)}"


def _gen(generation: int | None) -> str:
    return "" if generation is None else str(generation)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

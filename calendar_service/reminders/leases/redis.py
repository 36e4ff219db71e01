"""Claims in Redis, under the deployment's prefix: `{prefix}:claims:{key}` (a STRING holding
the owner, with a PX expiry: SET NX PX, or extended by its owner in one script) and
`{prefix}:claims:{key}:marks` (a HASH with an expiry). A claim survives the crash of its holder
for its ttl only; with persistence on (AOF), it survives a Redis restart too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calendar_service.plumbing.redis import RedisClient, ms
from calendar_service.reminders.leases.base import Admission, ClaimsUnavailable, Gate

SOCKET_TIMEOUT_SECONDS = 10.0

_MARK = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
"""


_ADMIT = """
-- ARGV: the projection's base key, row table, row key, plan table, plan key, the engagement
-- stream's key, the outcome stream's key, the claim's key, owner, ttl (ms), the marks' key.
-- Keys of three stores (views, log, claims) under one prefix: one Redis primary, as they need.
local gen = redis.call('GET', ARGV[1] .. ':live')
if not gen then return {false, false, 0, 0, 0, {}} end
local g = ARGV[1] .. ':g:' .. gen
local cp = tonumber(redis.call('GET', g .. ':cp') or '0')
local row = redis.call('HGET', g .. ':r:' .. ARGV[2], ARGV[3])
local plan = redis.call('HGET', g .. ':r:' .. ARGV[4], ARGV[5])
if not row or not plan then return {row, plan, 0, 0, 0, {}} end
local last = redis.call('LINDEX', ARGV[6], -1)
if last and tonumber(last) > cp then return {row, plan, 0, 0, 0, {}} end
local held = redis.call('GET', ARGV[8])
if held and held ~= ARGV[9] then return {row, plan, 1, 0, 0, {}} end
redis.call('SET', ARGV[8], ARGV[9], 'PX', ARGV[10])
return {row, plan, 1, 1, redis.call('LLEN', ARGV[7]), redis.call('HGETALL', ARGV[11])}
"""


class RedisClaims:
    def __init__(self, url: str, *, prefix: str = "calendar") -> None:
        self._redis = RedisClient(
            url,
            prefix=prefix,
            store="claims",
            unavailable=ClaimsUnavailable,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            decode_responses=True,
        )
        self._mark = self._redis.client.register_script(_MARK)

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        with self._redis.errors_named("claim"):
            return self._redis.take_lease(self._redis.key(key), owner, ttl)

    def release(self, key: str, owner: str) -> None:
        with self._redis.errors_named("release"):
            self._redis.release_lease(self._redis.key(key), owner)

    def holder(self, key: str) -> str | None:
        with self._redis.errors_named("read"):
            found: Any = self._redis.client.get(self._redis.key(key))
        return None if found is None else str(found)

    def mark(self, key: str, item: str, value: str, ttl: float) -> None:
        with self._redis.errors_named("mark"):
            self._mark(keys=[self._redis.key(key) + ":marks"], args=[item, value, ms(ttl)])

    def marks(self, key: str) -> dict[str, str]:
        with self._redis.errors_named("read of marks"):
            found: Any = self._redis.client.hgetall(self._redis.key(key) + ":marks")
        return {str(k): str(v) for k, v in found.items()}

    def close(self) -> None:
        self._redis.close()


class RedisAdmissions:
    """`Admissions` in one script on the Redis that holds the claims (`RedisClaims`' keys),
    the views and the log: bootstrap gives the key of a projection's views and of a stream,
    which their own adapters define."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "calendar",
        view_key: Callable[[str], str],
        stream_key: Callable[[str], str],
    ) -> None:
        self._redis = RedisClient(
            url,
            prefix=prefix,
            store="claims",
            unavailable=ClaimsUnavailable,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            decode_responses=True,
        )
        self._view_key, self._stream_key = view_key, stream_key
        self._admit = self._redis.client.register_script(_ADMIT)

    def admit(self, gate: Gate) -> Admission:
        redis = self._redis
        claim = redis.key(gate.key)
        args: list[str | int] = [
            self._view_key(gate.projection),
            *gate.row,
            *gate.plan,
            self._stream_key(gate.stream),
            self._stream_key(gate.outcomes),
            claim,
            gate.owner,
            ms(gate.ttl),
            claim + ":marks",
        ]
        with redis.errors_named("admission"):
            row, plan, current, claimed, outcomes, flat = self._admit(args=args)
        return Admission(
            row=None if row is None else str(row),
            plan=None if plan is None else str(plan),
            current=bool(current),
            claimed=bool(claimed),
            outcomes=int(outcomes),
            marks={str(k): str(v) for k, v in zip(flat[0::2], flat[1::2], strict=True)},
        )

    def close(self) -> None:
        self._redis.close()

"""Claims in Redis, under the deployment's prefix: `{prefix}:claims:{key}` (a STRING holding
the owner, with a PX expiry: SET NX PX, or extended by its owner in one script) and
`{prefix}:claims:{key}:marks` (a HASH with an expiry). A claim survives the crash of its holder
for its ttl only; with persistence on (AOF), it survives a Redis restart too."""

from __future__ import annotations

from typing import Any

from calendar_service.plumbing.redis import RedisClient, ms
from calendar_service.reminders.leases.base import ClaimsUnavailable

SOCKET_TIMEOUT_SECONDS = 10.0

_MARK = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
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

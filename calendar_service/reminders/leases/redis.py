"""Claims in Redis, under the deployment's prefix: `{prefix}:claims:{key}` (a STRING holding
the owner, with a PX expiry: SET NX PX, or extended by its owner in one script) and
`{prefix}:claims:{key}:marks` (a HASH with an expiry). A claim survives the crash of its holder
for its ttl only; with persistence on (AOF), it survives a Redis restart too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from calendar_service.reminders.leases.base import ClaimsUnavailable

CONNECT_TIMEOUT_SECONDS = 3.0
SOCKET_TIMEOUT_SECONDS = 10.0

_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""
_MARK = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
"""


class RedisClaims:
    def __init__(self, url: str, *, prefix: str = "calendar") -> None:
        self._base = f"{prefix}:claims"
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                decode_responses=True,
            )
            self._client.ping()
        except (redis.RedisError, ValueError) as error:
            raise ClaimsUnavailable(f"claims store in Redis cannot be reached: {error}") from None
        script = self._client.register_script
        self._claim, self._release, self._mark = script(_CLAIM), script(_RELEASE), script(_MARK)

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        with self._errors("claim"):
            return bool(self._claim(keys=[self._key(key)], args=[owner, _ms(ttl)]))

    def release(self, key: str, owner: str) -> None:
        with self._errors("release"):
            self._release(keys=[self._key(key)], args=[owner])

    def holder(self, key: str) -> str | None:
        with self._errors("read"):
            found: Any = self._client.get(self._key(key))
        return None if found is None else str(found)

    def mark(self, key: str, item: str, value: str, ttl: float) -> None:
        with self._errors("mark"):
            self._mark(keys=[self._key(key) + ":marks"], args=[item, value, _ms(ttl)])

    def marks(self, key: str) -> dict[str, str]:
        with self._errors("read of marks"):
            found: Any = self._client.hgetall(self._key(key) + ":marks")
        return {str(k): str(v) for k, v in found.items()}

    def close(self) -> None:
        self._client.close()

    def _key(self, key: str) -> str:
        return f"{self._base}:{key}"

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as error:
            raise ClaimsUnavailable(f"claims store in Redis refused {action}: {error}") from error


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))

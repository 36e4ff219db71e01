"""What the Redis views store and the Redis claims share: one client, its errors, its leases.

- opening: a client with a short connect timeout and the adapter's socket timeout, checked with
  a PING, or the adapter's error ("views store in Redis cannot be reached: ...");
- `key(name)`: the adapter's keys, under the deployment's prefix (`{prefix}:views:{name}`), so
  one deployment is one namespace;
- `errors_named(action)`: Redis failures raised as the adapter's error ("views store in Redis
  refused {action}: ...");
- `take_lease`, `refresh_lease`, `release_lease`: an expiring owner held in a STRING key with a
  PX expiry, each one script (the views' catch-up leases, the reminder claims).

Each adapter keeps its own error type and key layout: `RedisClient` is given its store's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

CONNECT_TIMEOUT_SECONDS = 3.0

_TAKE = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisClient:
    """One Redis connection as an adapter uses it. Safe to share between threads."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        store: str,
        unavailable: Callable[[str], Exception],
        socket_timeout: float,
        decode_responses: bool = False,
    ) -> None:
        """`store` ("views") names the keys' namespace under `prefix` and the store in messages
        ("views store in Redis ..."); `unavailable` makes the adapter's error from a message."""
        if not prefix or any(c.isspace() for c in prefix):
            raise ValueError(f"prefix {prefix!r} must be non-empty and have no spaces")
        self._base, self._unavailable = f"{prefix}:{store}", unavailable
        label = self._label = f"{store} store"
        try:
            self.client = redis.Redis.from_url(
                url,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                socket_timeout=socket_timeout,
                decode_responses=decode_responses,
            )
            self.client.ping()
        except (redis.RedisError, ValueError) as error:
            raise unavailable(f"{label} in Redis cannot be reached: {error}") from None
        script = self.client.register_script
        self._take, self._refresh, self._release = script(_TAKE), script(_REFRESH), script(_RELEASE)

    def key(self, name: str) -> str:
        """The key `name` of this store, under the deployment's prefix."""
        return f"{self._base}:{name}"

    @contextmanager
    def errors_named(self, action: str) -> Iterator[None]:
        """Turn Redis failures into the adapter's error, naming what was refused."""
        try:
            yield
        except redis.RedisError as error:
            raise self._unavailable(f"{self._label} in Redis refused {action}: {error}") from error

    def take_lease(self, key: str, owner: str, ttl: float) -> bool:
        """Hold `key` for `owner` for `ttl` seconds from now, if it is free, expired or already
        `owner`'s (then the lease is extended); False, changing nothing, if another holds it."""
        return bool(self._take(keys=[key], args=[owner, ms(ttl)]))

    def refresh_lease(self, key: str, owner: str, ttl: float) -> bool:
        """Extend the lease if `owner` still holds it; False if it was lost."""
        return bool(self._refresh(keys=[key], args=[owner, ms(ttl)]))

    def release_lease(self, key: str, owner: str) -> None:
        """Free `key` if `owner` holds it; otherwise do nothing."""
        self._release(keys=[key], args=[owner])

    def close(self) -> None:
        self.client.close()


def ms(seconds: float) -> int:
    """A ttl in whole milliseconds, at least one (PX refuses 0)."""
    return max(1, int(seconds * 1000))

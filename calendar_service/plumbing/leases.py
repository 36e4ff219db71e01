"""Expiring ownership of a key, in this process's memory: the memory twins of the views store's
catch-up lease and of the reminder claims (their SQL and Redis versions
are `SqliteFile.take_lease` and `RedisClient.take_lease`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class MemoryLeases:
    """Leases by key, each (owner, expires at) on `clock`. Safe to share between threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._now = clock
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, float]] = {}

    def take(self, key: str, owner: str, ttl: float) -> bool:
        """Hold `key` for `owner` for `ttl` seconds from now, if it is free, expired or already
        `owner`'s (then the lease is extended); False, changing nothing, if another holds it."""
        with self._lock:
            now = float(self._now())
            held = self._held.get(key)
            if held is not None and held[0] != owner and held[1] > now:
                return False
            self._held[key] = (owner, now + ttl)
            return True

    def refresh(self, key: str, owner: str, ttl: float) -> bool:
        """Extend the lease if `owner` still holds it; False if it was lost."""
        with self._lock:
            held = self._held.get(key)
            if held is None or held[0] != owner:
                return False
            self._held[key] = (owner, float(self._now()) + ttl)
            return True

    def release(self, key: str, owner: str) -> None:
        """Free `key` if `owner` holds it; otherwise do nothing."""
        with self._lock:
            held = self._held.get(key)
            if held is not None and held[0] == owner:
                del self._held[key]

    def holder(self, key: str) -> str | None:
        """Who holds `key` now, or None."""
        with self._lock:
            held = self._held.get(key)
            return held[0] if held is not None and held[1] > float(self._now()) else None

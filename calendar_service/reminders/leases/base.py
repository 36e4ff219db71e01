"""The claims port and its in-memory twin (see the package docstring).

Errors::

    ClaimsError
    └── ClaimsUnavailable   the backend cannot be reached or refuses (a retry may succeed)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from calendar_service.plumbing.leases import MemoryLeases


class ClaimsError(Exception):
    """Base of the claims store's errors."""


class ClaimsUnavailable(ClaimsError):
    """The backend cannot be reached or refuses; nothing is known to have changed."""


class Claims(Protocol):
    """Expiring claims and their progress marks. Every method is safe from any thread."""

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        """Hold `key` for `owner` for `ttl` seconds from now, if it is free, expired or already
        `owner`'s (then the claim is extended); False, changing nothing, if another holds it."""
        ...

    def release(self, key: str, owner: str) -> None:
        """Free `key` if `owner` holds it; otherwise do nothing."""
        ...

    def holder(self, key: str) -> str | None:
        """Who holds `key` now, or None."""
        ...

    def mark(self, key: str, item: str, value: str, ttl: float) -> None:
        """Record `item` -> `value` under `key`, kept at least `ttl` seconds from now."""
        ...

    def marks(self, key: str) -> dict[str, str]:
        """Every mark recorded under `key` and not yet expired."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Gate:
    """What a delivery checks, then claims, in one `Admissions.admit`. Tables and streams are
    named as the views store and the event log name them."""

    key: str
    """The claim: the reminder id."""
    owner: str
    ttl: float
    projection: str
    """The reminder schedule projection, whose checkpoint says what it has applied."""
    row: tuple[str, str]
    """(table, key) of the reminder's row in it."""
    plan: tuple[str, str]
    """(table, key) of its engagement's plan in it."""
    stream: str
    """The engagement's stream: the schedule must have applied its last event."""
    outcomes: str
    """The stream the reminder's outcome would be recorded in."""


@dataclass(frozen=True)
class Admission:
    """What `Admissions.admit` found; it claimed only if `row` and `plan` exist and `current`."""

    row: str | None
    plan: str | None
    current: bool
    """The schedule had applied the engagement stream's last event."""
    claimed: bool
    outcomes: int = 0
    """Events in the outcome stream (read once claimed): 0 means no outcome recorded yet."""
    marks: dict[str, str] = field(default_factory=dict)
    """The claim's marks (read once claimed)."""


class Admissions(Protocol):
    """The schedule re-check, the claim and what an outcome check needs, read together (on
    Redis: one script, one round trip)."""

    def admit(self, gate: Gate) -> Admission: ...

    def close(self) -> None: ...


class MemoryClaims:
    """Claims in this process's memory: unit tests and `memory://` deployments."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._now = clock
        self._lock = threading.Lock()
        self._claims = MemoryLeases(clock)
        self._marks: dict[str, tuple[dict[str, str], float]] = {}

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        return self._claims.take(key, owner, ttl)

    def release(self, key: str, owner: str) -> None:
        self._claims.release(key, owner)

    def holder(self, key: str) -> str | None:
        return self._claims.holder(key)

    def mark(self, key: str, item: str, value: str, ttl: float) -> None:
        with self._lock:
            found, _ = self._marks.get(key, ({}, 0.0))
            found = {**found, item: value}
            self._marks[key] = (found, float(self._now()) + ttl)

    def marks(self, key: str) -> dict[str, str]:
        with self._lock:
            found, until = self._marks.get(key, ({}, 0.0))
            return dict(found) if until > float(self._now()) else {}

    def close(self) -> None:
        pass

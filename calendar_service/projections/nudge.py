"""Nudges: the wake-up call the write path sends after an append has committed.

A nudge carries no event and no position, only which projections to look at; the projector
pulls from its checkpoint. So a nudge lost, duplicated, late or out of order changes nothing
but latency, and a periodic nudge of everything (`nudge()` with no names) is the safety net.

- `ThreadNudger`: the embedded mode (no broker): catch-up runs in one background thread of
  the server process. Nudges that arrive while it works are coalesced into one more pass.
  With an `interval`, it also wakes up by itself: the safety net without a scheduler.
- `NullNudger`: processes that never write (workers, the CLI's read commands).
- The Celery nudger lives in `workers/` (calendar_service never imports Celery); with a
  broker, the process that writes gives it to `bootstrap.build`.

Contract: `nudge` never raises and never blocks on the catch-up itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

logger = logging.getLogger(__name__)


class Nudger(Protocol):
    def nudge(self, names: Iterable[str] | None = None) -> None:
        """Ask for `names` (every projection if None) to catch up soon. Never raises."""
        ...

    def close(self) -> None:
        """Stop; later nudges are dropped."""
        ...


class NullNudger:
    """Drops every nudge."""

    def nudge(self, names: Iterable[str] | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class ThreadNudger:
    """Runs `catch_up(name)` for nudged projections in one background thread, started on the
    first nudge. Several nudges for the same projection while it is busy make one more pass."""

    def __init__(
        self,
        catch_up: Callable[[str], object],
        names: Sequence[str],
        *,
        interval: float | None = None,
    ) -> None:
        self._catch_up = catch_up
        self._names = tuple(names)
        self._interval = interval
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: dict[str, None] = {}
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def nudge(self, names: Iterable[str] | None = None) -> None:
        with self._lock:
            if self._closed:
                return
            for name in self._names if names is None else names:
                self._pending[name] = None
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="projections-catch-up", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every nudge so far has been handled; False on timeout (tests, shutdown)."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._lock:
                woken = self._wake.wait_for(
                    lambda: self._closed or bool(self._pending), self._interval
                )
                if self._closed:
                    return
                if not woken:
                    self._pending = dict.fromkeys(self._names)
                names, self._pending = list(self._pending), {}
                self._busy = True
            for name in names:
                try:
                    self._catch_up(name)
                except Exception:  # the thread must outlive one bad pass; the next nudge retries
                    logger.exception("catch-up of projection %s failed", name)
            with self._lock:
                self._busy = False
                self._wake.notify_all()

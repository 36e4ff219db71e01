"""The peer of the delivery benchmarks: a bare Celery no-op round trip on the same broker.

The benchmark's own workers import this module (`celery -A workers worker -I
benchmarks.celery_noop`), so the no-op runs in the very processes, pool and queue that deliver,
with the deployment's Celery configuration (JSON, late acks, prefetch 1), and Celery's result
backend on the broker's Redis database (`CELERY_RESULT_BACKEND` in the workers' environment;
our own tasks ignore results, so it changes nothing for them).

`NoopPeer(settings, backend)`: `round_trips(count)` sends `count` no-op tasks at once and waits
for every result (a round trip: a send, a worker running the task, its result stored and read
back); `one()` times a single round trip alone.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from celery import shared_task

if TYPE_CHECKING:
    from calendar_service.config import Settings

NOOP = "bench.noop"
RESULT_TIMEOUT = 120.0


@shared_task(name=NOOP, ignore_result=False, acks_late=True)  # type: ignore[untyped-decorator]
def noop() -> None:
    """Nothing: what a task costs before it does any work."""


class NoopPeer:
    """Sends no-op tasks to the deployment's queue and reads their results back."""

    def __init__(self, settings: Settings, backend: str) -> None:
        from workers.celery_app import producer_app, queue_name

        self.app: Any = producer_app(settings)
        self.app.conf.update(result_backend=backend, task_ignore_result=False)
        self.queue = queue_name(settings)
        self._sent: list[str] = []

    def one(self) -> float:
        """Seconds of one round trip, alone."""
        start = time.perf_counter()
        self._send().get(timeout=RESULT_TIMEOUT)
        return time.perf_counter() - start

    def round_trips(self, count: int) -> float:
        """Seconds until the results of `count` no-ops, all sent at once (on one held
        connection, as a sender of a burst would), are back."""
        start = time.perf_counter()
        with self.app.producer_or_acquire() as producer:
            results = [self._send(producer) for _ in range(count)]
        for result in results:
            result.get(timeout=RESULT_TIMEOUT)
        return time.perf_counter() - start

    def _send(self, producer: Any = None) -> Any:
        result = self.app.send_task(NOOP, queue=self.queue, producer=producer)
        self._sent.append(result.id)
        return result

    def close(self) -> None:
        """Delete the stored results and close the connections."""
        backend = self.app.backend
        for start in range(0, len(self._sent), 1000):
            keys = [backend.get_key_for_task(tid) for tid in self._sent[start : start + 1000]]
            backend.client.delete(*keys)
        self._sent.clear()
        self.app.close()

"""The Celery nudger: after a write, one `calendar.project` task per projection.

`celery_nudger` is what a process that writes with `CALENDAR_BROKER` set gives
`calendar_service.bootstrap.build` (the CLI's `serve` and `seed`, the scheduler); the workers
nudge with it after recording a reminder's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from celery import Celery
from kombu.exceptions import OperationalError

from calendar_service.config import Settings
from workers.celery_app import PROJECT, producer_app, queue_name

logger = logging.getLogger(__name__)

_SEND_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
"""A nudge is worth a few hundred milliseconds at most: the safety net covers a lost one."""


class CeleryNudger:
    """Sends `calendar.project(name)` to this deployment's queue for each nudged projection."""

    def __init__(self, celery: Celery, names: Sequence[str], queue: str) -> None:
        self._app, self._names, self._queue = celery, tuple(names), queue

    def nudge(self, names: Iterable[str] | None = None) -> None:
        for name in self._names if names is None else names:
            try:
                self._app.send_task(
                    PROJECT, args=[name], queue=self._queue, retry=True, retry_policy=_SEND_RETRY
                )
            except (OperationalError, OSError) as error:
                logger.warning(
                    "nudge of projection %s not sent (%s); the safety net will", name, error
                )

    def close(self) -> None:
        pass


def celery_nudger(settings: Settings, names: Sequence[str]) -> CeleryNudger:
    """A nudger of `names` to the queue of `settings`' deployment."""
    return CeleryNudger(producer_app(settings), names, queue_name(settings))

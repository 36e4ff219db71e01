"""The Celery nudger: after a write, one `calendar.project` task per projection.

`celery_nudger` is the `celery` entry point of the `calendar_service.nudgers` group, which
`calendar_service.bootstrap` looks up when `CALENDAR_BROKER` is set. `nudge_all` is the
periodic safety net the scheduler process calls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from celery import Celery
from kombu.exceptions import OperationalError

from calendar_service.config import Settings, load_settings
from calendar_service.projections import PROJECTION_NAMES
from workers.celery_app import producer_app, queue_name
from workers.tasks import PROJECT

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
    """The `celery` entry point of `calendar_service.nudgers`: a nudger for `settings`."""
    return CeleryNudger(producer_app(settings), names, queue_name(settings))


def nudge_all(settings: Settings | None = None) -> None:
    """Nudge every projection: call this every few seconds from the scheduler process."""
    settings = settings or load_settings()
    celery_nudger(settings, PROJECTION_NAMES).nudge()

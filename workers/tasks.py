"""Thin Celery tasks with stable names: each body makes one call into `calendar_service`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from celery import Task
from celery.signals import worker_ready, worker_shutdown

from calendar_service.bootstrap import Container, build, reminder_delivery
from calendar_service.config import load_settings
from calendar_service.projections import NullNudger
from calendar_service.reminders.deliver import Deliverer, DeliveryDeferred
from workers.celery_app import DELIVER_REMINDER, PROJECT, app
from workers.nudge import celery_nudger

logger = logging.getLogger(__name__)


class _Closeable(Protocol):
    def close(self) -> None: ...


T = TypeVar("T", bound=_Closeable)


class _PerProcess(Generic[T]):
    """One thing this worker process builds on first use and closes when the worker stops."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._built: T | None = None

    def get(self) -> T:
        with self._lock:
            if self._built is None:
                self._built = self._make()
            return self._built

    def close(self) -> None:
        with self._lock:
            if self._built is not None:
                self._built.close()
                self._built = None


# Workers never nudge: they are what nudges wake up.
_container = _PerProcess(lambda: build(load_settings(), nudger=NullNudger()))


def container() -> Container:
    """This worker process's container, built on first use."""
    return _container.get()


@app.task(name=PROJECT, acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def project(projection: str) -> None:
    """Bring one projection up to the head of the log; safe to run twice, or at once."""
    container().projector.catch_up(projection)


@worker_ready.connect  # type: ignore[untyped-decorator]
def _open(**_: Any) -> None:
    container()  # open the stores before the first task, not during it


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def _close(**_: Any) -> None:
    try:
        _delivery.close()
    finally:
        _container.close()


# --- reminders (docs/reminders.md) -------------------------------------------------------------

NUDGE_EVERY_SECONDS = 0.5
"""After outcomes, the projections that show them are nudged at most this often per worker
process; the scheduler's periodic nudges catch the rest."""


def _new_delivery() -> Deliverer:
    built = container()
    nudger = celery_nudger(built.settings, ["reminders_due"])
    return reminder_delivery(built, after_record=_AtMostEvery(nudger.nudge, NUDGE_EVERY_SECONDS))


_delivery = _PerProcess(_new_delivery)


def delivery() -> Deliverer:
    """This worker process's reminder delivery, built on first use."""
    return _delivery.get()


class _AtMostEvery:
    """`action` at most once every `seconds`: a call within that of the last runs it once at
    the window's end (one trailing run for all of them), so a burst's last outcomes are
    projected within `seconds`, not at the scheduler's next safety-net nudge."""

    def __init__(self, action: Callable[[], None], seconds: float) -> None:
        self._action, self._seconds, self._last = action, seconds, -1e9
        self._lock = threading.Lock()
        self._trailing: threading.Timer | None = None

    def __call__(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._last + self._seconds - now
            if wait <= 0:
                self._last = now
            else:
                if self._trailing is None:
                    self._trailing = threading.Timer(wait, self._trail)
                    self._trailing.daemon = True
                    self._trailing.start()
                return
        self._action()

    def _trail(self) -> None:
        with self._lock:
            self._trailing, self._last = None, time.monotonic()
        self._action()


@app.task(  # type: ignore[untyped-decorator]
    name=DELIVER_REMINDER,
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(DeliveryDeferred,),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def deliver_reminder(self: Task, reminder_id: str | list[str]) -> None:
    """Deliver one reminder, or each of a list (the scheduler's `Batches`: those due at once),
    exactly once (re-checked, claimed, sent, recorded); safe to run twice or at once. A channel
    that fails transiently is tried again within the delivery for a few seconds, then when the
    scheduler hands the reminder on again (with capped backoff, until the grace period is
    spent); only a log, views or claims store that cannot be read is retried here,
    CALENDAR_REMINDER_RETRIES times (the whole list: what was done is found done), and then by
    the scheduler as well."""
    deliverer = delivery()
    self.max_retries = deliverer.retries
    ids = [reminder_id] if isinstance(reminder_id, str) else list(reminder_id)
    deferred: DeliveryDeferred | None = None
    for n, rid in enumerate(ids):
        try:
            result = deliverer.deliver(rid, owner=f"{self.request.id}:{n}")
        except DeliveryDeferred as error:
            deferred = error  # the others still go out now; this one with the retry
            continue
        logger.debug("reminder %s: %s %s", rid, result.state, result.detail)
    if deferred is not None:
        raise deferred

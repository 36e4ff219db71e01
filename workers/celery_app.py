"""The Celery app: JSON only, late acks, no result backend, configured from `Settings`.

Importing this module builds the `Celery` object and nothing else: no connection is opened and
no environment is read until the configuration is first needed (a worker starting, a task being
sent), when `celery_config(load_settings())` supplies it. Tasks live in `workers.tasks`; their
names live here (`PROJECT`, `DELIVER_REMINDER`), so that what sends a task (`workers.nudge`,
`workers.scheduler`) needs no import of what runs it.

One deployment, one queue: the queue is named after the event store's Redis prefix (`calendar`
by default), so deployments (and test runs) sharing a broker never take each other's tasks.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from celery import Celery, signals

from calendar_service.bootstrap import build, check_broker
from calendar_service.config import ConfigError, RedisLocation, Settings, load_settings
from calendar_service.logs import configure_logging, correlation_id, log_fields
from calendar_service.projections import NullNudger

PROJECT = "calendar.project"
"""Task: bring one projection up to the head of the log (`workers.tasks.project`)."""
DELIVER_REMINDER = "calendar.deliver_reminder"
"""Task: deliver one reminder (`workers.tasks.deliver_reminder`)."""

app = Celery("calendar_service", include=["workers.tasks"])
_task_log = logging.getLogger("workers.task")


def queue_name(settings: Settings) -> str:
    """The queue of this deployment: the Redis store's key prefix, else `calendar`."""
    location = settings.location
    return location.prefix if isinstance(location, RedisLocation) else "calendar"


def celery_config(settings: Settings) -> dict[str, Any]:
    if settings.broker is None:
        raise ConfigError(
            "CALENDAR_BROKER: unset, but Celery workers need a broker: "
            "set it to redis://host:6379/1 (or run the embedded mode, which needs no worker)"
        )
    queue = queue_name(settings)
    return {
        "broker_url": settings.broker,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "result_accept_content": ["json"],
        "event_serializer": "json",
        "result_backend": None,
        "task_ignore_result": True,
        # A task is acknowledged when it finishes, and given back if its worker dies: the
        # tasks are idempotent (the projector pulls from its checkpoint), so a rerun is safe.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_default_queue": queue,
        "task_default_exchange": queue,
        "task_default_routing_key": queue,
    }


def _config_from_environment() -> dict[str, Any]:
    """What `app` is configured with when first needed. A bad setting ends the process with one
    line naming the variable (Celery reads the configuration before any signal a worker could
    catch it in), not a traceback."""
    try:
        return celery_config(load_settings())
    except ConfigError as error:
        if _in_celery_command():
            _fail(error)
        raise  # imported as a library (the API, tests): the caller decides


def _in_celery_command() -> bool:
    """The `celery` command line runs this process (`celery -A workers worker`, `python -m
    celery ...`): Celery reads the configuration before any signal it could be caught in."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return started.name == "celery" or started.parts[-2:] == ("celery", "__main__.py")


def _fail(error: ConfigError) -> NoReturn:
    print(f"configuration error: {error}", file=sys.stderr, flush=True)
    raise SystemExit(2)


app.add_defaults(_config_from_environment)


def producer_app(settings: Settings) -> Celery:
    """A Celery app that only sends tasks, configured from `settings` rather than from the
    environment (the API may run with CLI flags): what the write path's nudger uses."""
    producer = Celery("calendar_service", set_as_current=False)
    producer.conf.update(celery_config(settings))
    return producer


# --- start-up checks and structured logs (issue 8) ----------------------------------------------


@signals.setup_logging.connect  # type: ignore[untyped-decorator]
def _setup_logging(**_: Any) -> None:
    """Our one-line key=value logs instead of Celery's own format (connecting this receiver
    also stops Celery from reconfiguring the root logger)."""
    configure_logging()


@signals.celeryd_init.connect  # type: ignore[untyped-decorator]
def _check_start_up(**_: Any) -> None:
    """Before the worker connects: the settings must load, the store open and the broker
    answer; otherwise one line naming the variable on stderr, and exit 2 (no traceback, no
    endless connection retries)."""
    try:
        settings = load_settings()
        celery_config(settings)  # CALENDAR_BROKER unset
        check_broker(settings)
        build(settings, nudger=NullNudger()).close()
    except ConfigError as error:
        _fail(error)


_started: dict[str, float] = {}


@signals.task_prerun.connect  # type: ignore[untyped-decorator]
def _task_started(task_id: str, task: Any, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    _started[task_id] = time.perf_counter()
    correlation_id.set((kwargs or {}).get("correlation_id") or task_id)


@signals.task_postrun.connect  # type: ignore[untyped-decorator]
def _task_finished(
    task_id: str,
    task: Any,
    state: str | None = None,
    kwargs: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    started = _started.pop(task_id, None)
    duration = None if started is None else round((time.perf_counter() - started) * 1000, 1)
    log_fields(
        _task_log,
        "task",
        task=task.name,
        task_id=task_id,
        duration_ms=duration,
        outcome=state or "UNKNOWN",
        correlation_id=(kwargs or {}).get("correlation_id") or task_id,
    )
    correlation_id.set(None)

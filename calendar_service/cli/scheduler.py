"""`calendar-service scheduler`: the reminder scheduler process (docs/reminders.md).

Mounted by `cli.main` with `app.command("scheduler")(scheduler)`. The scheduler itself lives in
`workers.scheduler` (it is APScheduler's only importer); calendar_service never imports
workers, so it is found through the `celery` entry point of `calendar_service.schedulers`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from calendar_service.cli.options import StoreOption, fail
from calendar_service.config import ConfigError, load_settings


def scheduler(
    store: StoreOption = None,
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            help="Celery broker URL (overrides CALENDAR_BROKER); unset: deliver in this process.",
        ),
    ] = None,
) -> None:
    """Run the reminder scheduler (one per deployment; a second one waits as a standby).

    It mirrors the reminder schedule into jobs and hands each reminder to a worker when it is
    due; without a broker, it delivers them itself. Runs until SIGTERM or Ctrl-C.
    """
    from calendar_service.reminders.schedule import scheduler_plugin

    try:
        settings = load_settings(store=store, broker=broker)
        run = scheduler_plugin("celery")
        run(settings)
    except ConfigError as error:
        fail(f"configuration error: {error}")

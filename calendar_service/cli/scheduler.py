"""`calendar-service scheduler`: the reminder scheduler process (docs/reminders.md).

Mounted by `cli.main` with `app.command("scheduler")(scheduler)`. The scheduler itself is
`workers.scheduler.run_process` (APScheduler's only importer); the CLI is an entry point that
starts worker-side code, so it imports it.
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
    from workers.scheduler import run_process

    try:
        run_process(load_settings(store=store, broker=broker))
    except ConfigError as error:
        fail(f"configuration error: {error}")

"""`calendar-service scheduler`: the reminder scheduler process (docs/reminders.md).

Mounted by `cli.py` with `app.command("scheduler")(scheduler)`. The scheduler itself lives in
`workers.scheduler` (it is APScheduler's only importer); calendar_service never imports
workers, so it is found through the `celery` entry point of `calendar_service.schedulers`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from calendar_service.config import ConfigError, load_settings

err = Console(stderr=True, soft_wrap=True)


def scheduler(
    store: Annotated[
        str | None,
        typer.Option(
            "--store", help="Event store URL (overrides CALENDAR_STORE), e.g. redis://host:6379/0"
        ),
    ] = None,
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
        err.print(f"[red]configuration error: {escape(str(error))}[/red]", highlight=False)
        raise typer.Exit(code=2) from None

"""`calendar-service projections status|rebuild|catch-up`: look after the read side.

A Typer sub-app, mounted by `cli.py` with `app.add_typer(projections_app, name="projections")`.
These commands never nudge anyone: they build the container with a `NullNudger`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from calendar_service.cli.options import (
    JsonOption,
    StoreOption,
    command_group,
    container,
    fail,
    out,
    settings,
)
from calendar_service.projections import ProjectionError, Projector

projections_app = command_group(
    "The read side: projections of the event log (status, rebuild, catch-up)."
)
NameArgument = Annotated[
    str | None, typer.Argument(help="One projection (default: every projection).")
]


@contextmanager
def _projector(store: str | None) -> Iterator[Projector]:
    with container(settings(store=store)) as built:
        yield built.projector


def _names(projector: Projector, name: str | None) -> tuple[str, ...]:
    if name is None:
        return projector.names
    if name not in projector.names:
        fail(f"no projection {name!r}: the projections are {', '.join(projector.names)}")
    return (name,)


@projections_app.command("status")
def status(
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Checkpoint, log head and lag (events not yet applied) of each projection."""
    with _projector(store) as projector:
        rows = projector.status()
    if as_json:
        for row in rows:
            line = {"projection": row.name, "checkpoint": row.checkpoint}
            typer.echo(json.dumps({**line, "head": row.head, "lag": row.lag}))
        return
    table = Table("projection", "checkpoint", "head", "lag", title="projections")
    for row in rows:
        lag = f"[yellow]{row.lag}[/yellow]" if row.lag else "[green]0[/green]"
        table.add_row(row.name, str(row.checkpoint), str(row.head), lag)
    out().print(table)


@projections_app.command("rebuild")
def rebuild(name: NameArgument = None, store: StoreOption = None) -> None:
    """Rebuild from zero beside the live projection, then swap it in when complete."""
    console = out()
    with _projector(store) as projector:
        for each in _names(projector, name):
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as progress:
                task = progress.add_task(f"rebuild {each}", total=projector.store.head())

                def advance(checkpoint: int, head: int, task: TaskID = task) -> None:
                    progress.update(task, completed=checkpoint, total=head)

                try:
                    result = projector.rebuild(each, on_progress=advance)
                except ProjectionError as error:
                    fail(str(error), code=1)
                progress.update(task, completed=result.checkpoint, total=result.checkpoint)
            console.print(
                f"{each}: rebuilt {result.applied} events up to position {result.checkpoint}, "
                f"digest {projector.digest(each)[:16]}"
            )


@projections_app.command("catch-up")
def catch_up(name: NameArgument = None, store: StoreOption = None) -> None:
    """Bring projections up to the head of the log now, in this process."""
    console = out()
    with _projector(store) as projector:
        for each in _names(projector, name):
            try:
                result = projector.catch_up(each)
            except ProjectionError as error:
                fail(str(error), code=1)
            console.print(
                f"{each}: {result.state}, applied {result.applied}, at {result.checkpoint}"
            )

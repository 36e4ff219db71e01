"""The `calendar-service` command. Each command builds the container once and calls in."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calendar_service.config import ConfigError, Settings, load_settings

app = typer.Typer(
    help="Diplomatic calendar: an audit-grade event log of engagements, a feed, reminders.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Event store URL (overrides CALENDAR_STORE), e.g. sqlite:///var/events.db"
    ),
]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as error:
        err.print(f"[red]configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None


@app.command("check-config")
def check_config(store: StoreOption = None) -> None:
    """Print the resolved settings (secrets masked) and check that the event store opens."""
    from calendar_service.bootstrap import build

    settings = _settings(store=store)
    table = Table("setting", "value", title="calendar-service settings")
    for name, value in settings.masked().items():
        table.add_row(f"CALENDAR_{name.upper()}", value)
    console.print(table)
    try:
        container = build(settings)
    except ConfigError as error:
        err.print(f"[red]configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None
    console.print(f"event store: ok, {container.store.head()} events")
    container.close()


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the HTTP service (embedded mode: everything in this one process)."""
    import uvicorn

    from calendar_service.api import create_app
    from calendar_service.bootstrap import build

    settings = _settings(store=store, host=host, port=port)
    try:
        container = build(settings)
    except ConfigError as error:
        err.print(f"[red]configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None
    console.print(f"calendar-service on {settings.base_url} (store {settings.masked()['store']})")
    try:
        uvicorn.run(create_app(container), host=settings.host, port=settings.port)
    finally:
        container.close()


def main() -> None:  # pragma: no cover - console-script shim
    sys.exit(app())

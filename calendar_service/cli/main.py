"""The `calendar-service` command: the root app, `serve` and `check-config`, and every command
group mounted on it (one module each: `calendar`, `feeds`, `tokens`, `staff`, `projections`,
`scheduler`). Bad input is one red line and exit code 2."""

from __future__ import annotations

import socket
import sys
from typing import Annotated

import typer

from calendar_service.cli.calendar import agenda, decisions, history, seed
from calendar_service.cli.feeds import export, feeds_app
from calendar_service.cli.options import (
    StoreOption,
    broker_nudger,
    command_group,
    fail,
    out,
    settings,
)
from calendar_service.cli.projections import projections_app
from calendar_service.cli.reminders import reminders_app
from calendar_service.cli.scheduler import scheduler
from calendar_service.cli.staff import staff_app
from calendar_service.cli.tokens import tokens_app
from calendar_service.config import ConfigError

app = command_group(
    "Diplomatic calendar: an audit-grade event log of engagements, a feed, reminders."
)


@app.command("check-config")
def check_config(store: StoreOption = None) -> None:
    """Print the resolved settings (secrets masked) and check that the event store opens."""
    from datetime import timedelta

    from rich.table import Table

    from calendar_service.bootstrap import build
    from calendar_service.domain import format_duration
    from calendar_service.projections import NullNudger

    resolved = settings(store=store)
    table = Table("setting", "value", title="calendar-service settings")
    for name, value in resolved.masked().items():
        raw = getattr(resolved, name)
        # A duration reads as it is written in the environment (PT15M), not as 0:15:00.
        shown = format_duration(raw) if isinstance(raw, timedelta) else value
        table.add_row(f"CALENDAR_{name.upper()}", shown)
    console = out()
    console.print(table)
    try:
        container = build(resolved, nudger=NullNudger())
    except ConfigError as error:
        fail(f"configuration error: {error}")
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
    from calendar_service.bootstrap import build, check_broker
    from calendar_service.logs import configure_logging
    from workers.scheduler import start_embedded

    resolved = settings(store=store, host=host, port=port)
    configure_logging(resolved)
    try:
        # With a broker the Celery workers catch up after each write; without, this process.
        container = build(resolved, nudger=broker_nudger(resolved))
        check_broker(resolved)  # distributed mode: a broker that does not answer stops start-up
    except ConfigError as error:
        fail(f"configuration error: {error}")
    try:
        listening = _listen(resolved.host, resolved.port)  # before anything runs in the background
    except typer.Exit:
        container.close()
        raise
    out().print(f"calendar-service on {resolved.base_url} (store {resolved.masked()['store']})")
    container.nudge_all()  # catch the read side up with whatever was appended while stopped
    # Embedded mode: the reminder scheduler and delivery run in a thread of this process.
    reminders = None if resolved.broker else start_embedded(container)
    try:
        config = uvicorn.Config(
            create_app(container), host=resolved.host, port=resolved.port, log_config=None
        )
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        listening.close()
        if reminders is not None:
            reminders.stop()
        container.close()


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for uvicorn to serve on; exit 2 with one line naming the
    address if it cannot be had (in use, or not this machine's)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        where = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        fail(
            f"cannot listen on {where}: {error.strerror or error}; stop what uses it, or give "
            "another address with --port/CALENDAR_PORT (--host/CALENDAR_HOST)"
        )
    listening.set_inheritable(True)
    return listening


app.command()(seed)
app.command()(agenda)
app.command()(decisions)
app.command()(history)
app.command("export")(export)
app.add_typer(feeds_app, name="feeds")
app.add_typer(tokens_app, name="tokens")
app.add_typer(staff_app, name="staff")
app.add_typer(projections_app, name="projections")
app.add_typer(reminders_app, name="reminders")
app.command("scheduler")(scheduler)


def main() -> None:  # pragma: no cover - console-script shim
    sys.exit(app())

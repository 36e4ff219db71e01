"""What every command group shares: its options, its one-line failures, its settings and
container, and how refusals become exit codes.

Exit codes: 0 done; 1 refused or not found, or a failure of the run (the log or the views did
not answer); 2 bad input or configuration. A failure is one red line on stderr, never a trace.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from calendar_service.config import ConfigError, Settings, load_settings
from calendar_service.domain import LANGUAGES

if TYPE_CHECKING:
    from calendar_service.bootstrap import Container
    from calendar_service.projections import Nudger

AUDIENCES = ("public", "staff", "restricted")
R = TypeVar("R")

err = Console(stderr=True, soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Event store URL (overrides CALENDAR_STORE), e.g. sqlite:///var/events.db"
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who is recording this (default: cli:<your user name>)."),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who is doing this, for the log (default: cli:<your user name>)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why, for the log.")]
LangOption = Annotated[
    str, typer.Option("--lang", help="Language of titles and dates: en, ko or zh.")
]
TzOption = Annotated[
    str | None,
    typer.Option(
        "--tz", help="Your IANA time zone (default: CALENDAR_TIMEZONE), e.g. Europe/Paris."
    ),
]


def command_group(help: str) -> typer.Typer:
    """A command group (or the app): help when called bare, no shell-completion commands."""
    return typer.Typer(help=help, no_args_is_help=True, add_completion=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """One red line on stderr, then exit: 2 for bad input, 1 for a failure of the run."""
    err.print(f"[red]{escape(message)}[/red]", highlight=False)
    raise typer.Exit(code=code)


def out() -> Console:
    """Standard output; built per command, so the width follows this run's terminal."""
    return Console(highlight=False)


def settings(**overrides: object) -> Settings:
    """The settings, with the command's flags over the environment; exit 2 if one is wrong."""
    try:
        return load_settings(**overrides)
    except ConfigError as error:
        fail(f"configuration error: {error}")


@contextmanager
def container(chosen: Settings) -> Iterator[Container]:
    """The container a short-lived command needs, closed afterwards. It nudges nobody: each
    command catches up (or settles) what it reads itself, and leaves no thread behind."""
    from calendar_service.bootstrap import build
    from calendar_service.projections import NullNudger

    try:
        built = build(chosen, nudger=NullNudger())
    except ConfigError as error:
        fail(f"configuration error: {error}")
    try:
        yield built
    finally:
        built.close()


def broker_nudger(chosen: Settings) -> Nudger | None:
    """What a command that writes gives `build(nudger=...)`: with a broker, the Celery nudger
    of `workers.nudge`, so the workers catch the projections up; without one, None, so that
    `build` catches up in a thread of this process."""
    if chosen.broker is None:
        return None
    from calendar_service.projections import PROJECTION_NAMES
    from workers.nudge import celery_nudger

    return celery_nudger(chosen, PROJECTION_NAMES)


def who(name: str | None) -> str:
    """The actor recorded on the events: the name given, or the user running the command."""
    if name:
        return name
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def refusals(
    incomplete: str, not_found: tuple[type[Exception], ...] = (), bad_input: str = ""
) -> Iterator[None]:
    """Map what the write path raises to one line and an exit code: `not_found` (exit 1), any
    other refusal or invalid value (exit 2, prefixed by `bad_input`), and an unreachable log
    or a projection that did not settle (exit 1, after `incomplete`)."""
    from calendar_service.domain import DomainError
    from calendar_service.eventstore import EventStoreError
    from calendar_service.projections import ProjectionError

    try:
        yield
    except not_found as error:
        fail(str(error), code=1)
    except DomainError as error:
        fail(f"{bad_input}{error}")
    except (EventStoreError, ProjectionError) as error:
        fail(f"{incomplete}: {error}", code=1)


def print_rows(
    rows: Sequence[R],
    as_json: bool,
    json_of: Callable[[R], object],
    empty: str,
    table: Table,
    cells: Callable[[R], Sequence[str]],
) -> None:
    """A list command's answer: with --json one object (`json_of(row)`) a line; else `empty`
    when there is no row, or `table` with `cells(row)` a row."""
    if as_json:
        for row in rows:
            typer.echo(json.dumps(json_of(row), ensure_ascii=False))
        return
    if not rows:
        typer.echo(empty)
        return
    for row in rows:
        table.add_row(*cells(row))
    out().print(table)


def settle_end(
    store: str | None,
    command: object,
    actor: str,
    said: tuple[str, str],
    not_found: tuple[type[Exception], ...] = (),
    incomplete: str = "revocation incomplete",
    echo: Callable[[str], object] = typer.echo,
) -> None:
    """Settle `command` (a revocation or an unsubscription) through `service.settle`, then
    `echo` said[0] if this call changed anything, said[1] if it already held. Refusals and
    failures as `refusals(incomplete, not_found)` maps them."""
    from calendar_service.service import Envelope, settle

    with container(settings(store=store)) as built, refusals(incomplete, not_found):
        outcome = settle(built.store, built.projector, command, Envelope(actor), built.clock)
    echo(said[0] if outcome.changed else said[1])


def language(value: str) -> str:
    if value not in LANGUAGES:
        fail(f"--lang {value!r} is not a language of the calendar: use en, ko or zh")
    return value

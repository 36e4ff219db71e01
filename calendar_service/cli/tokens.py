"""`calendar-service tokens create|list|revoke`: the staff bearer tokens the HTTP API accepts.

A Typer sub-app, mounted by `cli.py` with `app.add_typer(tokens_app, name="tokens")`. Each
command builds the container with a `NullNudger` and settles the staff tokens projection
itself, so a token works (or stops working) from the next API request, in any process.

A token is printed once, by `create`: the log and the views hold its SHA-256 alone.
Exit codes: 0 done; 1 refused or not found (an unknown token id); 2 bad input or settings.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from calendar_service.config import ConfigError, load_settings

if TYPE_CHECKING:
    from calendar_service.bootstrap import Container
    from calendar_service.projections.staff_tokens import StaffTokenRow

tokens_app = typer.Typer(
    help="Staff tokens for the HTTP API: who may write (and administer), recorded in the log.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Event store URL (overrides CALENDAR_STORE), e.g. sqlite:///var/events.db"
    ),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who is doing this, for the log (default: cli:<your user name>)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (one object per line).")]


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]{escape(message)}[/red]", highlight=False)
    raise typer.Exit(code=code)


@contextmanager
def _container(store: str | None) -> Iterator[Container]:
    from calendar_service.bootstrap import build
    from calendar_service.projections import NullNudger

    try:
        container = build(load_settings(store=store), nudger=NullNudger())
    except ConfigError as error:
        _fail(f"configuration error: {error}")
    try:
        yield container
    finally:
        container.close()


def _by(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _as_json(row: StaffTokenRow) -> dict[str, object]:
    return {
        "token_id": row.token_id,
        "actor": row.actor,
        "admin": row.admin,
        "revoked": row.revoked,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "revoked_at": None if row.revoked_at is None else row.revoked_at.isoformat(),
    }


@tokens_app.command("create")
def create(
    actor: Annotated[
        str,
        typer.Option(
            "--actor", help="Whom the token acts as: the name every event it causes will carry."
        ),
    ],
    admin: Annotated[
        bool, typer.Option("--admin", help="May also manage tokens and feeds and read the log.")
    ] = False,
    store: StoreOption = None,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a staff token and print it, once: only its hash is kept, so copy it now.

    Send it to the API as the header 'Authorization: Bearer <token>'.
    """
    from calendar_service.domain import DomainError
    from calendar_service.eventstore import EventStoreError
    from calendar_service.projections import ProjectionError
    from calendar_service.staff.tokens import issue_token

    with _container(store) as container:
        try:
            issued = issue_token(
                container.store, container.projector, actor=actor, admin=admin, by=_by(by)
            )
        except DomainError as error:
            _fail(f"--actor: {error}")
        except (EventStoreError, ProjectionError) as error:
            _fail(f"token not created: {error}", code=1)
    row = issued.row
    if as_json:
        typer.echo(json.dumps({**_as_json(row), "token": issued.token}, ensure_ascii=False))
        return
    kind = "admin token" if row.admin else "staff token"
    typer.echo(f"{kind} {row.token_id} created for {row.actor!r}")
    typer.echo(f"  token: {issued.token}")
    typer.echo(
        "The token is shown this once; the log keeps only its hash. Use it as the header "
        "'Authorization: Bearer <token>'. Revoke it with: "
        f"calendar-service tokens revoke {row.token_id}"
    )


@tokens_app.command("list")
def list_(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Every staff token: id, actor, admin or not, when created and by whom, and whether
    revoked (never the token itself: none is stored)."""
    from calendar_service.staff.tokens import list_tokens

    with _container(store) as container:
        rows = list_tokens(container.projector)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(_as_json(row), ensure_ascii=False))
        return
    if not rows:
        typer.echo("no staff tokens yet: create one with `calendar-service tokens create`")
        return
    table = Table("token", "actor", "rights", "created", "status", title="staff tokens")
    for row in rows:
        status = (
            f"[red]revoked {row.revoked_at:%Y-%m-%d %H:%M}Z[/red]"
            if row.revoked_at is not None
            else "[green]active[/green]"
        )
        created = f"{row.created_at:%Y-%m-%d %H:%M}Z by {row.created_by}"
        rights = "admin" if row.admin else "staff"
        table.add_row(row.token_id, escape(row.actor), rights, escape(created), status)
    Console(highlight=False).print(table)


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `tokens list` shows it.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the log.")] = None,
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """Revoke a staff token for good: the API refuses it from the next request on."""
    from calendar_service.domain import DomainError
    from calendar_service.domain.staff_tokens import check_token_id
    from calendar_service.eventstore import EventStoreError
    from calendar_service.projections import ProjectionError
    from calendar_service.staff.tokens import StaffTokenNotFound, revoke_token

    try:
        check_token_id(token_id)
    except DomainError as error:
        _fail(f"{error}; list the tokens with `calendar-service tokens list`")
    with _container(store) as container:
        try:
            done = revoke_token(
                container.store, container.projector, token_id, reason=reason, by=_by(by)
            )
        except StaffTokenNotFound as error:
            _fail(str(error), code=1)
        except DomainError as error:
            _fail(str(error))
        except (EventStoreError, ProjectionError) as error:
            _fail(f"revocation incomplete: {error}", code=1)
    if done:
        typer.echo(f"staff token {token_id} revoked: the API refuses it from now on")
    else:
        typer.echo(f"staff token {token_id} was already revoked: nothing to do")

"""`calendar-service tokens create|list|revoke`: the staff bearer tokens the HTTP API accepts.

A Typer sub-app, mounted by `cli.py` with `app.add_typer(tokens_app, name="tokens")`. Each
command builds the container with a `NullNudger` and settles the staff tokens projection
itself, so a token works (or stops working) from the next API request, in any process.

A token is printed once, by `create`: the log and the views hold its SHA-256 alone.
Exit codes: 0 done; 1 refused or not found (an unknown token id); 2 bad input or settings.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from calendar_service.cli import options

if TYPE_CHECKING:
    from calendar_service.projections.staff_tokens import StaffTokenRow

tokens_app = options.command_group(
    "Staff tokens for the HTTP API: who may write (and administer), recorded in the log."
)


def _as_json(row: StaffTokenRow) -> dict[str, object]:
    return {
        "token_id": row.token_id,
        "actor": row.actor,
        "admin": row.admin,
        "clearance": row.clearance_of.value,
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
    clearance: Annotated[
        str | None,
        typer.Option(
            "--clearance",
            help="public, staff or restricted: the widest audience it reads through the API "
            "(default staff; restricted with --admin, which allows no other).",
        ),
    ] = None,
    store: options.StoreOption = None,
    by: options.ByOption = None,
    as_json: options.JsonOption = False,
) -> None:
    """Create a staff token and print it, once: only its hash is kept, so copy it now.

    Send it to the API as the header 'Authorization: Bearer <token>'.
    """
    from calendar_service.domain import Audience
    from calendar_service.staff.tokens import issue_token

    if clearance is not None and clearance not in {a.value for a in Audience}:
        options.fail(f"--clearance {clearance!r}: use public, staff or restricted")

    with (
        options.container(options.settings(store=store)) as built,
        options.refusals("token not created", bad_input=""),
    ):
        issued = issue_token(
            built.store,
            built.projector,
            actor=actor,
            admin=admin,
            clearance=None if clearance is None else Audience(clearance),
            by=options.who(by),
        )
    row = issued.row
    if as_json:
        typer.echo(json.dumps({**_as_json(row), "token": issued.token}, ensure_ascii=False))
        return
    kind = "admin token" if row.admin else "staff token"
    typer.echo(
        f"{kind} {row.token_id} created for {row.actor!r} (clearance {row.clearance_of.value})"
    )
    typer.echo(f"  token: {issued.token}")
    typer.echo(
        "The token is shown this once; the log keeps only its hash. Use it as the header "
        "'Authorization: Bearer <token>'. Revoke it with: "
        f"calendar-service tokens revoke {row.token_id}"
    )


@tokens_app.command("list")
def list_(store: options.StoreOption = None, as_json: options.JsonOption = False) -> None:
    """Every staff token: id, actor, admin or not, when created and by whom, and whether
    revoked (never the token itself: none is stored)."""
    from calendar_service.cli.render import life_cells
    from calendar_service.staff.tokens import list_tokens

    with options.container(options.settings(store=store)) as built:
        rows = list_tokens(built.projector)
    options.print_rows(
        rows,
        as_json,
        _as_json,
        "no staff tokens yet: create one with `calendar-service tokens create`",
        Table("token", "actor", "rights", "clearance", "created", "status", title="staff tokens"),
        lambda row: (
            row.token_id,
            escape(row.actor),
            "admin" if row.admin else "staff",
            row.clearance_of.value,
            *life_cells(row),
        ),
    )


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `tokens list` shows it.")],
    reason: options.ReasonOption = None,
    store: options.StoreOption = None,
    by: options.ByOption = None,
) -> None:
    """Revoke a staff token for good: the API refuses it from the next request on."""
    from calendar_service.domain import DomainError
    from calendar_service.domain.staff_tokens import (
        RevokeStaffToken,
        StaffTokenNotFound,
        check_token_id,
    )

    try:
        check_token_id(token_id)
    except DomainError as error:
        options.fail(f"{error}; list the tokens with `calendar-service tokens list`")
    said = (
        f"staff token {token_id} revoked: the API refuses it from now on",
        f"staff token {token_id} was already revoked: nothing to do",
    )
    command = RevokeStaffToken(token_id=token_id, reason=reason)
    options.settle_end(store, command, options.who(by), said, not_found=(StaffTokenNotFound,))

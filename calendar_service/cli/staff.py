"""`calendar-service staff add|list|remove`: who gets reminders by email or webhook.

A Typer sub-app, mounted by `cli.py` with `app.add_typer(staff_app, name="staff")`. Each
command builds the container with a `NullNudger` and settles the subscriptions projection
itself, so the next reminder delivered, in any process, already uses the change.

Exit codes: 0 done; 1 refused or not found (an unknown staff id); 2 bad input or settings.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from calendar_service.cli import options

staff_app = options.command_group(
    "Staff notification subscriptions: who gets reminders, by email or the team webhook."
)
StaffIdArgument = Annotated[
    str, typer.Argument(help="The staff member's id: a slug such as 'kim-minji'.")
]


def _describe(row: dict[str, Any]) -> str:
    how = ", ".join(
        f"email to {row['email']}" if channel == "email" else "the team webhook"
        for channel in row["channels"]
    )
    return f"{row['staff_id']} ({row['name']}): {how}; {row['audience']} audience; in {row['lang']}"


@staff_app.command("add")
def add(
    staff_id: StaffIdArgument,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="The person's name, as mail greets them (default: from the id, "
            "'kim-minji' is 'Kim Minji').",
        ),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Address for the email channel.")
    ] = None,
    audience: Annotated[
        str,
        typer.Option(
            "--audience",
            help="Remind of engagements up to this audience: public, staff or restricted.",
        ),
    ] = "staff",
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", help="email and/or webhook; repeat for both (default: email)."),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of reminders: en, ko or zh.")
    ] = "en",
    store: options.StoreOption = None,
    by: options.ByOption = None,
    as_json: options.JsonOption = False,
) -> None:
    """Subscribe a staff member to reminders, or change their subscription to exactly this."""
    from calendar_service.domain import Audience, Channel, SubscribeStaff
    from calendar_service.staff.subscriptions import subscribe

    try:
        chosen = Audience(audience)
    except ValueError:
        options.fail(f"--audience {audience!r}: use public, staff or restricted")
    names = channel or ["email"]
    try:
        channels = frozenset(Channel(name) for name in names)
    except ValueError:
        options.fail(f"--channel {names!r}: use email and/or webhook")
    with (
        options.container(options.settings(store=store)) as built,
        options.refusals("not subscribed"),
    ):
        command = SubscribeStaff(
            staff_id=staff_id,
            name=name or _name_from(staff_id),
            email=email,
            audience=chosen,
            channels=channels,
            lang=lang,
        )
        row = subscribe(built.store, built.projector, command, actor=options.who(by))
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False))
    else:
        options.out().print(escape(f"subscribed {_describe(row)}"))


def _name_from(staff_id: str) -> str:
    """'kim-minji' is 'Kim Minji': a greeting until a name is given."""
    return " ".join(part.capitalize() for part in staff_id.replace("_", "-").split("-") if part)


@staff_app.command("list")
def list_(
    include_all: Annotated[
        bool, typer.Option("--all", help="Include those who unsubscribed.")
    ] = False,
    store: options.StoreOption = None,
    as_json: options.JsonOption = False,
) -> None:
    """Every staff member who gets reminders, and how."""
    from calendar_service.staff.subscriptions import list_subscriptions

    with options.container(options.settings(store=store)) as built:
        rows = list_subscriptions(built.projector, include_inactive=include_all)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    console = options.out()
    if not rows:
        console.print("no staff subscriptions: add one with `calendar-service staff add`")
        return
    table = Table("staff id", "name", "email", "channels", "audience", "lang", "active")
    for row in rows:
        table.add_row(
            escape(row["staff_id"]),
            escape(row["name"]),
            escape(row["email"] or ""),
            ", ".join(row["channels"]),
            row["audience"],
            row["lang"],
            "yes" if row["active"] else "no",
        )
    console.print(table)


@staff_app.command("remove")
def remove(
    staff_id: StaffIdArgument,
    reason: options.ReasonOption = None,
    store: options.StoreOption = None,
    by: options.ByOption = None,
) -> None:
    """Stop reminders to a staff member (the subscription's history stays in the log)."""
    from calendar_service.domain import StaffNotFound, UnsubscribeStaff

    options.settle_end(
        store,
        UnsubscribeStaff(staff_id=staff_id, reason=reason),
        options.who(by),
        (f"unsubscribed {staff_id}", f"{staff_id} was already unsubscribed"),
        not_found=(StaffNotFound,),
        incomplete="not unsubscribed",
        echo=options.out().print,
    )

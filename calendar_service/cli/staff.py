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


_HOW = {
    "email": "email to {email}",
    "webhook": "the team webhook",
    "invite": "calendar invitations to {email}",
}


def _describe(row: dict[str, Any]) -> str:
    how = ", ".join(_HOW[channel].format(email=row["email"]) for channel in row["channels"])
    changes = row.get("changes", "none")
    if changes == "digest":
        clock = row.get("timezone") or "the office's clock"
        changes = f"digest at {row.get('digest_at')} ({clock})"
    return (
        f"{row['staff_id']} ({row['name']}): {how}; {row['audience']} audience; "
        f"in {row['lang']}; changes: {changes}"
    )


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
        typer.Option(
            "--channel",
            help="email, webhook and/or invite (calendar invitations by email); repeat for "
            "more than one (default: email).",
        ),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of reminders: en, ko or zh.")
    ] = "en",
    changes: Annotated[
        str,
        typer.Option(
            "--changes",
            help="Change notices: immediate (each change within minutes), digest (one message "
            "a day at --digest-at) or none.",
        ),
    ] = "immediate",
    digest_at: Annotated[
        str, typer.Option("--digest-at", help="The digest's local time, HH:MM.")
    ] = "18:00",
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="The subscriber's clock (default: the office's)."),
    ] = None,
    invite_deadlines: Annotated[
        bool,
        typer.Option(
            "--invite-deadlines", help="With --channel invite: deadline items as invitations too."
        ),
    ] = False,
    store: options.StoreOption = None,
    by: options.ByOption = None,
    as_json: options.JsonOption = False,
) -> None:
    """Subscribe a staff member to reminders, or change their subscription to exactly this."""
    from calendar_service.domain import Audience, ChangeNotices, Channel, SubscribeStaff
    from calendar_service.staff.subscriptions import subscribe

    try:
        chosen = Audience(audience)
    except ValueError:
        options.fail(f"--audience {audience!r}: use public, staff or restricted")
    names = channel or ["email"]
    try:
        channels = frozenset(Channel(name) for name in names)
    except ValueError:
        options.fail(f"--channel {names!r}: use email, webhook and/or invite")
    try:
        notices = ChangeNotices(changes)
    except ValueError:
        options.fail(f"--changes {changes!r}: use immediate, digest or none")
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
            changes=notices,
            digest_at=digest_at,
            timezone=timezone,
            invite_deadlines=invite_deadlines,
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
    table = Table()
    table.add_column("staff id", no_wrap=True)  # what `staff add` and `remove` take, whole
    for header in ("name", "email", "channels", "audience", "lang", "changes", "active"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(
            escape(row["staff_id"]),
            escape(row["name"]),
            escape(row["email"] or ""),
            ", ".join(row["channels"]),
            row["audience"],
            row["lang"],
            row.get("changes", "none"),
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

"""`calendar-service reminders retry REMINDER_ID`: try a failed reminder again.

A Typer sub-app, mounted by `cli.main` with `app.add_typer(reminders_app, name="reminders")`.
The retry is a `RetryReminder` settled through the write path (`service.settle`): it records
`ReminderRetried` for the channels that failed, the reminder schedule shows the reminder
pending again, and the scheduler hands it on within seconds; each channel then gets a new
grace period from the retry.

Exit codes: 0 done; 1 the log cannot be reached; 2 bad input (not a reminder id, or a
reminder whose failure is not recorded).
"""

from __future__ import annotations

from typing import Annotated

import typer

from calendar_service.cli import options

reminders_app = options.command_group("Reminders: try a failed one again.")


@reminders_app.command("retry")
def retry(
    reminder_id: Annotated[
        str,
        typer.Argument(
            help="The reminder id, as `history --json` shows it: 'ENGAGEMENT|start-P1D|v1'."
        ),
    ],
    store: options.StoreOption = None,
    by: options.ByOption = None,
) -> None:
    """Try a failed reminder again, by the channels that failed (the history shows it)."""
    from calendar_service.domain import EngagementId, ReminderKey, RetryReminder
    from calendar_service.service import Envelope, settle

    with options.refusals("retry not settled", bad_input="cannot retry: "):
        key = ReminderKey.parse(reminder_id)
        command = RetryReminder(engagement_id=EngagementId(key.engagement_id), reminder_id=str(key))
        with options.container(options.settings(store=store)) as built:
            settle(built.store, built.projector, command, Envelope(options.who(by)), built.clock)
    options.out().print(f"reminder {key} will be tried again")

"""`calendar-service reminders retry ID` on the embedded store: a recorded failure is tried
again (ReminderRetried in the log, the reminder pending again); anything else is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calendar_service.bootstrap import build
from calendar_service.cli import app
from calendar_service.config import Settings
from calendar_service.domain import (
    DeliveryFailure,
    EngagementId,
    RecordOutcome,
    ReminderFailed,
)
from calendar_service.projections.reminders_due import reminder, reminders_of
from calendar_service.service import REMINDER_OUTCOMES, Envelope, handle
from tests.reminders_support import due_soon, wait_until

runner = CliRunner()


def test_a_failed_reminder_is_retried_once_and_anything_else_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    monkeypatch.setenv("CALENDAR_STORE", url)
    container = build(Settings(store=url))
    try:
        for command in due_soon("talks", due_in=60):
            container.execute(command, Envelope(actor="kim"))
        # The container's own thread catches up too: wait for the schedule, not for a pass.
        wait_until(lambda: bool(reminders_of(container.views, "talks")), 10, "the schedule")
        rows = reminders_of(container.views, "talks")
        rid = next(str(r["reminder_id"]) for r in rows if r["offset"] == "start-PT30S")
        refused = runner.invoke(app, ["reminders", "retry", rid])
        assert refused.exit_code == 2, refused.output
        assert "only a reminder whose failure is recorded can be retried" in refused.output
        assert runner.invoke(app, ["reminders", "retry", "not-an-id"]).exit_code == 2

        failed = ReminderFailed(
            engagement_id=EngagementId("talks"),
            reminder_id=rid,
            offset="start-PT30S",
            due_at=datetime.now(UTC) + timedelta(minutes=1),
            failures=(DeliveryFailure(channel="email", to="kim@example.org", error="refused"),),
            channel="email",
        )
        handle(
            container.store, REMINDER_OUTCOMES, RecordOutcome(outcome=failed), Envelope("w"),
            container.clock,
        )  # fmt: skip
        done = runner.invoke(app, ["reminders", "retry", rid, "--by", "ops"])
        assert done.exit_code == 0, done.output
        assert f"reminder {rid} will be tried again" in done.output
        stream = container.store.read_stream("reminders:talks")
        assert [e.type for e in stream] == ["ReminderFailed", "ReminderRetried"]
        assert stream[-1].data["channels"] == ["email"]
        wait_until(
            lambda: (reminder(container.views, rid) or {}).get("retry") is not None, 10, "retry"
        )
        again = reminder(container.views, rid)
        assert again is not None
        assert again["status"] == "pending"
        assert again["retry"]["channels"] == ["email"]
        assert runner.invoke(app, ["reminders", "retry", rid]).exit_code == 2  # not failed now
    finally:
        container.close()

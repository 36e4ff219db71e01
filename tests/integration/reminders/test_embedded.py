"""The embedded mode: no broker, the same scheduler and delivery in a thread of the server
process, on the SQLite store, with a real SMTP server."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calendar_service.bootstrap import Container, build
from calendar_service.config import Settings
from calendar_service.domain import Channel, SubscribeStaff
from calendar_service.read.history import engagement_events, history_rows
from calendar_service.service import Envelope
from calendar_service.staff.subscriptions import subscribe
from tests.reminders_support import SmtpSink, due_soon, wait_until
from workers.scheduler import start_embedded


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def container(tmp_path: Path, smtp: SmtpSink) -> Iterator[Container]:
    settings = Settings(
        store=f"sqlite:///{tmp_path / 'events.db'}",
        smtp_url=smtp.url,
        scheduler_lock_ttl=1.0,
        scheduler_nudge_interval=0.5,
        reminder_claim_ttl=2.0,
    )
    found = build(settings)
    yield found
    found.close()


def test_a_reminder_arrives_once_from_the_server_process_and_a_second_scheduler_stands_by(
    container: Container, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="workers.scheduler")
    first = start_embedded(container)
    second = start_embedded(container)
    try:
        subscribe(
            container.store,
            container.projector,
            SubscribeStaff(
                staff_id="kim",
                name="Kim",
                email="kim@example.org",
                channels=frozenset({Channel.EMAIL}),
            ),
            actor="admin",
        )
        for command in due_soon("embedded-talks", due_in=2.5, channels=("email",)):
            container.execute(command, Envelope(actor="kim"))
        wait_until(lambda: len(smtp.messages) >= 1, 15, "the reminder by email")
        time.sleep(1.0)
        assert len(smtp.messages) == 1
        assert smtp.messages[0].message["To"] == "kim@example.org"
        assert "standby" in caplog.text
        rows = history_rows(engagement_events(container.store, "embedded-talks"))
        assert rows[-1].what == "reminder sent"
        assert "by email to kim@example.org" in rows[-1].change
    finally:
        second.stop()
        first.stop()

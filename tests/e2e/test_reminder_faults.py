"""Reminders under faults, end to end (issue 13, "It must show" 5 and 6): real Redis, a real
`celery -A workers worker`, real `calendar-service scheduler` processes, an aiosmtpd SMTP
server and an HTTP webhook receiver, with the production defaults for the claim's lease
(CALENDAR_REMINDER_CLAIM_TTL=8) and the scheduler lock (CALENDAR_SCHEDULER_LOCK_TTL=15).

Each test prints what it measured (`pytest -s` shows it). One staff member, Kim, takes
reminders by email and by the team webhook.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calendar_service.bootstrap import build
from calendar_service.domain import Channel, SubscribeStaff
from calendar_service.projections import PROJECTION_NAMES
from calendar_service.staff.subscriptions import subscribe
from tests.e2e.test_reminders import (
    KIM,
    Deployment,
    _env,
    _forget,
    _new_id,
    _settings,
    _settings_env,
    history_types,
)
from tests.reminders_support import (
    REPO,
    SCHEDULER_ACTIVE,
    SCHEDULER_STANDBY,
    WORKER_READY,
    SmtpSink,
    WebhookSink,
    due_soon,
    scheduler,
    start_of,
    wait_until,
    worker,
)
from workers.nudge import celery_nudger

pytestmark = pytest.mark.slow
CLAIM_TTL = 8.0  # the defaults
LOCK_TTL = 15.0
RETRY_CAP = "3"  # seconds between attempts at most, so the tests wait little after an outage


@contextmanager
def _deployed(redis_url: str, directory: Path, grace: str) -> Iterator[Deployment]:
    prefix = f"test-faults-{uuid.uuid4().hex[:10]}"
    broker = redis_url.rsplit("/", 1)[0] + "/15"
    smtp, hooks = SmtpSink().start(), WebhookSink().start()
    values = _settings_env(
        f"{redis_url}?prefix={prefix}",
        broker,
        smtp,
        hooks,
        REMINDER_GRACE=grace,
        REMINDER_CLAIM_TTL=str(CLAIM_TTL),
        SCHEDULER_LOCK_TTL=str(LOCK_TTL),
        REMINDER_RETRY_CAP=RETRY_CAP,
        NOTIFY_TIMEOUT="3",
    )
    env, settings = _env(values), _settings(values)
    container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
    found = Deployment(
        container, smtp, hooks, worker(env, directory), scheduler(env, directory), env, directory
    )
    try:
        found.worker.start(None)
        found.scheduler.start(None)
        found.worker.wait_for(WORKER_READY)
        found.scheduler.wait_for(SCHEDULER_ACTIVE)
        subscribe(
            container.store,
            container.projector,
            SubscribeStaff(
                staff_id="kim-minji",
                name="Kim Minji",
                email=KIM,
                channels=frozenset({Channel.EMAIL, Channel.WEBHOOK}),
            ),
            actor="admin",
        )
        yield found
    finally:
        found.scheduler.kill()
        found.worker.kill()
        container.close()
        smtp.stop()
        hooks.stop()
        _forget(redis_url, prefix)
        _forget(broker, prefix)


@pytest.fixture(scope="module")
def deployment(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Grace PT15M, the default."""
    with _deployed(redis_url, tmp_path_factory.mktemp("faults"), "PT15M") as found:
        yield found


def _wait_for_moment(moment: datetime) -> None:
    pause = (moment - datetime.now(UTC)).total_seconds()
    if pause > 0:
        time.sleep(pause)


def _data(deployment: Deployment, engagement_id: str) -> list[dict[str, Any]]:
    stream = deployment.container.store.read_stream(f"reminders:{engagement_id}")
    return [{"type": event.type, **event.data} for event in stream]


def test_an_smtp_outage_shorter_than_the_grace_delays_the_email_which_then_arrives_once(
    deployment: Deployment,
) -> None:
    """SMTP down from 5 s before the due time to 90 s after it (grace PT15M)."""
    eid = _new_id("smtp-outage")
    commands = due_soon(eid, due_in=7)
    deployment.record(*commands)
    rid = deployment.rid(eid)
    due = start_of(commands) - timedelta(seconds=30)
    _wait_for_moment(due - timedelta(seconds=5))
    deployment.smtp.stop()
    try:
        wait_until(lambda: len(deployment.hooks.delivered(rid)) == 1, 15, "the webhook, on time")
        _wait_for_moment(due + timedelta(seconds=90))
        assert deployment.smtp.for_reminder(rid) == []
        assert deployment.outcomes(eid) == []  # still being retried
    finally:
        deployment.smtp.start()
    back = time.time()
    wait_until(lambda: len(deployment.emails(rid)) >= 1, 20, "the email after SMTP returned")
    (arrived,) = deployment.smtp.for_reminder(rid)
    wait_until(lambda: deployment.outcomes(eid) != [], 10, "the outcome")
    time.sleep(CLAIM_TTL)  # a doubled email would have come by now (a refire, a redelivery)
    assert deployment.emails(rid) == [KIM]
    assert len(deployment.hooks.delivered(rid)) == 1
    assert deployment.outcomes(eid) == [("ReminderSent", rid)]
    (sent,) = _data(deployment, eid)
    assert sorted(d["channel"] for d in sent["deliveries"]) == ["email", "webhook"]
    wait_until(lambda: "ReminderSent" in history_types(deployment, eid), 10, "history")
    print(
        f"\nSMTP outage due-5 s..due+90 s: email {arrived.at - back:.1f} s after SMTP returned "
        f"({arrived.at - due.timestamp():.1f} s after due), once; webhook once, on time"
    )


def test_an_smtp_outage_longer_than_the_grace_fails_the_email_only_and_an_operator_retries_it(
    redis_url: str, tmp_path: Path
) -> None:
    """Grace PT20S; SMTP down from before the due time until well after the grace."""
    with _deployed(redis_url, tmp_path, "PT20S") as deployment:
        eid = _new_id("smtp-long-outage")
        commands = due_soon(eid, due_in=4)
        deployment.record(*commands)
        rid = deployment.rid(eid)
        due = start_of(commands) - timedelta(seconds=30)
        deployment.smtp.stop()
        try:
            wait_until(lambda: deployment.outcomes(eid) != [], 45, "the outcomes after the grace")
            settled = datetime.now(UTC)
        finally:
            deployment.smtp.start()
        assert settled >= due + timedelta(seconds=20)
        time.sleep(1.0)
        sent, failed = _data(deployment, eid)
        assert (sent["type"], failed["type"]) == ("ReminderSent", "ReminderFailed")
        assert [d["channel"] for d in sent["deliveries"]] == ["webhook"]
        assert failed["channel"] == "email"
        assert [f["to"] for f in failed["failures"]] == [KIM]
        attempts = failed["attempts"]
        assert attempts >= 4  # retried through the grace
        assert len(deployment.hooks.delivered(rid)) == 1
        assert deployment.smtp.for_reminder(rid) == []

        def both_in_history() -> bool:
            types = history_types(deployment, eid)
            return "ReminderSent" in types and "ReminderFailed" in types

        wait_until(both_in_history, 10, "both outcomes in the history")
        shown = subprocess.run(
            [sys.executable, "-m", "calendar_service", "history", eid],
            env=deployment.env, cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert "not sent by email after" in shown.stdout
        assert "sent by the team webhook" in shown.stdout

        listed = subprocess.run(
            [sys.executable, "-m", "calendar_service", "history", eid, "--json"],
            env=deployment.env, cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
        (failed_row,) = [row for row in rows if row["event_type"] == "ReminderFailed"]
        assert failed_row["reminder_id"] == rid  # what the operator retries

        # The operator's retry, once the mail server is back: the email only, once.
        retried = subprocess.run(
            [sys.executable, "-m", "calendar_service", "reminders", "retry", rid, "--by", "ops"],
            env=deployment.env, cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert retried.returncode == 0, retried.stderr
        wait_until(lambda: deployment.emails(rid) == [KIM], 20, "the retried email")
        wait_until(lambda: len(deployment.outcomes(eid)) == 4, 10, "the retry's outcome")
        time.sleep(2.0)
        assert deployment.emails(rid) == [KIM]
        assert len(deployment.hooks.delivered(rid)) == 1
        kinds = [kind for kind, _ in deployment.outcomes(eid)]
        assert kinds == ["ReminderSent", "ReminderFailed", "ReminderRetried", "ReminderSent"]
        print(
            f"\nSMTP outage beyond a PT20S grace: outcomes {(settled - due).total_seconds():.1f} s "
            f"after due, email failed after {attempts} attempts, webhook sent"
        )


def test_a_worker_killed_during_a_slow_send_and_restarted_delivers_once_at_most_20_s_late(
    deployment: Deployment,
) -> None:
    smtp = deployment.smtp
    smtp.stalled.clear()
    smtp.stall_next_rcpt = 30
    eid = _new_id("killed-worker")
    commands = due_soon(eid, due_in=3)
    deployment.record(*commands)
    rid = deployment.rid(eid)
    due = start_of(commands) - timedelta(seconds=30)
    wait_until(smtp.stalled.is_set, 20, "a slow send under way")
    time.sleep(1.0)
    deployment.worker.kill()
    killed = time.time()
    time.sleep(3.0)
    deployment.worker.start(WORKER_READY)
    wait_until(lambda: len(deployment.emails(rid)) >= 1, 30, "the email after the crash")
    (arrived,) = smtp.for_reminder(rid)
    wait_until(lambda: deployment.outcomes(eid) != [], 10, "the outcome")
    time.sleep(CLAIM_TTL)
    late = arrived.at - due.timestamp()
    assert deployment.emails(rid) == [KIM]
    assert len(deployment.hooks.delivered(rid)) == 1
    assert deployment.outcomes(eid) == [("ReminderSent", rid)]
    assert late <= 20, late
    print(f"\nworker killed 1 s into a slow send: email {late:.1f} s late "
          f"({arrived.at - killed:.1f} s after the kill), once")  # fmt: skip


def test_a_killed_schedulers_standby_takes_over_within_the_bound_and_a_stopped_one_at_once(
    deployment: Deployment,
) -> None:
    """Documented bound (docs/reminders.md): CALENDAR_SCHEDULER_LOCK_TTL and a second."""
    standby = scheduler(deployment.env, deployment.directory, "standby")
    third = scheduler(deployment.env, deployment.directory, "third")
    try:
        standby.start(SCHEDULER_STANDBY)
        eid = _new_id("scheduler-killed")
        commands = due_soon(eid, due_in=2)
        deployment.record(*commands)
        rid = deployment.rid(eid)
        due = start_of(commands) - timedelta(seconds=30)
        deployment.scheduler.kill()  # SIGKILL: its lock stays until it expires
        killed = time.time()
        wait_until(lambda: len(deployment.emails(rid)) >= 1, LOCK_TTL + 15, "after failover")
        (arrived,) = deployment.smtp.for_reminder(rid)
        took_over = arrived.at - killed
        assert SCHEDULER_ACTIVE in standby.output()
        assert took_over <= LOCK_TTL + 1 + 3, took_over  # the bound, and 3 s to deliver
        wait_until(lambda: deployment.outcomes(eid) != [], 10, "the outcome")
        assert deployment.emails(rid) == [KIM]

        # A clean shutdown releases the lock: a waiting scheduler takes over at once.
        third.start(SCHEDULER_STANDBY)
        deployment.scheduler = third  # the module's scheduler from here on (and killed by it)
        stopping = time.monotonic()
        standby.stop()
        stopped = time.monotonic() - stopping
        third.wait_for(SCHEDULER_ACTIVE, LOCK_TTL)
        handover = time.monotonic() - stopping
        assert handover < stopped + 3, (stopped, handover)  # not the lock's 15 s
        print(
            f"\nscheduler SIGKILLed: standby's reminder out {took_over:.1f} s after the kill "
            f"({arrived.at - due.timestamp():.1f} s late; bound {LOCK_TTL:.0f} s + 1 s); "
            f"SIGTERM: next scheduler active {handover:.1f} s after it (stop took {stopped:.1f} s)"
        )
    finally:
        standby.kill()

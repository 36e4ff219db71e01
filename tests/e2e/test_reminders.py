"""Reminders end to end: real Redis, a real `celery -A workers worker`, real `calendar-service
scheduler` processes, a real SMTP server (aiosmtpd) and a real HTTP server for the webhook.

One deployment serves the module (a Redis prefix that also names the Celery queue on broker db
15; one worker, one scheduler, started once); the tests that kill or stop them leave them
running for the next. Reminders are due a few seconds ahead: each engagement's policy puts its
one reminder 30 s before a start 30-odd seconds away. Issue 6's "must show" items 1 to 6.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from icalendar import Calendar

from calendar_service.bootstrap import Container, build, link_secret
from calendar_service.config import Settings
from calendar_service.domain import (
    Audience,
    Cancel,
    Channel,
    Command,
    EngagementId,
    ExactWhen,
    Reschedule,
    SubscribeStaff,
    UnsubscribeStaff,
)
from calendar_service.feed import page_signature_ok
from calendar_service.projections import PROJECTION_NAMES
from calendar_service.read import engagement_history
from calendar_service.service import Envelope, settle
from calendar_service.staff.subscriptions import subscribe
from tests.conftest import start_redis_server
from tests.e2e.server import served
from tests.reminders_support import (
    SCHEDULER_ACTIVE,
    SCHEDULER_STANDBY,
    WORKER_READY,
    Proc,
    SmtpSink,
    WebhookSink,
    due_soon,
    free_port,
    scheduler,
    start_of,
    wait_until,
    worker,
)
from workers.nudge import celery_nudger

pytestmark = pytest.mark.slow
GRACE = 6
SECRET = "hook-s3cret"
KIM, PARK = "kim@example.org", "park@example.org"


def _settings_env(
    store: str, broker: str, smtp: SmtpSink, hooks: WebhookSink, **more: str
) -> dict[str, str]:
    return {
        "STORE": store,
        "BROKER": broker,
        "REDIS_ALLOW_EPHEMERAL": "true",
        "SMTP_URL": smtp.url,
        "MAIL_FROM": "calendar@gg.go.kr",
        "WEBHOOK_URL": hooks.url,
        "WEBHOOK_SECRET": SECRET,
        "BASE_URL": "https://calendar.gg.example",
        "REMINDER_GRACE": f"PT{GRACE}S",
        "REMINDER_RETRIES": "2",
        "REMINDER_CLAIM_TTL": "3",
        "NOTIFY_TIMEOUT": "5",
        "SCHEDULER_LOCK_TTL": "2",
        "SCHEDULER_RECONCILE_INTERVAL": "5",
        "SCHEDULER_NUDGE_INTERVAL": "0.5",
        "PROJECTION_LOCK_TTL": "1.5",
        **more,
    }


@dataclass
class Deployment:
    container: Container
    smtp: SmtpSink
    hooks: WebhookSink
    worker: Proc
    scheduler: Proc
    env: dict[str, str]
    directory: Path

    def record(self, *commands: Command) -> None:
        for command in commands:
            self.container.execute(command, Envelope(actor="kim.minji"))

    def emails(self, rid: str) -> list[str]:
        return sorted(to for m in self.smtp.for_reminder(rid) for to in m.rcpt)

    def outcomes(self, engagement_id: str) -> list[tuple[str, str]]:
        stream = self.container.store.read_stream(f"reminders:{engagement_id}")
        return [(event.type, str(event.data["reminder_id"])) for event in stream]

    def rid(self, engagement_id: str, label: str = "start-PT30S", other_than: str = "") -> str:
        """The reminder id of the engagement's current schedule (once it is not `other_than`)."""
        from calendar_service.projections.reminders_due import reminders_of

        def found() -> bool:
            return any(
                r["offset"] == label and r["reminder_id"] != other_than
                for r in reminders_of(self.container.views, engagement_id)
            )

        wait_until(found, 10, f"the reminder of {engagement_id} scheduled")
        rows = reminders_of(self.container.views, engagement_id)
        return str(
            next(
                r["reminder_id"]
                for r in rows
                if r["offset"] == label and r["reminder_id"] != other_than
            )
        )


def _env(values: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    env.update({f"CALENDAR_{k}": v for k, v in values.items()})
    return env


def _settings(values: dict[str, str]) -> Settings:
    options: dict[str, Any] = {k.lower(): v for k, v in values.items()}
    return Settings(**options)


def _forget(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"*{prefix}*", count=1000):
            client.delete(key)
        for tag, raw in client.hscan_iter("unacked"):
            if prefix.encode() in raw:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


@pytest.fixture(scope="module")
def deployment(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    prefix = f"test-rem-{uuid.uuid4().hex[:10]}"
    broker = redis_url.rsplit("/", 1)[0] + "/15"
    smtp, hooks = SmtpSink().start(), WebhookSink().start()
    values = _settings_env(f"{redis_url}?prefix={prefix}", broker, smtp, hooks)
    env, settings = _env(values), _settings(values)
    directory = tmp_path_factory.mktemp("reminders")
    container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
    found = Deployment(
        container, smtp, hooks, worker(env, directory), scheduler(env, directory), env, directory
    )
    extra: list[Proc] = []
    try:
        found.worker.start(None)
        found.scheduler.start(None)
        found.worker.wait_for(WORKER_READY)
        found.scheduler.wait_for(SCHEDULER_ACTIVE)
        for staff_id, email, lang, channels in [
            ("kim-minji", KIM, "ko", {Channel.EMAIL, Channel.WEBHOOK}),
            ("park-jisoo", PARK, "en", {Channel.EMAIL}),
        ]:
            subscribe(
                container.store,
                container.projector,
                SubscribeStaff(
                    staff_id=staff_id,
                    name=staff_id.replace("-", " ").title(),
                    email=email,
                    channels=frozenset(channels),
                    lang=lang,
                ),
                actor="admin",
            )
        yield found
    finally:
        for proc in [found.scheduler, found.worker, *extra]:
            proc.kill()
        container.close()
        smtp.stop()
        hooks.stop()
        _forget(redis_url, prefix)
        _forget(broker, prefix)


def _new_id(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}"


def history_types(deployment: Deployment, engagement_id: str) -> list[str]:
    """The event types of the engagement's history, as `history` and the page show it."""
    history = engagement_history(deployment.container.store, engagement_id)
    return [] if history is None else [row.event_type for row in history.rows]


def test_a_reminder_arrives_once_by_email_and_by_webhook_with_its_content(
    deployment: Deployment,
) -> None:
    eid = _new_id("trade-talks")
    commands = due_soon(eid, due_in=3)
    deployment.record(*commands)
    rid = deployment.rid(eid)

    wait_until(lambda: len(deployment.emails(rid)) >= 2, 15, "both emails")
    wait_until(lambda: len(deployment.hooks.delivered(rid)) >= 1, 5, "the webhook")
    time.sleep(1.5)  # anything doubled would have arrived by now
    assert deployment.emails(rid) == [KIM, PARK]
    assert len(deployment.hooks.attempts(rid)) == 1

    due = start_of(commands) - timedelta(seconds=30)
    kim = next(m for m in deployment.smtp.for_reminder(rid) if KIM in m.rcpt)
    assert kim.at >= due.timestamp() - 1
    message = kim.message
    assert message["Subject"] == "알림: 랴오닝 무역 회담 — 30초 후 시작"
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    text = plain.get_content()
    local = start_of(commands).astimezone(ZoneInfo("Asia/Shanghai"))
    seoul = local + timedelta(hours=1)
    (when_line,) = [line for line in text.splitlines() if line.startswith("일시: ")]
    assert f"{local:%H:%M}" in when_line  # Dalian's clock
    assert "(다롄 시각)" in when_line
    (seoul_line,) = [line for line in text.splitlines() if line.startswith("서울 시각: ")]
    # and Seoul's, an hour ahead: past 23:00 in Dalian the Seoul range crosses midnight and
    # names both days ("22:22 – 2026년 12월 4일 00:22"), so look for the start, not its dash
    assert f"{seoul:%Y}년" in seoul_line
    assert f"{seoul:%H:%M}" in seoul_line
    assert "다롄 국제회의센터" in text
    (link,) = set(re.findall(r"https://calendar\.gg\.example/\S+", text))
    page = urlsplit(link)
    query = {name: value for name, (value,) in parse_qs(page.query).items()}
    assert (page.path, query["a"], query["l"]) == (f"/e/{eid}", "staff", "ko")
    key = link_secret(deployment.container.settings)
    assert page_signature_ok(key, eid, "staff", "ko", query["s"])
    html = rich.get_content()
    assert f'href="{link.replace("&", "&amp;")}"' in html
    (ics,) = message.iter_attachments()
    (event,) = Calendar.from_ical(ics.get_content().encode()).walk("VEVENT")
    assert eid in str(event["UID"])
    park = next(m for m in deployment.smtp.for_reminder(rid) if PARK in m.rcpt).message
    assert park["Subject"] == "Reminder: Liaoning trade talks starts in 30 seconds"

    (hook,) = deployment.hooks.delivered(rid)
    stamp = hook.headers["X-Calendar-Timestamp"]
    mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + hook.body, hashlib.sha256)
    assert hook.headers["X-Calendar-Signature"] == f"sha256={mac.hexdigest()}"
    payload = hook.json()
    assert "랴오닝 무역 회담" in payload["text"]
    assert payload["engagement"]["id"] == eid
    assert f"/e/{eid}?a=staff&l=ko&s=" in payload["engagement"]["url"]
    assert payload["recipients"] == ["Kim Minji"]

    assert deployment.outcomes(eid) == [("ReminderSent", rid)]

    def in_history() -> bool:
        history = engagement_history(deployment.container.store, eid)
        return history is not None and [r.event_type for r in history.rows][-1:] == ["ReminderSent"]

    wait_until(in_history, 10, "ReminderSent in the engagement's history")


def test_a_rescheduled_reminder_is_sent_for_the_new_time_only_and_a_cancelled_one_never(
    deployment: Deployment,
) -> None:
    moved, cancelled = _new_id("moved"), _new_id("cancelled")
    first = due_soon(moved, due_in=3)
    deployment.record(*first, *due_soon(cancelled, due_in=3))
    old_rid, cancelled_rid = deployment.rid(moved), deployment.rid(cancelled)
    start = start_of(first) + timedelta(seconds=4)
    deployment.record(
        Reschedule(
            engagement_id=EngagementId(moved),
            when=ExactWhen(start, start + timedelta(hours=2), "Asia/Shanghai"),
        ),
        Cancel(engagement_id=EngagementId(cancelled), reason="The delegation postponed it"),
    )
    new_rid = deployment.rid(moved, other_than=old_rid)

    wait_until(lambda: len(deployment.emails(new_rid)) >= 2, 15, "the moved reminder")
    time.sleep(1.0)
    assert deployment.emails(new_rid) == [KIM, PARK]
    assert deployment.emails(old_rid) == []
    assert deployment.emails(cancelled_rid) == []
    assert deployment.hooks.attempts(old_rid) == deployment.hooks.attempts(cancelled_rid) == []
    assert deployment.outcomes(moved) == [("ReminderSent", new_rid)]
    assert deployment.outcomes(cancelled) == []


def test_killed_schedulers_a_second_scheduler_and_a_worker_killed_mid_delivery_send_once(
    deployment: Deployment,
) -> None:
    second = scheduler(deployment.env, deployment.directory, "second-scheduler")
    try:
        second.start(SCHEDULER_STANDBY)  # started by mistake: it waits
        eid = _new_id("failover")
        deployment.record(*due_soon(eid, due_in=3))
        rid = deployment.rid(eid)
        deployment.scheduler.kill()  # SIGKILL: its lock stays until it expires
        deployment.scheduler.start(None)
        wait_until(lambda: len(deployment.emails(rid)) >= 2, 20, "the reminder after failover")
        assert (
            SCHEDULER_ACTIVE in second.output() or SCHEDULER_ACTIVE in deployment.scheduler.output()
        )

        # The worker dies while the SMTP server holds its connection mid-delivery.
        deployment.smtp.stalled.clear()
        deployment.smtp.stall_next_rcpt = 20
        crash = _new_id("crash")
        deployment.record(*due_soon(crash, due_in=2))
        crash_rid = deployment.rid(crash)
        wait_until(deployment.smtp.stalled.is_set, 15, "a delivery under way")
        deployment.worker.kill()
        deployment.worker.start(WORKER_READY)
        wait_until(lambda: len(deployment.emails(crash_rid)) >= 2, 20, "the reminder redelivered")
        time.sleep(2.0)
        assert deployment.emails(rid) == [KIM, PARK]
        assert deployment.emails(crash_rid) == [KIM, PARK]
        assert (
            len(deployment.hooks.delivered(rid)) == len(deployment.hooks.delivered(crash_rid)) == 1
        )
        assert deployment.outcomes(eid) == [("ReminderSent", rid)]
        assert deployment.outcomes(crash) == [("ReminderSent", crash_rid)]
    finally:
        second.stop()  # releases the lock, if it held it, for the module's own scheduler
    deployment.scheduler.wait_for(SCHEDULER_ACTIVE, 10)


def test_smtp_refusing_or_down_retries_then_records_failed_and_a_flaky_webhook_delivers_once(
    deployment: Deployment,
) -> None:
    smtp, hooks = deployment.smtp, deployment.hooks
    # Down: nobody can be reached by email; retried until the grace is spent, ReminderFailed.
    smtp.stop()
    down = _new_id("smtp-down")
    try:
        deployment.record(*due_soon(down, due_in=1.5, channels=("email",)))
        wait_until(lambda: deployment.outcomes(down) != [], 20, "the outcome with SMTP down")
    finally:
        smtp.start()
    ((kind, _),) = deployment.outcomes(down)
    assert kind == "ReminderFailed"
    failed = deployment.container.store.read_stream(f"reminders:{down}")[0].data
    assert failed["attempts"] >= 2
    assert failed["channel"] == "email"
    assert {f["to"] for f in failed["failures"]} == {KIM, PARK}

    # Refusing: 451 is retried, 550 is not; both end in ReminderFailed.
    for staff_id, code in [("temp-refusal", 451), ("hard-refusal", 550)]:
        smtp.refuse[f"{staff_id}@example.org"] = code
        subscribe(
            deployment.container.store,
            deployment.container.projector,
            SubscribeStaff(
                staff_id=staff_id,
                name=staff_id,
                email=f"{staff_id}@example.org",
                audience=Audience.RESTRICTED,
            ),
            actor="admin",
        )
    refused, flaky = _new_id("refused"), _new_id("flaky-hook")
    hooks.statuses.append(500)
    try:
        deployment.record(
            *due_soon(refused, due_in=2, channels=("email",), audience=Audience.RESTRICTED),
            *due_soon(flaky, due_in=2, channels=("webhook",)),
        )
        wait_until(lambda: deployment.outcomes(refused) != [], 20, "the refused reminder's outcome")
        wait_until(lambda: deployment.outcomes(flaky) != [], 20, "the flaky webhook's outcome")
    finally:
        for staff_id in ("temp-refusal", "hard-refusal"):
            container, leave = deployment.container, UnsubscribeStaff(staff_id=staff_id)
            settle(container.store, container.projector, leave, Envelope("admin"), container.clock)
    assert [kind for kind, _ in deployment.outcomes(refused)] == ["ReminderFailed"]
    data = deployment.container.store.read_stream(f"reminders:{refused}")[0].data
    errors = {f["to"]: (f["permanent"], f["error"]) for f in data["failures"]}
    assert errors["temp-refusal@example.org"][0] is False
    assert "451" in errors["temp-refusal@example.org"][1]
    assert errors["hard-refusal@example.org"][0] is True
    assert smtp.attempts_for("temp-refusal@example.org") >= 2  # retried through the grace
    assert smtp.attempts_for("hard-refusal@example.org") == 1
    assert smtp.for_reminder(deployment.rid(refused)) == []

    flaky_rid = deployment.rid(flaky)
    assert [r.status for r in hooks.attempts(flaky_rid)] == [500, 200]
    assert len(hooks.delivered(flaky_rid)) == 1
    assert deployment.outcomes(flaky) == [("ReminderSent", flaky_rid)]

    def failed_in_history() -> bool:
        return "ReminderFailed" in history_types(deployment, refused)

    wait_until(failed_in_history, 10, "ReminderFailed in the engagement's history")


def test_a_downtime_shorter_than_the_grace_sends_late_and_a_longer_one_records_missed(
    deployment: Deployment,
) -> None:
    deployment.worker.stop()
    late, missed = _new_id("sent-late"), _new_id("missed")
    deployment.record(*due_soon(missed, due_in=1), *due_soon(late, due_in=GRACE + 0.5))
    deployment.container.projector.catch_up_all()  # the worker, our projector, is down
    missed_rid, late_rid = deployment.rid(missed), deployment.rid(late)
    missed_due = _due_of(deployment, missed_rid)
    wait_until(
        lambda: datetime.now(UTC) > missed_due + timedelta(seconds=GRACE + 1.5),
        GRACE + 10,
        "the first reminder past its grace",
    )
    deployment.worker.start(WORKER_READY)
    wait_until(
        lambda: bool(deployment.outcomes(late) and deployment.outcomes(missed)), 20, "outcomes"
    )
    assert deployment.outcomes(missed) == [("ReminderMissed", missed_rid)]
    assert deployment.emails(missed_rid) == []
    assert deployment.outcomes(late) == [("ReminderSent", late_rid)]
    assert deployment.emails(late_rid) == [KIM, PARK]
    sent = deployment.container.store.read_stream(f"reminders:{late}")[0].data
    assert 0 < sent["late_ms"] <= GRACE * 1000


def _due_of(deployment: Deployment, rid: str) -> datetime:
    from calendar_service.projections.reminders_due import reminder

    row = reminder(deployment.container.views, rid)
    assert row is not None
    return datetime.strptime(str(row["due_at"]), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_a_redis_restarted_mid_run_loses_no_reminder_and_doubles_none(
    tmp_path: Path,
) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis_args = ("--appendonly", "yes", "--appendfsync", "always")
    server = start_redis_server(port, str(tmp_path), *redis_args)
    smtp, hooks = SmtpSink().start(), WebhookSink().start()
    values = _settings_env(
        f"{url}?prefix=restart", f"redis://127.0.0.1:{port}/1", smtp, hooks,
        REMINDER_GRACE="PT30S", REDIS_ALLOW_EPHEMERAL="false",
    )  # fmt: skip
    env, settings = _env(values), _settings(values)
    procs = [worker(env, tmp_path), scheduler(env, tmp_path)]
    container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
    try:
        for proc in procs:
            proc.start(None)
        procs[0].wait_for(WORKER_READY)
        procs[1].wait_for(SCHEDULER_ACTIVE)
        # Celery 5.7 exits ("Unrecoverable error") when the broker goes away while messages are
        # unacknowledged; in production its supervisor restarts it, as this does.
        procs[0].keep_alive()
        procs[1].keep_alive()
        subscribe(
            container.store,
            container.projector,
            SubscribeStaff(
                staff_id="kim-minji", name="Kim", email=KIM, channels=frozenset({Channel.EMAIL})
            ),
            actor="admin",
        )
        now = datetime.now(UTC)
        ids = [f"restart-{n}" for n in range(12)]
        for n, eid in enumerate(ids):
            for command in due_soon(eid, due_in=3 + n * 0.5, channels=("email",), now=now):
                container.execute(command, Envelope(actor="kim"))
        wait_until(lambda: len(smtp.messages) >= 3, 20, "the first reminders")
        server.send_signal(signal.SIGKILL)  # appendfsync always: nothing acknowledged is lost
        server.wait()
        server = start_redis_server(port, str(tmp_path), *redis_args)
        wait_until(lambda: len(smtp.messages) >= len(ids), 40, "every reminder after the restart")
        time.sleep(2.0)
        by_reminder: dict[str, int] = {}
        for message in smtp.messages:
            by_reminder[message.reminder_id] = by_reminder.get(message.reminder_id, 0) + 1
        assert sorted(rid.split("|")[0] for rid in by_reminder) == sorted(ids)
        assert set(by_reminder.values()) == {1}, by_reminder
        for eid in ids:
            assert [e.type for e in container.store.read_stream(f"reminders:{eid}")] == [
                "ReminderSent"
            ]
    finally:
        for proc in procs:
            proc.kill()
        container.close()
        smtp.stop()
        hooks.stop()
        server.kill()
        server.wait()


_SERVICE_URL = r"[^\s\\\"'<>]+"


def _urls_in(message: EmailMessage, base: str) -> set[str]:
    """Every URL under `base` in the message as a mail client shows it: the text, the HTML
    (links and text) and the attached .ics (unfolded)."""
    found: set[str] = set()
    pattern = re.compile(re.escape(base) + _SERVICE_URL)
    for part in message.walk():
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html", "text/calendar"):
            continue
        content = part.get_content()
        text = content.decode() if isinstance(content, bytes) else content
        if kind == "text/calendar":
            text = text.replace("\r\n ", "").replace("\n ", "")
        elif kind == "text/html":
            text = text.replace("&amp;", "&")
        found.update(pattern.findall(text))
    return found


def test_every_link_in_a_sent_reminder_email_opens_a_page_of_the_service(tmp_path: Path) -> None:
    """A Korean staff member and a Chinese one cleared for restricted engagements each get the
    reminder from a running server (embedded mode: the scheduler in the server's process);
    every link to the service in what they receive answers 200, without a token."""
    store = f"sqlite:///{tmp_path / 'events.db'}"
    smtp = SmtpSink().start()
    timings = {
        "scheduler_nudge_interval": "0.5",
        "scheduler_lock_ttl": "2",
        "reminder_claim_ttl": "2",
        "reminder_grace": f"PT{GRACE}S",
    }
    try:
        with served(store, tmp_path / "server.log", smtp_url=smtp.url, **timings) as base:
            container = build(Settings(store=store))
            try:
                for staff_id, email, lang, audience in [
                    ("kim-minji", KIM, "ko", Audience.STAFF),
                    ("wang-fang", "wang@example.org", "zh", Audience.RESTRICTED),
                ]:
                    subscribe(
                        container.store,
                        container.projector,
                        SubscribeStaff(
                            staff_id=staff_id,
                            name=staff_id,
                            email=email,
                            channels=frozenset({Channel.EMAIL}),
                            lang=lang,
                            audience=audience,
                        ),
                        actor="admin",
                    )
                eid = _new_id("linked")
                for command in due_soon(eid, due_in=3, channels=("email",)):
                    container.execute(command, Envelope(actor="kim.minji"))
                wait_until(lambda: len(smtp.messages) >= 2, 30, "both reminder emails")
            finally:
                container.close()
            by_reader = {m.rcpt[0]: _urls_in(m.message, base) for m in smtp.messages}
            assert sorted(by_reader) == [KIM, "wang@example.org"]
            pages = {
                KIM: f"{base}/e/{eid}?a=staff&l=ko&s=",
                "wang@example.org": f"{base}/e/{eid}?a=restricted&l=zh&s=",
            }
            key = link_secret(Settings(store=store))  # the server's: kept beside the log
            for reader, urls in by_reader.items():
                (page,) = [url for url in urls if url.startswith(pages[reader])]
                query = {name: value for name, (value,) in parse_qs(urlsplit(page).query).items()}
                assert page_signature_ok(key, eid, query["a"], query["l"], query["s"])
                for url in urls:
                    answer = httpx.get(url, timeout=10)
                    assert answer.status_code == 200, (url, answer.status_code)
    finally:
        smtp.stop()

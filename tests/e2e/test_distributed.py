"""The distributed mode end to end (issue 8, "must show" item 1), without Docker.

Separate OS processes, all against ONE Redis (a unique `?prefix=` on the store; broker db 15,
the queue named after that prefix, as in test_workers.py): two `calendar-service serve` API
processes on different ports, one `celery -A workers worker`, one `calendar-service
scheduler`, and an aiosmtpd SMTP server in this process. One module-scoped deployment; the
tests run in file order and the last one kills and restarts the worker.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis
from icalendar import Calendar

from calendar_service.bootstrap import Container, build
from calendar_service.config import Settings
from calendar_service.domain import Audience, Channel, SubscribeStaff
from calendar_service.feed.tokens import create_feed
from calendar_service.projections import PROJECTION_NAMES
from calendar_service.service import Envelope
from calendar_service.staff.subscriptions import subscribe
from tests.e2e.server import cli
from tests.reminders_support import (
    SCHEDULER_ACTIVE,
    WORKER_READY,
    Proc,
    SmtpSink,
    due_soon,
    free_port,
    scheduler,
    wait_until,
    worker,
)
from workers.nudge import celery_nudger

pytestmark = pytest.mark.slow
NOTES = 20
KIM = "kim@example.org"


@dataclass
class Deployment:
    container: Container
    apis: list[str]
    servers: list[Proc]
    worker: Proc
    scheduler: Proc
    smtp: SmtpSink
    auth: dict[str, str]
    feed: str
    env: dict[str, str]

    def feed_url(self, base: str) -> str:
        return f"{base}/feeds/{self.feed}.ics"

    def lag(self) -> int:
        return max(row.lag for row in self.container.projector.status())


def _env(values: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    env.update({f"CALENDAR_{k.upper()}": v for k, v in values.items()})
    return env


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


def _wait_up(base: str, proc: Proc, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process is None or proc.process.poll() is not None:
            raise AssertionError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{proc.name} did not answer:\n{proc.output()[-3000:]}")


@pytest.fixture(scope="module")
def deployment(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    prefix = f"test-dist-{uuid.uuid4().hex[:10]}"
    broker = redis_url.rsplit("/", 1)[0] + "/15"
    smtp = SmtpSink().start()
    values = {
        "store": f"{redis_url}?prefix={prefix}",
        "broker": broker,
        "redis_allow_ephemeral": "true",
        "smtp_url": smtp.url,
        "mail_from": "calendar@gg.go.kr",
        "reminder_grace": "PT10S",
        "reminder_claim_ttl": "3",
        "notify_timeout": "5",
        "scheduler_lock_ttl": "2",
        "scheduler_reconcile_interval": "5",
        "scheduler_nudge_interval": "0.5",
        "projection_lock_ttl": "1.5",
    }
    env = _env(values)
    settings = Settings(**values)  # type: ignore[arg-type]
    directory = tmp_path_factory.mktemp("distributed")
    container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
    ports = [free_port(), free_port()]
    apis = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [
        Proc(
            f"api{n}",
            [sys.executable, "-m", "calendar_service", "serve"],
            {**env, "CALENDAR_PORT": str(port), "CALENDAR_BASE_URL": apis[n]},
            directory,
        )
        for n, port in enumerate(ports)
    ]
    procs = [*servers, worker(env, directory, threads=2), scheduler(env, directory)]
    try:
        for proc in procs:  # all at once: start-up dominates this module's run time
            proc.start(None)
        created = cli(env, "tokens", "create", "--actor", "Officer Lee", "--json")
        assert created.returncode == 0, created.stderr
        auth = {"Authorization": f"Bearer {json.loads(created.stdout)['token']}"}
        feed = create_feed(
            container.store,
            container.projector,
            name="Protocol office",
            audience=Audience.STAFF,
            lang="en",
            actor="admin",
        ).token
        subscribe(
            container.store,
            container.projector,
            SubscribeStaff(
                staff_id="kim-minji",
                name="Kim Minji",
                email=KIM,
                channels=frozenset({Channel.EMAIL}),
                lang="en",
            ),
            actor="admin",
        )
        for base, server in zip(apis, servers, strict=True):
            _wait_up(base, server)
        procs[2].wait_for(WORKER_READY)
        procs[3].wait_for(SCHEDULER_ACTIVE)
        yield Deployment(container, apis, servers, procs[2], procs[3], smtp, auth, feed, env)
    finally:
        for proc in procs:
            proc.kill()
        container.close()
        smtp.stop()
        _forget(redis_url, prefix)
        _forget(broker, prefix)


def _meeting(engagement_id: str, start: datetime) -> dict[str, object]:
    start = start.replace(microsecond=0)
    return {
        "mode": "schedule",
        "engagement_id": engagement_id,
        "kind": "meeting",
        "direction": "inbound",
        "title": {"en": f"Meeting {engagement_id}"},
        "when": _when(start),
        "status": "confirmed",
    }


def _when(start: datetime) -> dict[str, str]:
    return {
        "kind": "exact",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "tz": "Asia/Seoul",
    }


def _create(deployment: Deployment, base: str, engagement_id: str, start: datetime) -> str:
    response = httpx.post(
        f"{base}/api/engagements",
        json=_meeting(engagement_id, start),
        headers=deployment.auth,
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.headers["etag"])


def _starts_in_feed(deployment: Deployment, base: str, engagement_id: str) -> set[datetime]:
    response = httpx.get(deployment.feed_url(base), timeout=5)
    assert response.status_code == 200, response.text
    starts = {
        event.decoded("DTSTART")
        for event in Calendar.from_ical(response.content).walk("VEVENT")
        if engagement_id in str(event["UID"])
    }
    # Timed events only (an all-day companion event, if any, carries a date).
    return {start.astimezone(UTC) for start in starts if isinstance(start, datetime)}


def test_ready_with_each_projections_lag_and_a_correlation_id_echoed(
    deployment: Deployment,
) -> None:
    for base in deployment.apis:
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["status"] == "ready"
        assert body["log_head"] >= 2
        assert {p["name"] for p in body["projections"]} == set(PROJECTION_NAMES)
        assert all({"checkpoint", "lag"} <= set(p) for p in body["projections"])
    key = str(uuid.uuid4())
    given = httpx.get(f"{deployment.apis[0]}/healthz", headers={"X-Correlation-Id": key}, timeout=5)
    assert given.headers["x-correlation-id"] == key
    made = httpx.get(f"{deployment.apis[0]}/healthz", timeout=5).headers["x-correlation-id"]
    assert len(made) == 32
    httpx.get(deployment.feed_url(deployment.apis[0]), timeout=5)
    log = deployment.servers[0]
    wait_until(lambda: f"correlation_id={key}" in log.output(), 5, "the request line")
    line = next(x for x in log.output().splitlines() if f"correlation_id={key}" in x)
    assert "msg=request method=GET path=/healthz status=200 duration_ms=" in line
    wait_until(lambda: "path=/feeds/REDACTED.ics" in log.output(), 5, "the feed request line")
    assert deployment.feed not in log.output()


def test_notes_through_both_apis_interleaved_lose_no_update(deployment: Deployment) -> None:
    eid = f"notes-{uuid.uuid4().hex[:8]}"
    _create(deployment, deployment.apis[0], eid, datetime.now(UTC) + timedelta(days=20))
    conflicts: list[int] = []
    errors: list[BaseException] = []

    def write(base: str, numbers: range) -> None:
        try:
            with httpx.Client(base_url=base, headers=deployment.auth, timeout=15) as client:
                for n in numbers:
                    for _attempt in range(50):
                        etag = client.get(f"/api/engagements/{eid}").headers["etag"]
                        answer = client.post(
                            f"/api/engagements/{eid}/notes",
                            json={"text": f"note {n}"},
                            headers={"If-Match": etag, "Idempotency-Key": str(uuid.uuid4())},
                        )
                        if answer.status_code == 412:
                            conflicts.append(n)
                            continue
                        assert answer.status_code == 200, answer.text
                        break
                    else:
                        raise AssertionError(f"note {n}: 50 conflicts in a row")
        except BaseException as error:
            errors.append(error)

    halves = [range(0, NOTES, 2), range(1, NOTES, 2)]  # even notes on one API, odd on the other
    threads = [
        threading.Thread(target=write, args=(base, half))
        for base, half in zip(deployment.apis, halves, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    events = deployment.container.store.read_stream(f"engagement:{eid}")
    texts = sorted(str(e.data["text"]) for e in events if e.type == "NoteAdded")
    assert texts == sorted(f"note {n}" for n in range(NOTES)), f"{len(conflicts)} conflicts"
    etags = {httpx.get(f"{b}/api/engagements/{eid}", headers=deployment.auth).headers["etag"]
             for b in deployment.apis}  # fmt: skip
    assert etags == {f'"v{NOTES + 1}"'}


def test_a_reschedule_shows_in_the_feed_of_either_api_within_a_second(
    deployment: Deployment,
) -> None:
    eid = f"moved-{uuid.uuid4().hex[:8]}"
    first = (datetime.now(UTC) + timedelta(days=9)).replace(microsecond=0)
    etag = _create(deployment, deployment.apis[0], eid, first)

    def in_both_feeds(start: datetime) -> bool:
        return all(_starts_in_feed(deployment, b, eid) == {start} for b in deployment.apis)

    wait_until(lambda: in_both_feeds(first), 10, "the new engagement in both feeds")
    moved = first + timedelta(days=1, hours=3)
    answer = httpx.post(
        f"{deployment.apis[1]}/api/engagements/{eid}/reschedule",
        json={"when": _when(moved)},
        headers={**deployment.auth, "If-Match": etag},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    done = time.monotonic()
    seen: dict[str, float] = {}
    while len(seen) < 2 and time.monotonic() - done < 1.0:
        for base in deployment.apis:
            if base not in seen and _starts_in_feed(deployment, base, eid) == {moved}:
                seen[base] = time.monotonic() - done
        time.sleep(0.02)
    assert set(seen) == set(deployment.apis), f"within 1 s only in {seen}"


def test_a_reminder_due_shortly_reaches_the_smtp_server_exactly_once(
    deployment: Deployment,
) -> None:
    eid = f"talks-{uuid.uuid4().hex[:8]}"
    commands = due_soon(eid, due_in=5, channels=("email",))
    for command in commands:
        deployment.container.execute(command, Envelope(actor="kim.minji"))
    eid_header = "X-Calendar-Reminder-Id"

    def ours() -> list[str]:
        with deployment.smtp.lock:
            return [
                str(m.message[eid_header])
                for m in deployment.smtp.messages
                if eid in m.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            ]

    wait_until(lambda: len(ours()) >= 1, 20, "the reminder email")
    time.sleep(2)  # a duplicate would have arrived by now
    (rid,) = ours()
    (received,) = deployment.smtp.for_reminder(rid)
    assert received.rcpt == [KIM]
    stream = deployment.container.store.read_stream(f"reminders:{eid}")
    assert [e.type for e in stream] == ["ReminderSent"]
    worker_log = deployment.worker.output()
    assert "msg=task task=calendar.deliver_reminder" in worker_log
    assert "outcome=SUCCESS" in worker_log


def test_the_worker_killed_with_sigkill_and_restarted_loses_nothing(
    deployment: Deployment,
) -> None:
    eid = f"crash-{uuid.uuid4().hex[:8]}"
    first = (datetime.now(UTC) + timedelta(days=12)).replace(microsecond=0)
    etag = _create(deployment, deployment.apis[0], eid, first)
    wait_until(lambda: deployment.lag() == 0, 15, "caught up before the kill")

    deployment.worker.kill()
    moved = first + timedelta(hours=5)
    answer = httpx.post(
        f"{deployment.apis[1]}/api/engagements/{eid}/reschedule",
        json={"when": _when(moved)},
        headers={**deployment.auth, "If-Match": etag},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    time.sleep(0.5)
    assert deployment.lag() > 0, "no worker runs: the views lag behind the log"
    ready = httpx.get(f"{deployment.apis[0]}/readyz", timeout=5).json()
    assert max(p["lag"] for p in ready["projections"]) > 0
    assert _starts_in_feed(deployment, deployment.apis[0], eid) == {first}

    deployment.worker.start(WORKER_READY)
    wait_until(lambda: deployment.lag() == 0, 20, "caught up after the restart")
    for base in deployment.apis:
        assert _starts_in_feed(deployment, base, eid) == {moved}
    status = cli(deployment.env, "projections", "status", "--json")
    assert status.returncode == 0, status.stderr
    rows = [json.loads(line) for line in status.stdout.splitlines() if line.strip()]
    assert {row["projection"] for row in rows} == set(PROJECTION_NAMES)
    assert all(row["lag"] == 0 for row in rows), rows

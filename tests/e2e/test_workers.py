"""The read side end to end: real Redis, real `celery -A workers worker` processes, no eager mode.

One deployment (a Redis store prefix, which also names the Celery queue on broker db 15) and
one worker process serve the whole module; the tests that stop, kill or add workers leave one
running for the next. They show issue 4's "must show" items 1, 2, 3, 5 and 6 (4 is the
property test in tests/unit/projections).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from calendar_service.bootstrap import Container, build
from calendar_service.cli.projections import projections_app
from calendar_service.config import Settings
from calendar_service.domain import AddNote, Command, Engagement, EngagementId, decide, evolve
from calendar_service.eventstore import NewEvent, iter_all
from calendar_service.eventstore.redis import RedisEventStore
from calendar_service.projections import (
    PROJECTION_NAMES,
    MemoryViewStore,
    default_projections,
    digest,
    replay_into,
)
from calendar_service.projections.calendar import engagement_doc
from calendar_service.service import ENGAGEMENT, Envelope, handle
from tests.unit.domain.builders import NOW, scheduled
from workers.celery_app import PROJECT, producer_app
from workers.nudge import celery_nudger

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
LOCK_TTL = 1.5
"""Seconds a dead worker's lease outlives it here (default 15): keeps the crash test short."""


@dataclass
class Worker:
    """One `celery -A workers worker --pool=threads -c 2` process, logging to a file."""

    env: dict[str, str]
    directory: Path
    name: str
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return self.directory / f"{self.name}-{self.starts}.log"

    def start(self, **settings: str) -> None:
        assert self.process is None
        self.starts += 1
        env = {**self.env, **{f"CALENDAR_{k.upper()}": v for k, v in settings.items()}}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workers",
                    "worker",
                    "--pool=threads",
                    "-c",
                    "2",
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                    "-l",
                    "INFO",
                    "-n",
                    f"{self.name}-{self.starts}@%h",
                ],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while " ready." not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.log.read_text(errors="replace")
                self.kill()
                pytest.fail(f"worker {self.name} did not start:\n{output}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Warm shutdown: the worker finishes its tasks and exits."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, no lease released."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def tasks_done(self) -> int:
        logs = self.directory.glob(f"{self.name}-*.log")
        return sum(p.read_text(errors="replace").count(f"Task {PROJECT}[") for p in logs)


@dataclass
class Deployment:
    settings: Settings
    container: Container
    worker: Worker
    broker: redis.Redis
    store_redis: redis.Redis
    queue: str
    extra: list[Worker] = field(default_factory=list)

    @property
    def store(self) -> RedisEventStore:
        store = self.container.store
        assert isinstance(store, RedisEventStore)
        return store

    def checkpoints(self) -> dict[str, int]:
        return {name: self.container.views.checkpoint(name) for name in PROJECTION_NAMES}

    def caught_up(self) -> bool:
        head = self.store.head()
        return all(cp == head for cp in self.checkpoints().values())

    def digests(self) -> dict[str, str]:
        return {name: digest(self.container.views, name) for name in PROJECTION_NAMES}


@pytest.fixture(scope="module")
def deployment(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    prefix = f"test-e2e-{uuid.uuid4().hex[:12]}"
    store_url = f"{redis_url}?prefix={prefix}"
    broker_url = redis_url.rsplit("/", 1)[0] + "/15"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    env.update(
        CALENDAR_STORE=store_url,
        CALENDAR_REDIS_ALLOW_EPHEMERAL="true",
        CALENDAR_BROKER=broker_url,
        CALENDAR_PROJECTION_LOCK_TTL=str(LOCK_TTL),
    )
    settings = Settings(
        store=store_url,
        broker=broker_url,
        redis_allow_ephemeral=True,
        projection_lock_ttl=LOCK_TTL,
    )
    container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
    broker = redis.Redis.from_url(broker_url)
    worker = Worker(env, tmp_path_factory.mktemp("workers"), "main")
    found = Deployment(
        settings, container, worker, broker, redis.Redis.from_url(redis_url), queue=prefix
    )
    try:
        worker.start()
        yield found
    finally:
        for each in [worker, *found.extra]:
            each.kill()
        container.close()
        found.store_redis.close()
        _forget(redis_url, prefix, broker)


def _forget(redis_url: str, prefix: str, broker: redis.Redis) -> None:
    """Delete this module's keys: the log and views, its queue, its unacknowledged messages."""
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()
    for key in broker.scan_iter(match=f"*{prefix}*", count=1000):
        broker.delete(key)
    for tag, raw in broker.hscan_iter("unacked"):
        if prefix.encode() in raw:
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)
    broker.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds it took `condition` to hold; fails the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.005)
    return time.monotonic() - started


def rebuilt(deployment: Deployment) -> dict[str, str]:
    """The digests a rebuild from zero gives, into private views: the reference."""
    views = MemoryViewStore()
    for projection in default_projections():
        replay_into(projection, deployment.store, views)
    return {name: digest(views, name) for name in PROJECTION_NAMES}


def assert_each_event_applied_once(deployment: Deployment) -> None:
    """Each engagement event was folded into the calendar exactly once. A second application
    would not pass unseen: a creating event applied again is refused (a row in `problems`), a
    note applied again is a second note. So: no problem rows, a row per engagement stream at
    that stream's version, and as many notes in each state as the stream has NoteAdded events
    (these tests write nothing else)."""
    views = deployment.container.views
    assert not list(views.rows("calendar", "problems")), "an event could not be applied"
    rows = {key: json.loads(doc) for _, key, _, doc in views.rows("calendar", "engagements")}
    streams = {e.stream for e in iter_all(deployment.store) if e.stream.startswith("engagement:")}
    assert {f"engagement:{key}" for key in rows} == streams
    for key, row in rows.items():
        events = deployment.store.read_stream(f"engagement:{key}")
        assert row["version"] == len(events), key
        notes = sum(1 for event in events if event.type == "NoteAdded")
        assert len(Engagement.from_json(row["engagement"]).notes) == notes, key


def queue_drained(deployment: Deployment) -> bool:
    length = deployment.broker.llen(deployment.queue)
    assert isinstance(length, int)
    return length == 0


def new_id() -> EngagementId:
    return EngagementId(f"visit-{uuid.uuid4().hex[:10]}")


def test_a_command_through_the_write_path_shows_up_in_the_projection_within_a_second(
    deployment: Deployment,
) -> None:
    waited = []
    for _ in range(5):
        engagement_id = str(new_id())
        deployment.container.execute(
            scheduled(engagement_id=EngagementId(engagement_id)), Envelope(actor="kim")
        )

        def visible(engagement_id: str = engagement_id) -> bool:
            return engagement_doc(deployment.container.views, engagement_id) is not None

        waited.append(wait_until(visible, 1.0, f"{engagement_id} in the calendar"))
    assert max(waited) < 1.0
    wait_until(deployment.caught_up, 5, "every projection at the head")
    assert deployment.digests() == rebuilt(deployment)


def test_duplicate_late_and_out_of_order_nudges_change_nothing(deployment: Deployment) -> None:
    container = deployment.container
    container.execute(scheduled(engagement_id=new_id()), Envelope(actor="kim"))
    wait_until(deployment.caught_up, 5, "caught up")
    settled, checkpoints = deployment.digests(), deployment.checkpoints()

    late = [*PROJECTION_NAMES] * 4 + list(reversed(PROJECTION_NAMES)) + ["calendar"] * 10
    producer = producer_app(deployment.settings)
    for name in late:
        producer.send_task(PROJECT, args=[name], queue=deployment.queue)
    wait_until(lambda: queue_drained(deployment), 10, "the late nudges consumed")
    time.sleep(0.3)  # the last ones in flight
    assert deployment.digests() == settled
    assert deployment.checkpoints() == checkpoints

    # New events with no nudge of their own, then nudges shuffled and repeated.
    for _ in range(8):
        handle(
            container.store,
            ENGAGEMENT,
            scheduled(engagement_id=new_id()),
            Envelope(actor="kim"),
            container.clock,
        )
    shuffled = [*PROJECTION_NAMES] * 5
    random.Random(4).shuffle(shuffled)
    for name in shuffled:
        producer.send_task(PROJECT, args=[name], queue=deployment.queue)
    wait_until(deployment.caught_up, 10, "caught up after shuffled nudges")
    wait_until(lambda: queue_drained(deployment), 10, "the nudges consumed")
    assert deployment.digests() == rebuilt(deployment)
    assert_each_event_applied_once(deployment)


def test_two_workers_catching_up_at_once_never_apply_an_event_twice(
    deployment: Deployment,
) -> None:
    second = Worker(deployment.worker.env, deployment.worker.directory, "second")
    deployment.extra.append(second)
    second.start()
    before = (deployment.worker.tasks_done(), second.tasks_done())
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for _ in range(n):
                deployment.container.execute(
                    scheduled(engagement_id=new_id()), Envelope(actor="park")
                )
        except BaseException as error:
            errors.append(error)

    writers = [threading.Thread(target=writer, args=(30,)) for _ in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    assert not errors, errors
    wait_until(deployment.caught_up, 15, "both workers caught everything up")
    wait_until(lambda: queue_drained(deployment), 10, "every nudge consumed")
    time.sleep(0.3)
    second.stop()

    done = (deployment.worker.tasks_done() - before[0], second.tasks_done() - before[1])
    assert all(done), f"both workers took catch-up tasks: {done}"
    assert_each_event_applied_once(deployment)
    assert deployment.digests() == rebuilt(deployment)


def _histories(count: int, notes: int) -> list[tuple[str, list[NewEvent]]]:
    """`count` engagements, each created then given `notes` notes, as ready-made appends."""
    appends = []
    for _ in range(count):
        engagement_id = new_id()
        commands: list[Command] = [
            scheduled(engagement_id=engagement_id),
            *(AddNote(engagement_id=engagement_id, text=f"note {n}") for n in range(notes)),
        ]
        state, events = None, []
        for command in commands:
            for event in decide(state, command, NOW):
                state = evolve(state, event)
                events.append(
                    NewEvent(event.event_type, event.to_data(), event.SCHEMA_VERSION, actor="kim")
                )
        appends.append((f"engagement:{engagement_id}", events))
    return appends


def test_a_worker_killed_mid_catch_up_then_restarted_matches_a_rebuild_byte_for_byte(
    deployment: Deployment,
) -> None:
    worker = deployment.worker
    worker.stop()
    worker.start(projection_page_size="5")
    wait_until(deployment.caught_up, 10, "caught up before the long catch-up")
    start = deployment.store.head()
    results = deployment.store.append_many(
        [(stream, events, 0) for stream, events in _histories(300, 9)]
    )
    assert all(not isinstance(r, Exception) for r in results)
    head = deployment.store.head()
    assert head - start == 3000

    deployment.container.nudge_all()
    wait_until(
        lambda: deployment.container.views.checkpoint("calendar") > start + 200,
        20,
        "the catch-up under way",
    )
    worker.kill()
    at_kill = deployment.checkpoints()
    assert min(at_kill.values()) < head, f"killed mid catch-up: {at_kill} < {head}"
    leases = [
        name
        for name in PROJECTION_NAMES
        if deployment.store_redis.exists(f"{deployment.queue}:views:{name}:lock")
    ]
    assert leases, "the dead worker left its lease behind: the restart has to outwait it"

    worker.start()

    def nudged_caught_up() -> bool:
        # The periodic safety net (the scheduler's job): the dead worker's task was lost.
        deployment.container.nudge_all()
        time.sleep(0.2)
        return deployment.caught_up()

    wait_until(nudged_caught_up, 60, "caught up after the restart")
    assert deployment.digests() == rebuilt(deployment)
    assert_each_event_applied_once(deployment)


def _status() -> list[dict[str, Any]]:
    result = CliRunner().invoke(projections_app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_projections_status_shows_lag_while_the_worker_is_stopped_and_zero_after(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("STORE", "BROKER", "REDIS_ALLOW_EPHEMERAL"):
        monkeypatch.setenv(f"CALENDAR_{name}", deployment.worker.env[f"CALENDAR_{name}"])
    wait_until(deployment.caught_up, 10, "caught up")
    deployment.worker.stop()
    settled = deployment.store.head()
    for _ in range(4):
        deployment.container.execute(scheduled(engagement_id=new_id()), Envelope(actor="kim"))
    head = deployment.store.head()
    assert head > settled

    stopped = _status()
    assert [row["projection"] for row in stopped] == list(PROJECTION_NAMES)
    assert all(row["head"] == head for row in stopped)
    assert all(row["lag"] == head - settled == head - row["checkpoint"] for row in stopped)
    table = CliRunner().invoke(projections_app, ["status"])
    assert table.exit_code == 0
    assert all(
        str(head - settled) in line
        for line in table.output.splitlines()
        if "│ " in line and "calendar" in line
    )

    deployment.worker.start()  # the nudges queued meanwhile are waiting for it
    wait_until(deployment.caught_up, 10, "caught up once the worker is back")
    assert all(row["lag"] == 0 and row["checkpoint"] == head for row in _status())

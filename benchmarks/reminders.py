"""Reminders end to end (issue 6): lateness with thousands due, from each reminder's due instant
to the message accepted by an SMTP server.

- `lateness_10k`: 10,000 engagements, each with one reminder (30 s before its start, by email
  to one subscribed staff member), due evenly over 60 s. Real parts, as in production: Redis
  (store, views, claims, job store, broker), `calendar-service scheduler` and
  `celery -A workers worker` subprocesses, and an aiosmtpd server in this process that stamps
  each message as it accepts it. The log is filled before the clock starts (`append_many` of
  the events the domain decides, then one catch-up of the projections), so the scheduler takes
  10,000 reminders into its job store through its incremental reconciliation, as it would
  over a day. Figures: lateness p50, p99 and max (due instant to SMTP acceptance), missed
  (ReminderMissed, or never received), duplicates (messages beyond one per reminder), and
  the peak resident memory of the scheduler and of the worker. Target: p99 under 1 s, none
  missed, none doubled. `--quick`: 300 reminders over 10 s.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._harness import Benchmark, Check, Config, Figures, Skipped, progress, rnd

OFFSET = timedelta(seconds=30)
GRACE = "PT5M"


def _rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children (a prefork worker's pool), in MB."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def lateness(config: Config) -> Figures:
    import redis

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from calendar_service.bootstrap import build
    from calendar_service.config import Settings
    from calendar_service.domain import Channel, SubscribeStaff, decide, evolve
    from calendar_service.eventstore import NewEvent
    from calendar_service.eventstore.redis import RedisEventStore
    from calendar_service.projections import PROJECTION_NAMES, NullNudger
    from calendar_service.staff.subscriptions import subscribe
    from tests.reminders_support import (
        SCHEDULER_ACTIVE,
        WORKER_READY,
        SmtpSink,
        due_soon,
        scheduler,
        start_of,
        worker,
    )

    count = config.pick(10_000, 300)
    spread_s = config.pick(60, 10)
    lead_s = config.pick(75, 20)
    url = os.environ.get("CALENDAR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        raise Skipped(f"no Redis at {url} ({error})") from None
    prefix = f"bench-rem-{uuid.uuid4().hex[:10]}"
    broker = url.rsplit("/", 1)[0] + "/15"
    smtp = SmtpSink().start()
    received: dict[str, list[float]] = {}
    lock = threading.Lock()

    def on_message(message: Any, at: float) -> None:
        engagement = str(message["X-Calendar-Reminder-Id"]).split("|")[0]
        with lock:
            received.setdefault(engagement, []).append(at)

    smtp.listeners.append(on_message)
    values = {
        "STORE": f"{url}?prefix={prefix}",
        "BROKER": broker,
        "REDIS_ALLOW_EPHEMERAL": "true",
        "SMTP_URL": smtp.url,
        "REMINDER_GRACE": GRACE,
        "REMINDER_CLAIM_TTL": "60",
        "SCHEDULER_NUDGE_INTERVAL": "5",
        "SCHEDULER_RECONCILE_INTERVAL": "300",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    env.update({f"CALENDAR_{k}": v for k, v in values.items()})
    options: dict[str, Any] = {k.lower(): v for k, v in values.items()}
    settings = Settings(**options)
    container = build(settings, nudger=NullNudger())
    directory = Path(os.environ.get("TMPDIR", "/tmp")) / prefix
    directory.mkdir(parents=True)
    threads = int(os.environ.get("CALENDAR_BENCH_WORKER_CONCURRENCY", "8"))
    pool = os.environ.get("CALENDAR_BENCH_WORKER_POOL", "threads")
    procs = [worker(env, directory, threads=threads, pool=pool), scheduler(env, directory)]
    peak = {"scheduler": 0.0, "worker": 0.0}
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.5):
            for name, proc in (("worker", procs[0]), ("scheduler", procs[1])):
                if proc.process is not None:
                    peak[name] = max(peak[name], _rss_mb(proc.process.pid))

    try:
        for proc in procs:
            proc.start(None)
        procs[0].wait_for(WORKER_READY, 60)
        procs[1].wait_for(SCHEDULER_ACTIVE, 60)
        subscribe(
            container.store,
            container.projector,
            SubscribeStaff(
                staff_id="duty-officer",
                name="Duty officer",
                email="duty@example.org",
                channels=frozenset({Channel.EMAIL}),
            ),
            actor="bench",
        )
        first_due = datetime.now(UTC) + timedelta(seconds=lead_s)
        dues: dict[str, datetime] = {}
        appends = []
        for n in range(count):
            eid = f"bench-rem-{n:05d}"
            at = first_due + timedelta(seconds=spread_s * n / count)
            commands = due_soon(
                eid, due_in=0, channels=("email",), abroad=False, now=at, whole_seconds=False
            )
            dues[eid] = start_of(commands) - OFFSET
            state, events = None, []
            for command in commands:
                for event in decide(state, command, datetime.now(UTC)):
                    state = evolve(state, event)
                    events.append(
                        NewEvent(
                            event.event_type, event.to_data(), event.SCHEMA_VERSION, actor="bench"
                        )
                    )
            appends.append((f"engagement:{eid}", events, 0))
        started = time.monotonic()
        store = container.store
        assert isinstance(store, RedisEventStore), "the benchmark runs on the Redis store"
        for start in range(0, len(appends), 500):
            store.append_many(appends[start : start + 500])
        for name in PROJECTION_NAMES:
            container.projector.catch_up(name)
        setup_s = time.monotonic() - started
        progress(f"   {count} reminders recorded and projected in {setup_s:.1f} s")
        threading.Thread(target=sample, daemon=True).start()
        last_due = max(dues.values())
        deadline = last_due + timedelta(seconds=60)
        while datetime.now(UTC) < deadline:
            with lock:
                if len(received) >= count:
                    break
            time.sleep(0.5)
        time.sleep(3)  # anything doubled arrives by now
        sampling.set()
        missed_events = 0
        for eid in dues:
            for stored in container.store.read_stream(f"reminders:{eid}"):
                missed_events += stored.type == "ReminderMissed"
    finally:
        sampling.set()
        for proc in procs:
            proc.kill()
        container.close()
        smtp.stop()
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()
        _forget_queue(broker, prefix)
    with lock:
        late = [(min(times) - dues[eid].timestamp()) * 1000 for eid, times in received.items()]
        duplicates = sum(len(times) - 1 for times in received.values())
        never = count - len(received)
    early_first = min(dues.values()) < first_due - timedelta(seconds=1)
    return {
        "reminders": count,
        "due_over_s": spread_s,
        "setup_s": rnd(setup_s),
        "setup_within_lead": setup_s < lead_s and not early_first,
        "p50_ms": rnd(_percentile(late, 50)) if late else None,
        "p99_ms": rnd(_percentile(late, 99)) if late else None,
        "max_ms": rnd(max(late)) if late else None,
        "missed": never + missed_events,
        "duplicates": duplicates,
        "scheduler_rss_mb": rnd(peak["scheduler"]),
        "worker_rss_mb": rnd(peak["worker"]),
        "worker": f"celery -A workers worker --pool={pool} -c {threads}",
        "load_average_1m": rnd(os.getloadavg()[0]),
        "limit_p99_ms": 1000,
    }


def _forget_queue(broker_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        for key in client.scan_iter(match=f"*{queue}*", count=1000):
            client.delete(key)
    finally:
        client.close()


BENCHMARKS = (
    Benchmark(
        "reminders.lateness_10k",
        peer="limit: p99 1 s from due instant to SMTP acceptance; zero missed, zero doubled",
        checks=(
            Check("p99_ms", at_most=1000),
            Check("missed", at_most=0),
            Check("duplicates", at_most=0),
        ),
        run=lateness,
    ),
)

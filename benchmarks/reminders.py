"""Reminders end to end (issues 6 and 15): lateness with thousands due, from each reminder's due
instant to the message accepted by an SMTP server, and deliveries per second against a bare
Celery no-op round trip measured in the same run.

- `lateness_10k`: CALENDAR_BENCH_REMINDERS engagements (10,000), each with one reminder (30 s
  before its start, by email to one subscribed staff member), due evenly over
  CALENDAR_BENCH_SPREAD_S seconds (60; the rate is their ratio), then a burst of
  CALENDAR_BENCH_BURST reminders (2,000) all due at one instant, CALENDAR_BENCH_BURST_AFTER_S
  (15) after the last of the even ones. Real parts, as in production: Redis (store, views,
  claims, job store, broker), `calendar-service scheduler` and CALENDAR_BENCH_WORKERS (2)
  `celery -A workers worker` subprocesses, and an SMTP server in its own process
  (`smtp_sink.py`) that stamps each message as it accepts it. The log is filled before the
  clock starts (`append_many` of the events the domain decides, then one catch-up of the
  projections), so the scheduler takes the reminders into its job store through its
  incremental reconciliation, as it would over a day.

  Figures: lateness p50, p99 and max of the even reminders (due instant to SMTP acceptance),
  missed (ReminderMissed, or never received by the cutoff: the last due instant + 60 s),
  duplicates (messages beyond one per reminder), and the burst's own p50/p99 and
  `deliveries_per_s` (the burst over the time from its due instant to its last acceptance:
  what the deployment can deliver, where the even part is capped by its offered rate).
  The peer: a bare Celery no-op round trip on the same broker through the same workers
  (`celery_noop.py`), as many no-ops as the burst sent at once, timed right before and right
  after the burst (`celery_noop_round_trips_per_s`, the median of the two); `ratio_vs_celery_noop`
  = deliveries_per_s over it. Also the peak resident memory of the scheduler and of the
  workers, the CPU the workers spent, and the load average before and after.
  Target: p99 under 1 s, none missed, none doubled; ratio >= 0.4. `--quick`: 300 reminders over
  10 s and a burst of 100.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks._deployment import Deployment, PeakMemory, cpu_s, knob, percentile, worker_pool
from benchmarks._harness import Benchmark, Check, Config, Figures, progress, rnd
from benchmarks.celery_noop import NoopPeer
from benchmarks.smtp_sink import SmtpSinkProcess

OFFSET = timedelta(seconds=30)
GRACE = "PT5M"
CUTOFF_S = 60.0
"""Reminders not received this long after the last due instant count as missed."""
SETTLE_S = 3.0
"""After the last message expected: anything doubled arrives by now."""


class Inbox:
    """Acceptance times by engagement id (a reminder's id starts with its engagement's)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}

    def accept(self, reminder_id: str, to: str, at: float) -> None:
        with self.lock:
            self.times.setdefault(reminder_id.split("|")[0], []).append(at)

    def count(self, eids: Iterable[str]) -> int:
        with self.lock:
            return sum(eid in self.times for eid in eids)

    def of(self, eids: Iterable[str]) -> dict[str, list[float]]:
        with self.lock:
            return {eid: list(self.times[eid]) for eid in eids if eid in self.times}


def lateness(config: Config) -> Figures:
    count = knob("REMINDERS", config.pick(10_000, 300))
    spread_s = knob("SPREAD_S", config.pick(60, 10))
    burst = knob("BURST", config.pick(2_000, 100))
    burst_after_s = knob("BURST_AFTER_S", config.pick(15, 5))
    workers = knob("WORKERS", 2)
    load_before = os.getloadavg()
    inbox = Inbox()
    sink = SmtpSinkProcess()
    sink.listeners.append(inbox.accept)
    sink.start()
    values = {
        "SMTP_URL": sink.url,
        "REMINDER_GRACE": GRACE,
        # Each engagement the set-up records opens a change notice (issue 14), due this long
        # after: past the run, so the figures are the reminders' alone.
        "CHANGE_WINDOW": "PT2H",
        "SCHEDULER_NUDGE_INTERVAL": "5",
        "SCHEDULER_RECONCILE_INTERVAL": "300",
    }
    pool, threads = worker_pool()
    try:
        with Deployment("rem", values, results=True) as rig:
            figures = _run(
                rig, inbox, count, spread_s, burst, burst_after_s, workers, pool, threads
            )
    finally:
        sink.stop()
    figures["load_before"] = [rnd(x) for x in load_before]
    figures["load_after"] = [rnd(x) for x in os.getloadavg()]
    return figures


def _run(
    rig: Deployment,
    inbox: Inbox,
    count: int,
    spread_s: int,
    burst: int,
    burst_after_s: int,
    workers: int,
    pool: str,
    threads: int,
) -> Figures:
    from calendar_service.projections import PROJECTION_NAMES

    rig.start(workers=workers, pool=pool, threads=threads, include=("benchmarks.celery_noop",))
    container = rig.container
    assert rig.scheduler is not None
    memory = PeakMemory({**{proc.name: proc for proc in rig.workers}, "scheduler": rig.scheduler})
    peer = NoopPeer(rig.settings, rig.broker)
    try:
        peer.round_trips(100)  # connections, result subscriptions, every worker's threads
        _subscribe(container)
        lead_s = 15 + count / 400 + burst / 400  # the set-up's time, with room
        first_due = datetime.now(UTC) + timedelta(seconds=lead_s)
        even = {
            f"bench-rem-{n:05d}": first_due + timedelta(seconds=spread_s * n / count)
            for n in range(count)
        }
        burst_at = first_due + timedelta(seconds=spread_s + burst_after_s)
        bursting = {f"bench-burst-{n:05d}": burst_at for n in range(burst)}
        started = time.monotonic()
        dues = _record(container, {**even, **bursting})
        for name in PROJECTION_NAMES:
            container.projector.catch_up(name)
        setup_s = time.monotonic() - started
        progress(f"   {count} + {burst} reminders recorded and projected in {setup_s:.1f} s")
        memory.start()
        scheduler_before = _cpu(rig.scheduler)
        cpu_before = rig.worker_cpu_s()
        _wait(inbox, even, max(even.values()) + timedelta(seconds=CUTOFF_S))
        cpu_even = _spent(rig, cpu_before)
        progress(f"   even: {inbox.count(even)} of {count} received")
        noop_s = [peer.round_trips(burst)] if burst else []
        wait = (burst_at - datetime.now(UTC)).total_seconds()
        if burst and wait < 1:
            progress("   the burst came due before the no-op peer finished: figures mixed")
        cpu_before = rig.worker_cpu_s()
        if burst:
            _wait(inbox, bursting, burst_at + timedelta(seconds=CUTOFF_S))
        cpu_burst = _spent(rig, cpu_before)
        scheduler_spent = _cpu(rig.scheduler) - scheduler_before
        progress(f"   burst: {inbox.count(bursting)} of {burst} received")
        if burst:
            noop_s.append(peer.round_trips(burst))
        time.sleep(SETTLE_S)  # anything doubled arrives by now
        peak = memory.stop()
        missed_events = 0
        for eid in dues:
            for stored in container.store.read_stream(f"reminders:{eid}"):
                missed_events += stored.type == "ReminderMissed"
    finally:
        peer.close()
    got = inbox.of(dues)
    late = {eid: (min(times) - dues[eid].timestamp()) * 1000 for eid, times in got.items()}
    late_even = [late[eid] for eid in even if eid in late]
    late_burst = [late[eid] for eid in bursting if eid in late]
    duplicates = sum(len(times) - 1 for times in got.values())
    per_s = burst / (max(late_burst) / 1000) if late_burst and len(late_burst) == burst else 0.0
    noop_per_s = burst / sorted(noop_s)[len(noop_s) // 2] if noop_s else 0.0
    first_early = min(dues.values()) < datetime.now(UTC) - timedelta(days=1)
    return {
        "reminders": count,
        "due_over_s": spread_s,
        "offered_per_s": rnd(count / spread_s),
        "burst": burst,
        "setup_s": rnd(setup_s),
        "setup_within_lead": setup_s < lead_s and not first_early,
        "p50_ms": rnd(percentile(late_even, 50)) if late_even else None,
        "p99_ms": rnd(percentile(late_even, 99)) if late_even else None,
        "max_ms": rnd(max(late_even)) if late_even else None,
        "burst_p50_ms": rnd(percentile(late_burst, 50)) if late_burst else None,
        "burst_p99_ms": rnd(percentile(late_burst, 99)) if late_burst else None,
        "burst_last_ms": rnd(max(late_burst)) if late_burst else None,
        "missed": len(dues) - len(got) + missed_events,
        "duplicates": duplicates,
        "deliveries_per_s": rnd(per_s),
        "celery_noop_round_trips_per_s": rnd(noop_per_s),
        "ratio_vs_celery_noop": rnd(per_s / noop_per_s) if noop_per_s else None,
        "celery_noop_s": [rnd(x) for x in noop_s],
        "worker_cpu_ms_per_delivery": {
            "even": rnd(sum(cpu_even.values()) * 1000 / max(1, count)),
            "burst": rnd(sum(cpu_burst.values()) * 1000 / max(1, burst)),
        },
        "scheduler_cpu_ms_per_reminder": rnd(scheduler_spent * 1000 / max(1, count + burst)),
        "rss_mb": {name: rnd(mb) for name, mb in peak.items()},
        "worker": rig.worker_command(pool, threads),
        "limit_p99_ms": 1000,
    }


def _subscribe(container: Any) -> None:
    from calendar_service.domain import Channel, SubscribeStaff
    from calendar_service.staff.subscriptions import subscribe

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


def _record(container: Any, wanted: dict[str, datetime]) -> dict[str, datetime]:
    """One engagement per id whose one reminder is due at (about) the given instant, appended
    500 streams at a time; the due instants as the domain computed them."""
    from calendar_service.domain import decide, evolve
    from calendar_service.eventstore import NewEvent
    from calendar_service.eventstore.redis import RedisEventStore
    from tests.reminders_support import due_soon, start_of

    store = container.store
    assert isinstance(store, RedisEventStore), "the benchmark runs on the Redis store"
    dues: dict[str, datetime] = {}
    appends = []
    for eid, at in wanted.items():
        commands = due_soon(
            eid, due_in=0, channels=("email",), abroad=False, now=at, whole_seconds=False
        )
        dues[eid] = start_of(commands) - OFFSET
        state, events = None, []
        for command in commands:
            for event in decide(state, command, datetime.now(UTC)):
                state = evolve(state, event)
                events.append(
                    NewEvent(event.event_type, event.to_data(), event.SCHEMA_VERSION, actor="bench")
                )
        appends.append((f"engagement:{eid}", events, 0))
    for start in range(0, len(appends), 500):
        store.append_many(appends[start : start + 500])
    return dues


def _wait(inbox: Inbox, eids: dict[str, datetime], cutoff: datetime) -> None:
    while datetime.now(UTC) < cutoff and inbox.count(eids) < len(eids):
        time.sleep(0.25)


def _cpu(proc: Any) -> float:
    return cpu_s(proc.process.pid) if proc.process is not None else 0.0


def _spent(rig: Deployment, before: dict[str, float]) -> dict[str, float]:
    return {name: now - before[name] for name, now in rig.worker_cpu_s().items()}


BENCHMARKS = (
    Benchmark(
        "reminders.lateness_10k",
        peer="limit: p99 1 s from due instant to SMTP acceptance; zero missed, zero doubled; "
        "deliveries/s of a burst against a bare Celery no-op round trip on the same broker",
        checks=(
            Check("p99_ms", at_most=1000),
            Check("missed", at_most=0),
            Check("duplicates", at_most=0),
            Check("ratio_vs_celery_noop", at_least=0.4),
        ),
        run=lateness,
    ),
)

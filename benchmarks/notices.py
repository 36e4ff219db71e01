"""Change notices end to end (issue 14, item 5): one change, a thousand subscribers, from the
change's append to each notice accepted by an SMTP server.

- `fanout_1000`: 1,000 staff subscribed for immediate change notices by email (languages en,
  ko, zh in turn, all of the `staff` audience) and one `staff` engagement, recorded as history
  (`known_at` an hour back, so it opens no notice), then rescheduled through the write path
  (`Container.execute`, which nudges the projections through Celery, as the API does). Real
  parts, as in production: Redis (store, views, claims, job store, broker), two
  `celery -A workers worker` processes (threads pool), one `calendar-service scheduler`, and an
  SMTP server in its own process that stamps each message as it accepts it.
  CALENDAR_CHANGE_WINDOW is PT0S, so a notice is due the moment its change is recorded and the
  figures are the machinery's own: projection catch-up, the scheduler's pass, the hand-on,
  the delivery's re-check and claim, composing and sending each message with its mark.

  Each repeat is one more reschedule (notice v1, v2, ...), interleaved with the peer: a bare
  Celery no-op round trip on the same broker, through the same two workers
  (`benchmarks.celery_noop`), as many round trips as there are subscribers, all sent at once.
  Figures (medians over the repeats): p50 and p99 from the append (the clock read just before
  the write path's call, so the append itself counts) to acceptance, the time
  until the last message was accepted (`last_s`, the worst repeat), messages per second (the
  subscribers over that time), the no-op round trips per second, their ratio, missing and
  doubled messages, notices whose outcome never reached the log (`unrecorded`), the CPU each
  worker spent on the notices and on the no-ops (`worker_cpu_s`; per message and per no-op),
  and the load average before and after.
  Target: every notice accepted within 60 s, none missing, none doubled, every outcome recorded.

Knobs (environment): CALENDAR_BENCH_SUBSCRIBERS (1,000; `--quick` 100), CALENDAR_BENCH_WORKERS
(2), CALENDAR_BENCH_WORKER_POOL (threads), CALENDAR_BENCH_WORKER_CONCURRENCY (8),
CALENDAR_BENCH_REPEATS (3; `--quick` 1).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from benchmarks._deployment import Deployment, knob, percentile, worker_pool
from benchmarks._harness import (
    Benchmark,
    Check,
    Config,
    Figures,
    interleaved,
    median,
    progress,
    rnd,
    spread,
)
from benchmarks.celery_noop import NoopPeer
from benchmarks.smtp_sink import SmtpSinkProcess

if TYPE_CHECKING:
    from calendar_service.bootstrap import Container

LIMIT_S = 60.0
"""Every notice accepted within this many seconds of its change's append (issue 14)."""
OVERTIME_S = 30.0
"""How long past the limit a repeat still waits, to say how late the stragglers were."""
OUTCOME_WAIT_S = 10.0
"""How long after its last message a notice's outcome may take to be recorded in the log."""
SETTLE_S = 3.0
"""After the last repeat: anything doubled arrives by now."""
WARM_UP_S = 3.0
"""After the set-up, before anything is timed: the scheduler's next nudge and the workers'
catch-up of the set-up's events are over by then."""
ENGAGEMENT = "bench-notice"
LANGS = ("en", "ko", "zh")


@dataclass
class Inbox:
    """What the SMTP sink accepted: by notice id, each recipient's acceptance times."""

    by_notice: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, notice_id: str, to: str, at: float) -> None:
        with self.lock:
            self.by_notice.setdefault(notice_id, {}).setdefault(to, []).append(at)

    def reached(self, notice_id: str) -> int:
        with self.lock:
            return len(self.by_notice.get(notice_id, {}))

    def times(self, notice_id: str) -> dict[str, list[float]]:
        with self.lock:
            return {to: list(at) for to, at in self.by_notice.get(notice_id, {}).items()}


@dataclass
class Change:
    """One reschedule and what became of its notice."""

    notice_id: str
    appended_at: float
    append_ms: float
    recorded: str | None = None
    """The type of the notice's outcome in the log, once there."""
    waited_s: float = 0.0


def fanout(config: Config) -> Figures:
    subscribers = knob("SUBSCRIBERS", config.pick(1000, 100))
    workers = knob("WORKERS", 2)
    repeats = knob("REPEATS", config.pick(3, 1))
    pool, threads = worker_pool()
    load_before = os.getloadavg()
    inbox = Inbox()
    sink = SmtpSinkProcess()
    sink.listeners.append(inbox.accept)
    sink.start()
    try:
        values = {
            "SMTP_URL": sink.url,
            "CHANGE_WINDOW": "PT0S",
            "REMINDER_GRACE": "PT5M",
            "REMINDER_CLAIM_TTL": "60",
            "SCHEDULER_NUDGE_INTERVAL": "5",
            "SCHEDULER_RECONCILE_INTERVAL": "300",
        }
        with Deployment("ntc", values, nudge=True, results=True) as rig:
            figures = _run(rig, inbox, subscribers, workers, repeats, pool, threads)
    finally:
        sink.stop()
    load_after = os.getloadavg()
    figures["load_before"] = [rnd(x) for x in load_before]
    figures["load_after"] = [rnd(x) for x in load_after]
    return figures


def _run(
    rig: Deployment,
    inbox: Inbox,
    subscribers: int,
    workers: int,
    repeats: int,
    pool: str,
    threads: int,
) -> Figures:
    rig.start(workers=workers, pool=pool, threads=threads, include=("benchmarks.celery_noop",))
    started = time.monotonic()
    start = _record_engagement(rig.container)
    _subscribe(rig.container, subscribers)
    setup_s = time.monotonic() - started
    progress(f"   {subscribers} subscribers and one engagement recorded in {setup_s:.1f} s")
    peer = NoopPeer(rig.settings, rig.broker)
    changes: list[Change] = []
    cpu: dict[str, dict[str, float]] = {}
    try:
        time.sleep(WARM_UP_S)  # the workers' own catch-up of the set-up is over by now
        peer.round_trips(100)  # connections, result subscriptions, both workers' threads
        noop_ms = [peer.one() * 1000 for _ in range(20)]

        def notice() -> float:
            n = len(changes) + 1
            change = _reschedule(rig.container, start + timedelta(days=n), n)
            changes.append(change)
            _wait_for(rig, inbox, change, subscribers)
            progress(
                f"   notice v{n}: {inbox.reached(change.notice_id)} of {subscribers} in "
                f"{change.waited_s:.1f} s ({change.recorded or 'no outcome recorded'})"
            )
            return change.waited_s

        contenders = {"notice": notice, "celery_noop": lambda: peer.round_trips(subscribers)}
        samples = interleaved(
            {name: _counting_cpu(rig, cpu, name, run) for name, run in contenders.items()},
            repeats,
        )
        time.sleep(SETTLE_S)
    finally:
        peer.close()
    runs = [_tally(change, inbox.times(change.notice_id), subscribers) for change in changes]
    noop_per_s = median([subscribers / seconds for seconds in samples["celery_noop"]])
    reached = [run for run in runs if run["reached"]]
    per_s = median([run["messages_per_s"] for run in reached]) if reached else 0.0
    delivered = sum(run["messages"] for run in runs)
    return {
        "subscribers": subscribers,
        "repeats": repeats,
        "change_window": "PT0S",
        "setup_s": rnd(setup_s),
        "p50_ms": _median_of(reached, "p50_ms"),
        "p99_ms": _median_of(reached, "p99_ms"),
        "last_s": rnd(max(run["last_s"] for run in reached)) if reached else None,
        "messages_per_s": rnd(per_s),
        "celery_noop_round_trips_per_s": rnd(noop_per_s),
        "ratio_vs_celery_noop": rnd(per_s / noop_per_s),
        "celery_noop_one_ms": rnd(percentile(noop_ms, 50)),
        "messages": delivered,
        "missing": sum(subscribers - run["reached"] for run in runs),
        "duplicates": sum(run["messages"] - run["reached"] for run in runs),
        "append_ms": _median_of(runs, "append_ms"),
        "unrecorded": sum(change.recorded is None for change in changes),
        "runs": runs,
        "worker_cpu_ms_per_message": rnd(_total(cpu, "notice") * 1000 / max(1, delivered)),
        "worker_cpu_ms_per_noop": rnd(_total(cpu, "celery_noop") * 1000 / (repeats * subscribers)),
        "worker_cpu_s": {name: {k: rnd(v) for k, v in by.items()} for name, by in cpu.items()},
        "notice_s": [rnd(x) for x in samples["notice"]],
        "celery_noop_s": [rnd(x) for x in samples["celery_noop"]],
        "spread_max": rnd(max(spread(values) for values in samples.values())),
        "worker": rig.worker_command(pool, threads),
        "limit_s": LIMIT_S,
    }


def _median_of(runs: list[Figures], key: str) -> float | None:
    return rnd(median([run[key] for run in runs])) if runs else None


def _record_engagement(container: Container) -> datetime:
    """The engagement, recorded as history (no notice); its start."""
    from calendar_service.service import Envelope
    from tests.reminders_support import due_soon, start_of

    commands = due_soon(ENGAGEMENT, due_in=14 * 86400, channels=("email",))
    known_at = datetime.now(UTC) - timedelta(hours=1)
    for command in commands:
        container.execute(command, Envelope(actor="bench", known_at=known_at))
    return start_of(commands)


def _subscribe(container: Container, count: int) -> None:
    """`count` staff taking every change at once, by email; then every projection caught up."""
    from calendar_service.domain import ChangeNotices, Channel, SubscribeStaff
    from calendar_service.projections import PROJECTION_NAMES
    from calendar_service.service import SUBSCRIPTION, Envelope, handle

    for n in range(count):
        command = SubscribeStaff(
            staff_id=f"officer-{n:05d}",
            name=f"Officer {n}",
            email=f"officer-{n:05d}@example.org",
            channels=frozenset({Channel.EMAIL}),
            lang=LANGS[n % len(LANGS)],
            changes=ChangeNotices.IMMEDIATE,
        )
        handle(container.store, SUBSCRIPTION, command, Envelope(actor="bench"), container.clock)
    for name in PROJECTION_NAMES:
        container.projector.catch_up(name)


def _reschedule(container: Container, start: datetime, n: int) -> Change:
    """Move the engagement to `start` (two hours long, on the same clock); its notice is v`n`."""
    from calendar_service.domain import EngagementId, ExactWhen, Reschedule
    from calendar_service.service import Envelope

    when = ExactWhen(start, start + timedelta(hours=2), "Asia/Shanghai")
    command = Reschedule(engagement_id=EngagementId(ENGAGEMENT), when=when)
    appended_at = time.time()
    container.execute(command, Envelope(actor="bench"))
    append_ms = (time.time() - appended_at) * 1000
    return Change(f"{ENGAGEMENT}|change|v{n}", appended_at, append_ms)


def _wait_for(rig: Deployment, inbox: Inbox, change: Change, subscribers: int) -> None:
    """Until every subscriber has the notice, or its outcome is in the log and no message came
    for a second after, or the limit and some overtime have passed; then (untimed) until the
    outcome is recorded, for at most OUTCOME_WAIT_S."""
    deadline = change.appended_at + LIMIT_S + OVERTIME_S
    next_look = 0.0
    while time.time() < deadline:
        if inbox.reached(change.notice_id) >= subscribers:
            break
        if change.recorded is None and time.time() >= next_look:
            next_look = time.time() + 0.5
            change.recorded = _outcome(rig.container, change.notice_id)
        if change.recorded is not None:
            before = inbox.reached(change.notice_id)
            time.sleep(1.0)
            if inbox.reached(change.notice_id) == before:
                break
        time.sleep(0.02)
    times = [min(at) for at in inbox.times(change.notice_id).values()]
    change.waited_s = (max(times) if times else time.time()) - change.appended_at
    give_up = time.time() + OUTCOME_WAIT_S
    while change.recorded is None and time.time() < give_up:
        change.recorded = _outcome(rig.container, change.notice_id)
        time.sleep(0.2)


def _outcome(container: Container, notice_id: str) -> str | None:
    """The type of the notice's outcome event in the log, if recorded."""
    for stored in container.store.read_stream(f"reminders:{ENGAGEMENT}"):
        if stored.data.get("reminder_id") == notice_id:
            return stored.type
    return None


def _tally(change: Change, times: dict[str, list[float]], subscribers: int) -> Figures:
    latencies = [(min(at) - change.appended_at) * 1000 for at in times.values()]
    last_s = max(latencies) / 1000 if latencies else 0.0
    run: Figures = {
        "notice": change.notice_id,
        "reached": len(times),
        "messages": sum(len(at) for at in times.values()),
        "append_ms": rnd(change.append_ms),
        "outcome": change.recorded,
    }
    if latencies:
        run.update(
            p50_ms=rnd(percentile(latencies, 50)),
            p99_ms=rnd(percentile(latencies, 99)),
            first_ms=rnd(min(latencies)),
            last_s=rnd(last_s),
            messages_per_s=rnd(len(times) / last_s),
            within_limit=sum(latency <= LIMIT_S * 1000 for latency in latencies),
        )
    return run


def _counting_cpu(
    rig: Deployment, cpu: dict[str, dict[str, float]], name: str, run: Callable[[], float]
) -> Callable[[], float]:
    """`run`, adding the CPU seconds each worker spent meanwhile to `cpu[name]`."""

    def counted() -> float:
        before = rig.worker_cpu_s()
        seconds = run()
        spent = cpu.setdefault(name, {})
        for worker, now in rig.worker_cpu_s().items():
            spent[worker] = spent.get(worker, 0.0) + now - before[worker]
        return seconds

    return counted


def _total(cpu: dict[str, dict[str, float]], name: str) -> float:
    return sum(cpu.get(name, {}).values())


BENCHMARKS = (
    Benchmark(
        "notices.fanout_1000",
        peer="limit: every notice accepted within 60 s, none missing or doubled, its outcome "
        "in the log; "
        "messages/s reported against a bare Celery no-op round trip on the same broker",
        checks=(
            Check("last_s", at_most=LIMIT_S),
            Check("missing", at_most=0),
            Check("duplicates", at_most=0),
            Check("unrecorded", at_most=0),
        ),
        run=fanout,
    ),
)

"""The read side (issue 4): projection catch-up and rebuild against decoded replay of the same
store in the same run, and nudge-to-visible latency through a live Celery worker.

- `catchup_100k`: `catch_up` of the calendar projection (decode, fold, derive deadlines, write
  rows and checkpoint once per page; a backlog this large is read in pages of 10,000 with the
  rebuild's GC threshold) over 100,000 events, from an empty views file, against
  `domain_replay`: iter_all plus the domain's own `event_from_data` and `evolve` of every
  event, the floor under any projection of engagement state (issue 15's peer). Target:
  catch-up at least 0.6x the domain's decode-and-fold rate. Also measured: `replay`, `iter_all`
  decoding the same events (what any reader of the log pays), and `ceiling_ratio_vs_replay`
  = replay / domain_replay, the best ratio against it such a projection could reach. Once
  after the interleaved samples, `catch_up_all` (every projection, as a real catch-up runs
  them) over the same log into a fresh views file, as a rate and a ratio to domain_replay.
- `rebuild_1m`: `projections rebuild calendar` (shadow generation, then swap) over 1,000,000
  events. Target: at most 60 s; the ratio to decoded replay of the same log is reported.
- `nudge_latency`: 1,000 commands through the write path against Redis, with a
  `celery -A workers worker --pool=threads -c 2` subprocess on the same Redis; the time from the
  nudge (one `calendar.project` task per projection, sent once the append has committed, as
  `Container.execute` does) until the engagement is in the calendar projection. Target: p99
  under 250 ms.

The log is real domain data: 10-event histories of engagements (an outbound forum invitation
that is reviewed, accepted, refined to dates and confirmed; an inbound visit scheduled,
staffed, moved and confirmed; a local meeting that is retitled and cancelled), with dates
spread over 2024-2025, produced by the domain's own `decide`. A history's events are
interleaved with 299 other engagements', so each engagement is touched on several pages, as
when engagements change over months. Populating 1,000,000 events through `append` would take
minutes, so the rows our `SqliteEventStore` would write are inserted with `executemany`, 1,000
per transaction, into a file that store created (the same schema; the same JSON).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from benchmarks._harness import (
    REPO,
    Benchmark,
    Check,
    Config,
    Figures,
    Skipped,
    interleaved,
    median,
    progress,
    rnd,
    scratch_dir,
    spread,
    timed,
)
from calendar_service.domain import (
    Accept,
    AddNote,
    AddParticipant,
    AllDayWhen,
    AttachSource,
    Cancel,
    ChangeLocation,
    ChangeTitle,
    Command,
    Confirm,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    ExactWhen,
    ImpreciseWhen,
    LocalizedText,
    Origin,
    Participant,
    Place,
    ReceiveInvitation,
    Refine,
    ReminderPolicy,
    Reschedule,
    ReviewInvitation,
    ScheduleEngagement,
    SetReminderPolicy,
    Source,
    decide,
    event_from_data,
    evolve,
)
from calendar_service.eventstore import iter_all
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.projections import PROJECTION_NAMES, Projector, default_projections
from calendar_service.projections.base import BULK_BACKLOG, BULK_PAGE_SIZE, DEFAULT_PAGE_SIZE
from calendar_service.projections.projector import REBUILD_PAGE_SIZE
from calendar_service.projections.views_sqlite import SqliteViewStore

TEMPLATE_ID = "bench-template-engagement"
WINDOW = 300
"""Engagements whose histories are interleaved with each other."""
NOW = datetime(2024, 1, 15, tzinfo=UTC)
ACTOR = "kim.minji@gg.example"
_INSERT = (
    "INSERT INTO events (position, stream, version, event_id, type, schema_version, data, "
    "recorded_at_us, known_at_us, actor, correlation_id, causation_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)"
)

# --- the workload ------------------------------------------------------------------------------

_DALIAN = Place(
    city=LocalizedText(en="Dalian", ko="다롄", zh="大连"), country="CN", tz="Asia/Shanghai"
)
_DODAMSO = Place(name=LocalizedText(en="Dodamso", ko="도담소"), country="KR", tz="Asia/Seoul")
_SOURCE = Source(origin=Origin.EXTERNAL, ref="MOFA-2024-117", claim="Dates confirmed by letter.")


def _forum(eid: EngagementId, day: date) -> list[Command]:
    month = ImpreciseWhen.month(f"{day:%Y-%m}", "Asia/Shanghai")
    first = day.replace(day=10)
    return [
        ReceiveInvitation(
            engagement_id=eid,
            inviter="hao-peng",
            channel="letter",
            details=EngagementDetails(
                kind=EngagementKind.FORUM,
                direction=Direction.OUTBOUND,
                title=LocalizedText(en="Summer Davos, Dalian", ko="하계 다보스포럼"),
                when=month,
                place=_DALIAN,
            ),
        ),
        ReviewInvitation(engagement_id=eid, reviewer="protocol-office"),
        Accept(engagement_id=eid, note="The Governor attends."),
        Refine(engagement_id=eid, when=AllDayWhen(first, first + timedelta(3), "Asia/Shanghai")),
        AddParticipant(
            engagement_id=eid, participant=Participant(party_id="kim-dong-yeon", role="host")
        ),
        AddNote(engagement_id=eid, text="Interpreter requested for the plenary."),
        SetReminderPolicy(
            engagement_id=eid, policy=ReminderPolicy.parse(["P30D", "P7D", "P1D"], ["email"])
        ),
        Confirm(engagement_id=eid),
        AttachSource(engagement_id=eid, sources=(_SOURCE,), note="Official confirmation."),
        AddNote(engagement_id=eid, text="Gifts chosen: celadon vase."),
    ]


def _visit(eid: EngagementId, day: date) -> list[Command]:
    start = datetime.combine(day, clock_time(10), UTC)
    moved = start + timedelta(days=2, hours=1)
    return [
        ScheduleEngagement(
            engagement_id=eid,
            details=EngagementDetails(
                kind=EngagementKind.VISIT,
                direction=Direction.INBOUND,
                title=LocalizedText(en="Liaoning delegation visit", zh="辽宁代表团访问"),
                when=ExactWhen(start, start + timedelta(hours=3), "Asia/Seoul"),
            ),
        ),
        AddParticipant(
            engagement_id=eid, participant=Participant(party_id="hao-peng", role="guest")
        ),
        AddParticipant(
            engagement_id=eid, participant=Participant(party_id="kim-dong-yeon", role="host")
        ),
        ChangeLocation(engagement_id=eid, place=_DODAMSO),
        AddNote(engagement_id=eid, text="Halal lunch for two delegates."),
        Reschedule(
            engagement_id=eid,
            when=ExactWhen(moved, moved + timedelta(hours=3), "Asia/Seoul"),
            reason="The delegation's flight moved.",
        ),
        Confirm(engagement_id=eid),
        AddNote(engagement_id=eid, text="Press office informed."),
        AttachSource(engagement_id=eid, sources=(_SOURCE,)),
        AddNote(engagement_id=eid, text="Signing table set for 6."),
    ]


def _meeting(eid: EngagementId, day: date) -> list[Command]:
    return [
        ScheduleEngagement(
            engagement_id=eid,
            details=EngagementDetails(
                kind=EngagementKind.MEETING,
                direction=Direction.LOCAL,
                title=LocalizedText(en="Sister-province working meeting"),
                when=AllDayWhen(day, day + timedelta(1), "Asia/Seoul"),
                place=_DODAMSO,
            ),
        ),
        AddNote(engagement_id=eid, text="Agenda draft circulated."),
        AddParticipant(
            engagement_id=eid, participant=Participant(party_id="li-lecheng", role="guest")
        ),
        ChangeTitle(
            engagement_id=eid,
            title=LocalizedText(en="Gyeonggi-Liaoning working meeting", ko="경기-랴오닝 실무회의"),
        ),
        AddNote(engagement_id=eid, text="Room booked."),
        Confirm(engagement_id=eid),
        AddNote(engagement_id=eid, text="Minutes template ready."),
        AttachSource(engagement_id=eid, sources=(_SOURCE,)),
        AddNote(engagement_id=eid, text="Budget code assigned."),
        Cancel(engagement_id=eid, reason="Merged into the autumn visit."),
    ]


def templates(variants: int = 40) -> list[list[tuple[str, str]]]:
    """Event histories (type, data JSON) of a template engagement, `variants` dates each."""
    made = []
    eid = EngagementId(TEMPLATE_ID)
    for n in range(variants):
        day = date(2024, 3, 1) + timedelta(days=17 * n)
        for build in (_forum, _visit, _meeting):
            state, history = None, []
            for command in build(eid, day):
                for event in decide(state, command, NOW):
                    state = evolve(state, event)
                    history.append((event.event_type, json.dumps(event.to_data())))
            assert len(history) == 10, (build.__name__, len(history))
            made.append(history)
    return made


def rows(total: int) -> Iterator[tuple[Any, ...]]:
    """The log rows of `total` events (whole 10-event histories), interleaved by WINDOW."""
    histories = templates()
    engagements = total // 10
    position = 0
    base_us = int(NOW.timestamp() * 1_000_000)
    for window in range(0, engagements, WINDOW):
        members = range(window, min(window + WINDOW, engagements))
        for version in range(1, 11):
            for n in members:
                event_type, data = histories[n % len(histories)][version - 1]
                position += 1
                name = f"bench-{n:07d}"
                yield (
                    position,
                    f"engagement:{name}",
                    version,
                    str(uuid.UUID(int=position)),
                    event_type,
                    1,
                    data.replace(TEMPLATE_ID, name),
                    base_us + position * 1000,
                    None,
                    ACTOR,
                )


def populate(path: Path, total: int) -> None:
    """A SQLite event log at `path` holding `total` events of the workload."""
    SqliteEventStore(path).close()  # the schema, exactly as the store makes it
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        chunk: list[tuple[Any, ...]] = []
        for row in rows(total):
            chunk.append(row)
            if len(chunk) == 1000:
                _insert(conn, chunk)
                chunk = []
        if chunk:
            _insert(conn, chunk)
    finally:
        conn.close()


def _insert(conn: sqlite3.Connection, chunk: list[tuple[Any, ...]]) -> None:
    conn.execute("BEGIN")
    conn.executemany(_INSERT, chunk)
    conn.execute("COMMIT")


def replay(store: SqliteEventStore, total: int) -> float:
    def run() -> None:
        seen = sum(1 for _ in iter_all(store))
        assert seen == total, seen

    return timed(run)


# --- catch-up and rebuild ----------------------------------------------------------------------


def domain_replay(store: SqliteEventStore, total: int) -> float:
    """iter_all, then every engagement folded from its events by the domain: the least any
    projection of engagement state can do (decode each event into the domain, evolve)."""

    def run() -> None:
        states: dict[str, Any] = {}
        seen = 0
        for stored in iter_all(store):
            event = event_from_data(stored.type, stored.data)
            states[stored.stream] = evolve(states.get(stored.stream), event)
            seen += 1
        assert seen == total, seen

    return timed(run)


def catchup_100k(config: Config) -> Figures:
    total = config.pick(100_000, 5_000)
    repeats = config.pick(3, 1)
    with scratch_dir("bench-projections-") as directory:
        progress(f"   populating {total} events")
        populate(directory / "events.db", total)
        store = SqliteEventStore(directory / "events.db")
        runs = iter(range(1_000_000))

        def catch_up() -> float:
            path = directory / f"views-{next(runs)}.db"
            views = SqliteViewStore(path)
            projector = Projector(store, views, default_projections())
            try:
                seconds = timed(lambda: projector.catch_up("calendar"))
                assert views.checkpoint("calendar") == total
            finally:
                views.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            return seconds

        try:
            samplers = {
                "catch_up": catch_up,
                "replay": lambda: replay(store, total),
                "domain_replay": lambda: domain_replay(store, total),
            }
            interleaved(samplers, 1)  # warm-up: page cache, holiday tables, statement caches
            progress(f"   {total} events x {repeats} repeats x 3 contenders")
            samples = interleaved(samplers, repeats)
            progress(f"   every projection over {total} events, once")
            all_s = catch_up_all(store, directory / "views-all.db", total)
        finally:
            store.close()
    ours, peer = median(samples["catch_up"]), median(samples["replay"])
    domain = median(samples["domain_replay"])
    return {
        "events": total,
        "engagements": total // 10,
        "page": BULK_PAGE_SIZE if total >= BULK_BACKLOG else DEFAULT_PAGE_SIZE,
        "repeats": repeats,
        "catch_up_events_per_s": rnd(total / ours, 4),
        "domain_replay_events_per_s": rnd(total / domain, 4),
        "replay_events_per_s": rnd(total / peer, 4),
        "ratio_vs_domain_replay": rnd(domain / ours),
        "ratio_vs_replay": rnd(peer / ours),
        "ceiling_ratio_vs_replay": rnd(peer / domain),
        "catch_up_all_s": rnd(all_s),
        "catch_up_all_events_per_s": rnd(total / all_s, 4),
        "catch_up_all_ratio_vs_domain_replay": rnd(domain / all_s),
        "spread_max": rnd(max(spread(s) for s in samples.values()), 2),
    }


def catch_up_all(store: SqliteEventStore, path: Path, total: int) -> float:
    """Seconds `Projector.catch_up_all` takes over the log into a fresh views file at `path`."""
    views = SqliteViewStore(path)
    projector = Projector(store, views, default_projections())
    try:
        seconds = timed(projector.catch_up_all)
        assert all(views.checkpoint(name) == total for name in projector.names)
    finally:
        views.close()
    return seconds


def rebuild_1m(config: Config) -> Figures:
    total = config.pick(1_000_000, 20_000)
    with scratch_dir("bench-projections-") as directory:
        progress(f"   populating {total} events")
        started = time.perf_counter()
        populate(directory / "events.db", total)
        populate_s = time.perf_counter() - started
        store = SqliteEventStore(directory / "events.db")
        views = SqliteViewStore(directory / "events.views.db")
        projector = Projector(store, views, default_projections())
        try:
            progress(f"   replaying {total} events")
            replay_s = replay(store, total)
            progress(f"   rebuilding the calendar from {total} events")
            rebuild_s = timed(lambda: projector.rebuild("calendar"))
            assert views.checkpoint("calendar") == total
            engagements = sum(1 for _ in views.rows("calendar", "engagements"))
        finally:
            views.close()
            store.close()
    return {
        "events": total,
        "engagements": engagements,
        "page": REBUILD_PAGE_SIZE,
        "rebuild_s": rnd(rebuild_s),
        "replay_s": rnd(replay_s),
        "rebuild_events_per_s": rnd(total / rebuild_s, 4),
        "replay_events_per_s": rnd(total / replay_s, 4),
        "ratio_vs_replay": rnd(replay_s / rebuild_s),
        "limit_s": 60,
        "ratio_vs_limit": rnd(60 / rebuild_s),
        "populate_s": rnd(populate_s),
    }


# --- nudge latency -----------------------------------------------------------------------------


def nudge_latency(config: Config) -> Figures:
    """Commands through the write path; nudge to visible in the calendar, with a live worker."""
    import redis

    from calendar_service.bootstrap import build
    from calendar_service.config import Settings
    from calendar_service.service import ENGAGEMENT, Envelope, handle
    from workers.nudge import celery_nudger

    commands = config.pick(1000, 50)
    url = os.environ.get("CALENDAR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        raise Skipped(f"no Redis at {url} ({error})") from None
    prefix = f"bench-{uuid.uuid4().hex[:12]}"
    broker = url.rsplit("/", 1)[0] + "/15"
    env = {
        **os.environ,
        "CALENDAR_STORE": f"{url}?prefix={prefix}",
        "CALENDAR_REDIS_ALLOW_EPHEMERAL": "true",
        "CALENDAR_BROKER": broker,
    }
    settings = Settings(store=env["CALENDAR_STORE"], broker=broker, redis_allow_ephemeral=True)
    container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
    visible, committed = [], []
    try:
        with _worker(env, prefix):
            template = _visit(EngagementId("bench-latency"), date(2025, 6, 2))[0]
            for n in range(commands):
                eid = EngagementId(f"bench-latency-{n:05d}")
                command = replace(template, engagement_id=eid)
                started = time.perf_counter()
                handle(container.store, ENGAGEMENT, command, Envelope(actor=ACTOR), container.clock)
                appended = time.perf_counter()
                container.nudger.nudge()  # every projection, as the write path does
                _wait_visible(container, str(eid))
                done = time.perf_counter()
                visible.append(done - appended)
                committed.append(done - started)
    finally:
        container.close()
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()
        _forget_queue(broker, prefix)
    ms = sorted(v * 1000 for v in visible)
    p50, p99 = _percentile(ms, 50), _percentile(ms, 99)
    return {
        "commands": commands,
        "worker": "celery -A workers worker --pool=threads -c 2",
        "p50_ms": rnd(p50),
        "p99_ms": rnd(p99),
        "max_ms": rnd(ms[-1]),
        "command_to_visible_p50_ms": rnd(_percentile(sorted(c * 1000 for c in committed), 50)),
        "limit_p99_ms": 250,
        "ratio_vs_limit": rnd(250 / p99),
    }


def _forget_queue(broker_url: str, queue: str) -> None:
    """Delete the benchmark's queue and its bindings from the broker (nudges left unconsumed)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        for key in client.scan_iter(match=f"*{queue}*", count=1000):
            client.delete(key)
    finally:
        client.close()


def _percentile(values: list[float], pct: float) -> float:
    index = min(len(values) - 1, max(0, round(pct / 100 * len(values) + 0.5) - 1))
    return values[index]


def _wait_visible(container: Any, engagement_id: str, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while not container.views.get("calendar", "engagements", [engagement_id]):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{engagement_id} not in the calendar after {timeout} s")
        time.sleep(0.0005)


@contextmanager
def _worker(env: dict[str, str], prefix: str) -> Iterator[None]:
    log = Path(REPO / "var" / "bench" / f"worker-{prefix}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
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
                f"{prefix}@%h",
            ],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: " ready." in log.read_text(errors="replace"), process, log)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


def _wait_for(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)


BENCHMARKS = (
    Benchmark(
        "projections.catchup_100k",
        peer="the domain's own decode and fold (iter_all, event_from_data, evolve) of the same "
        "100,000 events in the same run",
        checks=(Check("ratio_vs_domain_replay", at_least=0.6),),
        run=catchup_100k,
    ),
    Benchmark(
        "projections.rebuild_1m",
        peer="limit 60 s; decoded replay of the same 1,000,000 events for the ratio",
        checks=(Check("rebuild_s", at_most=60),),
        run=rebuild_1m,
    ),
    Benchmark(
        "projections.nudge_latency",
        peer="limit: p99 250 ms from nudge to visible, live worker on Redis",
        checks=(Check("p99_ms", at_most=250),),
        run=nudge_latency,
    ),
)

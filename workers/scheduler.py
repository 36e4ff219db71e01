"""The reminder scheduler: APScheduler date jobs that mirror the reminder schedule projection.

Run it as `calendar-service scheduler` (which calls `run_process`). `calendar-service serve`
without a broker runs the same scheduler in a thread of the server (`start_embedded`), where a
job delivers the reminder itself instead of publishing a task.

- Jobs: one `DateTrigger` job per pending reminder, id = the reminder id, `replace_existing`,
  an explicit `misfire_grace_time` (= CALENDAR_REMINDER_GRACE; APScheduler's default of one
  second drops jobs that start late under load), `coalesce`. A job only hands the reminder on
  (`fire`): `send_task("calendar.deliver_reminder", [reminder_ids])` (`Batches`: the reminders
  handed on within 20 ms of each other, up to 8, in one task), or in the embedded mode
  `deliver_with_retries`. No Celery ETA or countdown, no celery beat.
- Job store: persistent, and only a cache (`calendar_service.reminders.schedule.Reconciler`
  rebuilds it from the projection at start-up and every CALENDAR_SCHEDULER_RECONCILE_INTERVAL
  seconds):
  `RedisJobStore` under the deployment's prefix with a Redis store, `SQLAlchemyJobStore` in a
  SQLite file beside a SQLite store (`var/events.jobs.db`), memory with a memory store.
- One active scheduler: the `scheduler` claim (SET NX PX), renewed every third of
  CALENDAR_SCHEDULER_LOCK_TTL. A second scheduler logs that it is a standby and tries the lock
  every second; a scheduler that cannot renew steps down (pauses its jobs) before its lock can
  expire, and one that stops (SIGTERM) releases it.
- Safety net: every CALENDAR_SCHEDULER_NUDGE_INTERVAL seconds it nudges every projection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import uuid4

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from calendar_service.bootstrap import (
    Container,
    build,
    check_broker,
    open_claims,
    reminder_delivery,
)
from calendar_service.config import RedisLocation, Settings, SqliteLocation
from calendar_service.logs import configure_logging
from calendar_service.projections import PROJECTION_NAMES
from calendar_service.reminders.deliver import Deliverer, deliver_with_retries
from calendar_service.reminders.leases import Claims
from calendar_service.reminders.schedule import LeaderLock, Reconciler
from workers.celery_app import DELIVER_REMINDER, producer_app, queue_name
from workers.nudge import celery_nudger

logger = logging.getLogger("workers.scheduler")

POLL_SECONDS = 0.2
"""How often the active scheduler looks at the reminder schedule's checkpoint."""
STANDBY_POLL_SECONDS = 1.0
"""How often a standby tries the scheduler lock: it takes over within a second of its expiry
(one SET NX a second), so within CALENDAR_SCHEDULER_LOCK_TTL and a second of the active
scheduler's death, or at once after its clean shutdown (which releases the lock)."""
REFIRE_CHECK_SECONDS = 2.0
"""How often overdue, still pending reminders are looked at even if the schedule did not move."""
SLOT_SECONDS = 0.1
"""Reminders due within one such slot share a job, run at the slot's end: at most this late."""
SLOT_PREFIX = "slot:"
BATCH_WINDOW_SECONDS = 0.02
"""Reminders handed on within this many seconds of the first go out in one task."""
BATCH_MOST = 8
"""Reminder ids one task carries at most: a burst still spreads over every worker thread."""
_SEND_RETRY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
PUBLISH_PATIENCE = 30.0
"""Seconds a job keeps trying to publish its reminder to a broker that fails (any error: kombu
raises OperationalError, and AttributeError from a pool whose connection Redis dropped), with
a new producer each time; after that the reminder is handed on again by the refire."""

_hand_on: Callable[[str], None] | None = None


def fire(reminder_id: str) -> None:
    """The job every reminder runs, stored in the job store by reference (keep its name)."""
    if _hand_on is None:
        raise RuntimeError("no reminder scheduler is active in this process")
    _hand_on(reminder_id)


def fire_many(items: list[list[str]]) -> None:
    """The job of one slot (`ApsJobTable`): each reminder's [id, due] handed on, in order."""
    for reminder_id, _due in items:
        fire(reminder_id)


class ApsJobTable:
    """`JobTable` over an APScheduler scheduler's default job store, in slots: the reminders
    due within one SLOT_SECONDS share one date job (`slot:<instant>`, run at the slot's end),
    so a burst costs the scheduler one job per slot, not one per reminder. Jobs of one reminder
    each (`fire`, id = the reminder id; from before the slots) are read and removed as well."""

    def __init__(self, scheduler: BackgroundScheduler, misfire_grace: int) -> None:
        self._scheduler, self._misfire = scheduler, misfire_grace
        self._slots: dict[str, dict[str, datetime]] = {}
        """Slot job id -> its reminders' due instants, as this table last wrote them."""
        self._slot_of: dict[str, str] = {}
        self._puts = 0
        self._dirty: set[str] = set()

    def jobs(self) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        self._slots, self._slot_of = {}, {}
        for job in self._scheduler.get_jobs():
            if job.next_run_time is None:
                continue
            if job.id.startswith(SLOT_PREFIX) and job.args:
                members = {rid: datetime.fromisoformat(due) for rid, due in job.args[0]}
                self._slots[job.id] = members
                for rid, due in members.items():
                    self._slot_of[rid] = job.id
                    found[rid] = due
            else:
                found[job.id] = job.next_run_time.astimezone(UTC)
        return found

    def put(self, job_id: str, run_at: datetime) -> None:
        self._puts += 1
        if self._puts % 1000 == 0:
            self._forget_past()
        end = _slot_end(run_at)
        slot = f"{SLOT_PREFIX}{end.isoformat()}"
        if self._slot_of.get(job_id) not in (None, slot):
            self.remove(job_id)
        members = self._slots.setdefault(slot, {})
        members[job_id] = run_at
        self._slot_of[job_id] = slot
        self._dirty.add(slot)

    def flush(self) -> None:
        """Write each slot changed since the last flush once (the reconciler calls this after
        each pass): a slot of a thousand reminders is not rewritten a thousand times."""
        dirty, self._dirty = self._dirty, set()
        for slot in sorted(dirty):
            members = self._slots.get(slot)
            if members:
                self._write(slot, _slot_end(max(members.values())), members)
            else:
                self._slots.pop(slot, None)
                with contextlib.suppress(JobLookupError):
                    self._scheduler.remove_job(slot)

    def remove(self, job_id: str) -> None:
        slot = self._slot_of.pop(job_id, None)
        if slot is not None:
            self._slots.get(slot, {}).pop(job_id, None)
            self._dirty.add(slot)
        with contextlib.suppress(JobLookupError):  # a job of one reminder, from before slots
            self._scheduler.remove_job(job_id)

    def _forget_past(self) -> None:
        """Slots that ended a minute ago have run: no longer this table's to write."""
        gone = datetime.now(UTC) - timedelta(seconds=60)
        for slot, members in list(self._slots.items()):
            if members and _slot_end(max(members.values())) < gone:
                del self._slots[slot]
                for rid in members:
                    if self._slot_of.get(rid) == slot:
                        del self._slot_of[rid]

    def _write(self, slot: str, end: datetime, members: dict[str, datetime]) -> None:
        self._scheduler.add_job(
            fire_many,
            trigger=DateTrigger(run_date=end, timezone=UTC),
            args=[[[rid, due.isoformat()] for rid, due in sorted(members.items())]],
            id=slot,
            name=slot,
            replace_existing=True,
            misfire_grace_time=self._misfire,
            coalesce=True,
            max_instances=1,
        )


def _slot_end(at: datetime) -> datetime:
    """The end of the SLOT_SECONDS slot `at` falls in (`at` itself on a boundary)."""
    step = timedelta(seconds=SLOT_SECONDS)
    return _EPOCH + -(-(at - _EPOCH) // step) * step


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ReminderScheduler:
    """One scheduler instance: a standby until it holds the lock, then active until it stops
    or loses the lock."""

    def __init__(
        self,
        container: Container,
        claims: Claims,
        hand_on: Callable[[str], None],
        jobstore: BaseJobStore,
        *,
        name: str | None = None,
        threads: int = 20,
    ) -> None:
        settings = container.settings
        self.container, self.settings = container, settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"
        self.lock = LeaderLock(claims, self.name, settings.scheduler_lock_ttl)
        self._claims, self._hand_on, self._jobstore, self._threads = (
            claims,
            hand_on,
            jobstore,
            threads,
        )
        self._aps: BackgroundScheduler | None = None
        self._reconciler: Reconciler | None = None

    def run(self, stop: threading.Event) -> None:
        """Wait for the lock, schedule while holding it; return once `stop` is set."""
        standby_said = False
        try:
            while not stop.is_set():
                if not self._try_acquire():
                    if not standby_said:
                        logger.info(
                            "scheduler %s: standby, another scheduler is active (%s holds the "
                            "scheduler lock); waiting to take over",
                            self.name,
                            self.lock.holder(),
                        )
                        standby_said = True
                    stop.wait(min(STANDBY_POLL_SECONDS, self.settings.scheduler_lock_ttl / 3))
                    continue
                standby_said = False
                logger.info("scheduler %s: active (holds the scheduler lock)", self.name)
                try:
                    self._activate()
                    self._serve(stop)
                except Exception:
                    logger.exception("scheduler %s: failed; stepping down", self.name)
                    stop.wait(1.0)
                finally:
                    self._deactivate()
        finally:
            if self._aps is not None:
                self._aps.shutdown(wait=False)
            self.lock.release()
            logger.info("scheduler %s: stopped", self.name)

    def _try_acquire(self) -> bool:
        try:
            return self.lock.acquire()
        except Exception as error:
            logger.warning("scheduler %s: cannot reach the lock: %s", self.name, error)
            return False

    def _activate(self) -> None:
        global _hand_on
        _hand_on = self._hand_on
        settings = self.settings
        if self._aps is None:
            grace = max(1, int(settings.reminder_grace.total_seconds()))
            self._aps = BackgroundScheduler(
                jobstores={"default": self._jobstore},
                executors={"default": ThreadPoolExecutor(self._threads)},
                job_defaults={"misfire_grace_time": grace, "coalesce": True, "max_instances": 1},
                timezone=UTC,
                jobstore_retry_interval=1,
            )
            self._reconciler = Reconciler(
                self.container.views,
                self.container.store,
                ApsJobTable(self._aps, grace),
                grace=settings.reminder_grace,
                horizon=settings.scheduler_horizon,
                refire_after=timedelta(seconds=max(1.0, settings.reminder_claim_ttl / 2)),
                clock=self.container.clock,
            )
            self._aps.start(paused=True)
        assert self._reconciler is not None
        done = self._reconciler.full()
        logger.info("scheduler %s: reconciled at start: %s", self.name, done)
        self._aps.resume()

    def _deactivate(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.pause()

    def _serve(self, stop: threading.Event) -> None:
        settings, reconciler = self.settings, self._reconciler
        assert reconciler is not None
        ttl = settings.scheduler_lock_ttl
        now = time.monotonic()
        renewed = now
        next_renew, next_full = now + ttl / 3, now + settings.scheduler_reconcile_interval
        next_nudge, next_refire = now, now + REFIRE_CHECK_SECONDS
        while not stop.wait(POLL_SECONDS):
            now = time.monotonic()
            if now >= next_renew:
                next_renew = now + ttl / 3
                try:
                    if not self.lock.acquire():
                        logger.warning("scheduler %s: lost the scheduler lock", self.name)
                        return
                    renewed = now
                except Exception as error:
                    logger.warning("scheduler %s: lock not renewed: %s", self.name, error)
                    if now - renewed > ttl * 0.6:
                        logger.warning(
                            "scheduler %s: stepping down before the lock expires", self.name
                        )
                        return
            try:
                if now >= next_full:
                    next_full = now + settings.scheduler_reconcile_interval
                    logger.info("scheduler %s: reconciled: %s", self.name, reconciler.full())
                else:
                    force = now >= next_refire
                    if force:
                        next_refire = now + REFIRE_CHECK_SECONDS
                    reconciler.incremental(force=force)
                if now >= next_nudge:
                    next_nudge = now + settings.scheduler_nudge_interval
                    self.container.nudge_all()
            except Exception as error:
                logger.warning("scheduler %s: reconciliation failed: %s", self.name, error)


def jobstore_for(settings: Settings) -> BaseJobStore:
    """Redis beside a Redis store (its prefix), SQLite beside a SQLite one, else memory."""
    location = settings.location
    if isinstance(location, RedisLocation):
        return RedisJobStore(
            jobs_key=f"{location.prefix}:scheduler:jobs",
            run_times_key=f"{location.prefix}:scheduler:run_times",
            **_redis_connection(location.url),
        )
    if isinstance(location, SqliteLocation):
        path = location.jobs.resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLAlchemyJobStore(url=f"sqlite:///{path}")
    return MemoryJobStore()


def _redis_connection(url: str) -> dict[str, Any]:
    """`RedisJobStore`'s connection arguments (it takes no URL) for a redis(s):// URL."""
    parts = urlsplit(url)
    connect: dict[str, Any] = {
        "db": int(parts.path.strip("/") or 0),
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
    if parts.password:
        connect["password"] = unquote(parts.password)
    if parts.username:
        connect["username"] = unquote(parts.username)
    if parts.scheme == "rediss":
        connect["ssl"] = True
    return connect


class Batches:
    """Reminders handed on within `window` seconds of each other (those due in the same
    instant of a burst) published as one task carrying up to `most` ids, so the task's own
    cost is paid once for them. A publish that fails for PUBLISH_PATIENCE is logged, and its
    reminders are handed on again by the refire."""

    def __init__(
        self,
        publish: Callable[[list[str]], None],
        *,
        window: float = BATCH_WINDOW_SECONDS,
        most: int = BATCH_MOST,
    ) -> None:
        self._publish, self._window, self._most = publish, window, most
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
        self._thread.start()

    def __call__(self, reminder_id: str) -> None:
        with self._lock:
            self._pending.append(reminder_id)
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if not self._closed:
                time.sleep(self._window)  # the rest of the instant's reminders join in
            with self._lock:
                batch, self._pending = self._pending, []
                self._wake.clear()
            for start in range(0, len(batch), self._most):
                chunk = batch[start : start + self._most]
                try:
                    self._publish(chunk)
                except Exception as error:  # the refire hands them on again
                    logger.warning("%d reminders not published: %s", len(chunk), error)
            if self._closed:
                return


def _publisher(
    settings: Settings,
    *,
    patience: float = PUBLISH_PATIENCE,
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[str | list[str]], None]:
    queue = queue_name(settings)
    current = [producer_app(settings)]
    lock = threading.Lock()

    def renew(failed: Any) -> None:
        with lock:
            if current[0] is failed:
                with contextlib.suppress(Exception):
                    failed.close()
                current[0] = producer_app(settings)

    def publish(reminder_id: str | list[str]) -> None:
        """One task for one reminder id, or for a list of them."""
        deadline, pause = time.monotonic() + patience, 0.2
        while True:
            producer = current[0]
            try:
                producer.send_task(
                    DELIVER_REMINDER,
                    args=[reminder_id],
                    queue=queue,
                    retry=True,
                    retry_policy=_SEND_RETRY,
                )
                return
            except Exception as error:  # never dropped: tried again, then refired
                renew(producer)
                if time.monotonic() > deadline:
                    logger.warning(
                        "reminder %s: not published for %.0f s (%s: %s); handed on again "
                        "by the next refire",
                        reminder_id,
                        patience,
                        type(error).__name__,
                        error,
                    )
                    raise
                logger.warning(
                    "reminder %s: not published (%s: %s); trying again in %.1f s",
                    reminder_id,
                    type(error).__name__,
                    error,
                    pause,
                )
                sleep(pause)
                pause = min(pause * 2, 2.0)

    return publish


def run_process(settings: Settings) -> None:
    """`calendar-service scheduler`: run until SIGTERM or SIGINT. With a broker, jobs publish
    `calendar.deliver_reminder`; without one, they deliver in this process."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # First: a SIGTERM during start-up still ends in `run`'s release of the lock.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    configure_logging(settings)
    check_broker(settings)  # a broker that does not answer stops start-up, in one line
    deliverer: Deliverer | None = None
    if settings.broker is None:
        container = build(settings)
        deliverer = reminder_delivery(container)
        hand_on = _delivering(deliverer)
    else:
        container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
        batches = Batches(_publisher(settings))
        hand_on = batches
    claims = open_claims(settings)
    try:
        ReminderScheduler(container, claims, hand_on, jobstore_for(settings)).run(stop)
    finally:
        if settings.broker is not None:
            batches.close()
        if deliverer is not None:
            deliverer.close()
        claims.close()
        container.close()


def _delivering(deliverer: Deliverer) -> Callable[[str], None]:
    def deliver(reminder_id: str) -> None:
        result = deliver_with_retries(deliverer, reminder_id)
        logger.info("reminder %s: %s %s", reminder_id, result.state, result.detail)

    return deliver


@dataclass
class EmbeddedScheduler:
    """The scheduler thread of `calendar-service serve`; `stop()` ends it."""

    scheduler: ReminderScheduler
    thread: threading.Thread
    deliverer: Deliverer
    claims: Claims
    _stop: threading.Event

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.thread.join(timeout)
        self.deliverer.close()
        self.claims.close()


def start_embedded(container: Container, *, name: str | None = None) -> EmbeddedScheduler:
    """The embedded mode: the same scheduler in a thread, delivering in this process."""
    settings = container.settings
    deliverer = reminder_delivery(container)
    claims = open_claims(settings)
    scheduler = ReminderScheduler(
        container, claims, _delivering(deliverer), jobstore_for(settings), name=name, threads=10
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=scheduler.run, args=(stop,), name="reminder-scheduler", daemon=True
    )
    thread.start()
    return EmbeddedScheduler(scheduler, thread, deliverer, claims, stop)

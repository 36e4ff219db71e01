"""The reminder scheduler's rules, apart from APScheduler: which jobs should exist, and which
scheduler may run them.

- `Reconciler` mirrors the reminder schedule projection (`reminders_due`) into a `JobTable`
  (APScheduler's job store, in `workers.scheduler`): one date job per pending reminder due
  within the horizon, id = the reminder id, run at its due instant. `full()` compares the whole
  table with the projection (at start-up and every few minutes), so the job store is a cache
  that can be deleted and rebuilt; `incremental()` looks only at the window around now, and
  only when the projection has moved (or `force`), so a reminder planned a few seconds ahead is
  scheduled in time (and one an operator retried is handed on at once). A job for a reminder
  that is no longer pending (sent, superseded, cancelled) is removed. A reminder already due
  and still pending (its job ran while the scheduler was down, its message or its worker was
  lost) is handed on at once, and again
  every `refire_after` while it stays pending: the delivery's claim and the log's outcome make
  the repeats harmless, and the delivery decides whether it is late or missed.
- `LeaderLock`: exactly one scheduler is active: the holder of the `scheduler` claim, renewed
  as a heartbeat; the others wait as standbys and take over once it expires.

The scheduler that runs these (APScheduler's only importer) is `workers.scheduler`: the
`calendar-service scheduler` process, or a thread of `calendar-service serve` without a broker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from calendar_service.eventstore import EventStore, iter_all
from calendar_service.eventstore.port import utc_now
from calendar_service.projections.reminders_due import NAME as SCHEDULE
from calendar_service.projections.reminders_due import PLANS, REMINDERS, pending
from calendar_service.projections.views import Doc, ViewStore
from calendar_service.reminders.leases import Claims, ClaimsError

logger = logging.getLogger(__name__)

ENGAGEMENT_STREAM = "engagement:"
REMINDER_STREAM = "reminders:"
RETRIED = "ReminderRetried"
"""An operator's retry: the reminder is pending again, and handed on at once."""
LOCK_KEY = "scheduler"


class JobTable(Protocol):
    """Date jobs by id. `put` adds or replaces; `remove` of a missing job does nothing."""

    def jobs(self) -> dict[str, datetime]:
        """Every job's id and next run time."""
        ...

    def put(self, job_id: str, run_at: datetime) -> None: ...

    def remove(self, job_id: str) -> None: ...

    def flush(self) -> None:
        """Write what `put` and `remove` changed (a table may hold them until then)."""
        ...


@dataclass(frozen=True)
class Pass:
    """What one reconciliation did."""

    put: int = 0
    refired: int = 0
    removed: int = 0


@dataclass
class Reconciler:
    views: ViewStore
    store: EventStore
    table: JobTable
    grace: timedelta
    horizon: timedelta
    refire_after: timedelta
    clock: Callable[[], datetime] = utc_now
    _jobs: dict[str, datetime] = field(default_factory=dict)
    """Future jobs this scheduler put in the table, by id."""
    _fired: dict[str, datetime] = field(default_factory=dict)
    """When each reminder whose time has come was last handed on (or its job ran)."""
    _by_engagement: dict[str, set[str]] = field(default_factory=dict)
    """The reminder ids scheduled per engagement, to notice the ones a change removed."""
    _position: int = 0
    """The log position up to which engagement changes have been looked at."""

    def full(self) -> Pass:
        """Compare the whole table with every pending reminder due within the horizon."""
        checkpoint = self.views.checkpoint(SCHEDULE)
        now = self._settle()
        existing = self.table.jobs()
        self._jobs = {rid: at for rid, at in existing.items() if at > now}
        # Checkpoint 0: never projected, so no rows (and no generation to read them from).
        rows = pending(self.views, now + self.horizon) if checkpoint else []
        counts = self._apply(rows, now)
        wanted = {row["reminder_id"] for row in rows}
        removed = 0
        for rid in existing:
            if rid not in wanted:
                self.table.remove(rid)
                self._jobs.pop(rid, None)
                removed += 1
        kept = now - self.grace - self.refire_after
        self._fired = {rid: at for rid, at in self._fired.items() if rid in wanted or at > kept}
        self._by_engagement = {}
        for rid in wanted:
            self._by_engagement.setdefault(rid.split("|", 1)[0], set()).add(rid)
        self._position = max(self._position, checkpoint)
        self.table.flush()
        return Pass(counts.put, counts.refired, counts.removed + removed)

    def incremental(self, *, force: bool = False) -> Pass | None:
        """Reconcile the engagements that changed since the last pass (read from the log up to
        the schedule's checkpoint, so the cost follows the changes, not the schedule's size);
        with `force`, also hand on again the reminders still pending `refire_after` after
        their time. None if there was nothing to look at."""
        checkpoint = self.views.checkpoint(SCHEDULE)
        touched: set[str] = set()
        if checkpoint > self._position:
            for event in iter_all(self.store, self._position):
                if event.position > checkpoint:
                    break
                if event.stream.startswith(ENGAGEMENT_STREAM):
                    touched.add(event.stream[len(ENGAGEMENT_STREAM) :])
                elif event.type == RETRIED and event.stream.startswith(REMINDER_STREAM):
                    touched.add(event.stream[len(REMINDER_STREAM) :])  # pending again
            self._position = checkpoint
        if not touched and not force:
            return None
        now = self._settle()
        put = refired = removed = 0
        for engagement_id in sorted(touched):
            counts = self._engagement(engagement_id, now)
            put, refired, removed = (
                put + counts.put,
                refired + counts.refired,
                removed + counts.removed,
            )
        if force:
            again = self._refire(now)
            refired, removed = refired + again.refired, removed + again.removed
        self.table.flush()
        return Pass(put, refired, removed)

    def _engagement(self, engagement_id: str, now: datetime) -> Pass:
        found = self.views.get(SCHEDULE, PLANS, [engagement_id]).get(engagement_id)
        plan = {} if found is None else json.loads(found)
        ids = [*plan.get("reminder_ids", []), *plan.get("notice_ids", [])]
        digests = [
            json.loads(text)
            for text in self.views.get(SCHEDULE, REMINDERS, plan.get("digest_ids", [])).values()
            if text is not None
        ]
        # Digests are not the engagement's own: scheduled here, and dropped only by `full`.
        self._apply([row for row in digests if _moment(row["due_at"]) < now + self.horizon], now)
        rows = [
            json.loads(text)
            for text in self.views.get(SCHEDULE, REMINDERS, ids).values()
            if text is not None
        ]
        rows = [row for row in rows if _moment(row["due_at"]) < now + self.horizon]
        counts = self._apply(rows, now)
        current = {row["reminder_id"] for row in rows}
        removed = 0
        for rid in self._by_engagement.get(engagement_id, set()) - current:
            if self._jobs.pop(rid, None) is not None:
                self.table.remove(rid)  # rescheduled or cancelled
                removed += 1
            self._fired.pop(rid, None)
        self._by_engagement[engagement_id] = current
        return Pass(counts.put, counts.refired, counts.removed + removed)

    def _refire(self, now: datetime) -> Pass:
        """Reminders handed on `refire_after` ago: still pending means the delivery was lost."""
        due = [rid for rid, at in self._fired.items() if now - at >= self.refire_after]
        if not due:
            return Pass()
        found = self.views.get(SCHEDULE, REMINDERS, due)
        rows = [json.loads(found[rid]) for rid in due if rid in found]
        for rid in set(due) - set(found):
            del self._fired[rid]
        counts = self._apply(rows, now)
        return Pass(counts.put, counts.refired, counts.removed + len(set(due) - set(found)))

    def _settle(self) -> datetime:
        """Now; jobs whose time has come count as fired from here on."""
        now = self.clock()
        for rid, at in list(self._jobs.items()):
            if at <= now:
                self._fired[rid] = at
                del self._jobs[rid]
        return now

    def _apply(self, rows: list[Doc], now: datetime) -> Pass:
        put = refired = removed = 0
        for row in rows:
            rid = row["reminder_id"]
            if row["status"] != "pending":
                if self._jobs.pop(rid, None) is not None:
                    self.table.remove(rid)
                    removed += 1
                self._fired.pop(rid, None)
                continue
            due = _moment(row["due_at"])
            if due > now:
                if self._jobs.get(rid) != due:
                    self.table.put(rid, due)
                    self._jobs[rid] = due
                    put += 1
                continue
            last = self._fired.get(rid)
            if last is None or now - last >= self.refire_after:
                self.table.put(rid, now)
                self._fired[rid] = now
                refired += 1
        return Pass(put, refired, removed)


@dataclass
class LeaderLock:
    """The `scheduler` claim, held by one scheduler at a time and renewed as a heartbeat."""

    claims: Claims
    owner: str
    ttl: float
    key: str = LOCK_KEY

    def acquire(self) -> bool:
        """Take the lock if it is free or expired, or extend it if it is ours (a heartbeat)."""
        return self.claims.claim(self.key, self.owner, self.ttl)

    def holder(self) -> str | None:
        try:
            return self.claims.holder(self.key)
        except ClaimsError:
            return None

    def release(self) -> None:
        try:
            self.claims.release(self.key, self.owner)
        except ClaimsError as error:
            logger.warning("scheduler lock not released (%s); it expires by itself", error)


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

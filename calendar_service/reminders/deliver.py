"""Delivering one reminder, exactly once: `Deliverer.deliver(reminder_id)`.

What `calendar.deliver_reminder` (and the embedded scheduler's job) calls. One call:

1. re-checks the reminder schedule against the log: once the reminder schedule projection has
   applied every event of the engagement's stream, the reminder's row must still be there and
   pending. A rescheduled, cancelled or declined engagement has no row for a superseded
   reminder, so it stops here and records nothing (`SKIPPED`);
2. looks for the reminder's outcome in the log (`reminders:{engagement}`): the final word, so
   a redelivered task, a second scheduler's job or a retry after a crash finds it (`DONE`);
3. claims the reminder id (`Claims.claim`, SET NX with a ttl): one sender at a time; another
   caller gets `BUSY`. The claim is a lease, renewed every third of its ttl while the delivery
   runs (`_Renewer`: one thread per process for every claim held), so a crashed holder's
   claim lapses within the ttl however long sends take;
4. judges its timing: more than `grace` late with nothing sent yet -> `ReminderMissed`;
5. sends to each recipient (`reminders.targets`: staff subscriptions, the engagement's channels;
   for a change notice, `reminders.notices`: whom the change concerns, and what each is told)
   not reached by an earlier attempt, marking each one reached (`Claims.mark`), so a retry
   sends only to those still waiting. A transient failure of a channel, while the grace is
   not spent, is tried again in the call after a pause (capped exponential backoff with
   jitter), the claim still held, while the pauses fit in `retry_within`; after that it marks
   the next attempt (`RETRY_MARK`) and ends the call (`RETRYING`); the scheduler hands the
   reminder on again, and a call before that attempt's time does nothing (`WAITING`). Once
   the grace is spent, what still fails is failed for good;
6. records the outcomes through the write path (`service.handle` with
   `service.REMINDER_OUTCOMES`): `ReminderSent` for whoever was reached and a `ReminderFailed`
   per channel that failed someone, in one append, under a command id derived from the
   reminder id: the domain refuses a second outcome of one reminder, and two appends of one
   outcome store one event. An operator's retry (`ReminderRetried`, a row's `retry`) opens the
   failed channels again, with a grace counted from the retry and a command id of its own.

Errors: `DeliveryDeferred` (the log, the views or the claims cannot be read) is for the caller
to retry: Celery's autoretry, or `deliver_with_retries`; then the scheduler's refire. A send
that succeeded is never repeated because recording it failed: marks and outcomes are retried
in-process for `RECORD_PATIENCE` seconds (a Redis restart), which is the only window where a
crash can make a recipient get a reminder twice.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID, uuid4, uuid5

from calendar_service.domain import (
    DeliveryFailure,
    DeliveryRecord,
    Engagement,
    EngagementId,
    InvalidValue,
    RecordOutcome,
    ReminderFailed,
    ReminderKey,
    ReminderMissed,
    ReminderSent,
)
from calendar_service.domain.change_notices import NOTICE_LABEL
from calendar_service.domain.reminder_outcomes import ReminderOutcomeType
from calendar_service.domain.reminder_plan import Target, Timing, channels_for, targets, timing
from calendar_service.eventstore import EventStore, EventStoreError, InvalidAppend
from calendar_service.eventstore.port import utc_now
from calendar_service.projections import ViewStoreError
from calendar_service.projections.reminders_due import NAME as SCHEDULE
from calendar_service.projections.reminders_due import (
    PLANS,
    REMINDERS,
    STAFF_ROWS,
    reminder,
)
from calendar_service.projections.subscriptions import active_subscriptions
from calendar_service.projections.views import Doc, ViewStore
from calendar_service.reminders.leases import Admission, Admissions, Claims, ClaimsError, Gate
from calendar_service.reminders.notices import (
    Digest,
    Invitations,
    InviteSync,
    Notice,
    NoticeWords,
)
from calendar_service.reminders.notify import (
    Notification,
    Notifier,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from calendar_service.reminders.notify.message import Composer, ReminderInfo
from calendar_service.service import REMINDER_OUTCOMES, Envelope, handle, load, stream_of

logger = logging.getLogger(__name__)

OUTCOME_IDS = UUID("6f1d3c0e-8a51-4f0b-9a57-2f3d8e0c7b11")
"""Namespace of outcome command ids: uuid5(OUTCOME_IDS, reminder id), one per reminder."""
MARK_TTL = 14 * 24 * 3600.0
"""Seconds a delivery's progress marks are kept: far beyond any retry or grace period."""
RECORD_PATIENCE = 60.0
"""Seconds a mark or an outcome is retried in-process after a send (a Redis restart)."""
SCHEDULE_PATIENCE = 2.0
"""Seconds to wait for the reminder schedule to apply the engagement's latest events."""
RETRY_MARK = "#retry"
"""The mark that keeps a delivery's next attempt: its number and when (`next_at`)."""
FIRST_PAUSE = 1.0
"""Seconds before the second attempt of a channel that failed; doubled at each attempt."""
_INFRA = (EventStoreError, ViewStoreError, ClaimsError)
T = TypeVar("T")
R = TypeVar("R")


class DeliveryDeferred(TransientDeliveryError):
    """The reminder cannot be judged now (the log, the views or the claims store cannot be read,
    or the schedule is behind the log); retry it."""


class State(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    SKIPPED = "skipped"
    """No longer scheduled (superseded or cancelled), or not a reminder id: nothing recorded."""
    DONE = "done"
    """Its outcome is already in the log."""
    BUSY = "busy"
    """Another delivery holds its claim."""
    EARLY = "early"
    """Not due yet: nothing done."""
    RETRYING = "retrying"
    """A channel failed transiently and the grace is not spent: tried again from `next_at`."""
    WAITING = "waiting"
    """Handed on again before its next attempt is due: nothing done."""


@dataclass(frozen=True)
class Delivered:
    reminder_id: str
    state: State
    detail: str = ""


def _never() -> None:
    pass


def _no_catch_up(name: str) -> object:
    return None


@dataclass
class Deliverer:
    """Everything a delivery needs; built once per process (`bootstrap.reminder_delivery`)."""

    store: EventStore
    views: ViewStore
    claims: Claims
    notifiers: Mapping[str, Notifier]
    """By channel: 'log' always, 'email' and 'webhook' when configured."""
    composer: Composer
    grace: timedelta
    claim_ttl: float = 8.0
    """The claim's lease: renewed every third of it while a delivery runs."""
    retries: int = 5
    """Celery retries of a delivery that cannot read the log, the views or the claims."""
    retry_cap: float = 60.0
    """Seconds at most between two attempts of a channel that failed transiently."""
    clock: Callable[[], datetime] = utc_now
    catch_up: Callable[[str], object] = _no_catch_up
    """Brings a projection up to the log (`Projector.catch_up`)."""
    after_record: Callable[[], None] = _never
    """Called after an outcome is appended: a nudge of the projections that show it."""
    actor: str = "reminders"
    notice_words: NoticeWords | None = None
    """Words change notices (email, webhook); None: they go to the log."""
    invitations: Invitations | None = None
    """Builds calendar invitations (the `invite` channel); None: none are sent."""
    subscriptions_ttl: float = 1.0
    senders: int = 8
    """Messages of one delivery sent at once (threads, each with its own connection)."""
    admissions: Admissions | None = None
    """The schedule re-check and the claim in one step (`RedisAdmissions`: one round trip);
    None: `LogAdmissions` over the store, the views and the claims."""
    retry_within: float = 0.0
    """Seconds of backoff a delivery may wait for itself, holding its claim, before it hands a
    transient failure on to the scheduler (the pauses 1, 2, 4 s fit in 8)."""
    sleep: Callable[[float], None] = time.sleep
    _subscriptions: tuple[float, list[Any]] = field(default=(-1e9, []), repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, repr=False)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _renewals: _Renewer | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._renewals is not None:
            self._renewals.close()
        if self.admissions is not None:
            self.admissions.close()
        for notifier in self.notifiers.values():
            notifier.close()
        self.claims.close()

    def _each(self, send: Callable[[Target], T], targets: list[Target]) -> list[T]:
        """`send` each target: at once by `senders` threads (each keeps its own SMTP
        connection) when there are several, so a fan-out to a thousand readers waits on the
        servers' round trips side by side, not one after another."""
        if self.senders <= 1 or len(targets) <= 1:
            return [send(target) for target in targets]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.senders, thread_name_prefix="sender")
        return list(self._pool.map(send, targets))

    def deliver(self, reminder_id: str, *, owner: str | None = None) -> Delivered:
        """Deliver the reminder if it is still due and nobody has; see the module docstring.
        `owner` names this delivery (a Celery task id)."""
        try:
            key = ReminderKey.parse(reminder_id)
        except InvalidValue as error:
            return Delivered(reminder_id, State.SKIPPED, str(error))
        owner = owner or uuid4().hex
        recorded: int | None = None
        marks: dict[str, str] | None = None
        try:
            if key.engagement_id.startswith(STAFF_ROWS):
                found = self._scheduled(key)
                if found is None:
                    return Delivered(reminder_id, State.SKIPPED, "no longer scheduled")
                row, plan = found
                if row["status"] != "pending":
                    return Delivered(reminder_id, State.DONE, str(row["status"]))
                if not self.claims.claim(reminder_id, owner, self.claim_ttl):
                    return Delivered(reminder_id, State.BUSY, "claimed by another delivery")
            else:
                admission = self._admit(key, owner)
                if admission is None:
                    return Delivered(reminder_id, State.SKIPPED, "no longer scheduled")
                row, plan, recorded, marks = admission
                if row["status"] != "pending":
                    self._quietly(lambda: self.claims.release(reminder_id, owner))
                    return Delivered(reminder_id, State.DONE, str(row["status"]))
                if marks is None:
                    return Delivered(reminder_id, State.BUSY, "claimed by another delivery")
        except _INFRA as error:
            raise DeliveryDeferred(f"reminder {reminder_id}: {error}") from error
        renewer = self._renewer()
        renewer.hold(reminder_id, owner)
        try:
            return self._claimed(key, row, plan, recorded, marks)
        finally:
            renewer.drop(reminder_id, owner)
            self._quietly(lambda: self.claims.release(reminder_id, owner))

    def _renewer(self) -> _Renewer:
        with self._pool_lock:
            if self._renewals is None:
                self._renewals = _Renewer(self.claims, self.claim_ttl)
            return self._renewals

    def _claimed(
        self,
        key: ReminderKey,
        row: Doc,
        plan: Doc,
        recorded: int | None = None,
        marks: dict[str, str] | None = None,
    ) -> Delivered:
        """`recorded`: the events of the outcome stream, if known (0: no outcome yet, nothing
        to look for); `marks`: the claim's marks, if already read."""
        rid = str(key)
        retry = row.get("retry") or {}
        generation = int(retry.get("attempt", 0))
        try:
            if recorded != 0 and (found := self._outcome(key)) is not None:
                return Delivered(rid, State.DONE, found)
            if marks is None:
                marks = self.claims.marks(rid)
        except _INFRA as error:
            raise DeliveryDeferred(f"reminder {rid}: {error}") from error
        due = _moment(row["due_at"])
        now = self.clock()
        backoff = _backoff_of(marks, generation)
        if backoff is not None and now < backoff.next_at:
            return Delivered(rid, State.WAITING, f"next attempt at {backoff.next_at.isoformat()}")
        if generation:  # an operator's retry: its own grace period, from when it was asked
            deadline = _moment(retry["at"]) + self.grace
        else:
            when = timing(due, now, self.grace)
            if when is Timing.EARLY:
                return Delivered(rid, State.EARLY, f"due {due.isoformat()}")
            if when is Timing.MISSED and not marks:
                self._record(key, [self._missed(key, row, due, now)])
                return Delivered(rid, State.MISSED, f"{(now - due).total_seconds():.0f} s late")
            deadline = due + self.grace
        attempt = 1 if backoff is None else backoff.attempt + 1
        final = now >= deadline  # the grace is spent: a transient failure is final now
        waited = 0.0
        info = ReminderInfo(rid, row["offset"], due, row.get("rule"))
        last_modified = _moment(plan["updated_at"]) if plan.get("updated_at") else now
        channels = set(retry["channels"]) if generation else None
        job = self._job(row, plan, due)
        if isinstance(job, Engagement):
            recipients = self._targets(job)
        else:
            recipients = job.recipients(self._subscribers(), self._available_for(job))
        targets = [
            target for target in recipients if channels is None or target.channel in channels
        ]
        todo = [target for target in targets if not _settled(marks.get(target.key), generation)]

        def send(target: Target) -> tuple[Target, str | None, str | None]:
            """(target, its mark, or why it waits for another attempt)."""
            try:
                told = self._send(info, job, target, last_modified)
            except PermanentDeliveryError as error:
                value = _failed(target, error.detail, True, generation)
            except TransientDeliveryError as error:
                if not final:
                    return target, None, f"{target.channel} {target.to}: {error.detail}"
                value = _failed(target, error.detail, False, generation)
            else:
                value = _sent(target, self.clock(), generation, told)
            return target, self._mark(rid, target.key, value), None

        while True:
            waiting: list[str] = []
            again: list[Target] = []
            for target, mark, wait in self._each(send, todo):
                if mark is not None:
                    marks[target.key] = mark
                if wait is not None:
                    waiting.append(wait)
                    again.append(target)
            if not waiting:
                break
            pause = _pause(attempt, self.retry_cap)
            next_at = min(self.clock() + timedelta(seconds=pause), deadline)
            if waited + pause > self.retry_within:
                break
            # Tried again here, the claim still held: no wait for the scheduler's hand-on.
            logger.info("reminder %s: attempt %d failed, again in %.1f s", rid, attempt, pause)
            self.sleep(max(0.0, (next_at - self.clock()).total_seconds()))
            waited += pause
            attempt += 1
            final = self.clock() >= deadline
            todo = again
        if waiting:
            value = {"gen": generation, "attempt": attempt, "next_at": next_at.isoformat()}
            self._mark(rid, RETRY_MARK, value)
            detail = f"attempt {attempt}, next at {next_at.isoformat()}: " + "; ".join(waiting)
            logger.warning("reminder %s: %s", rid, detail)
            return Delivered(rid, State.RETRYING, detail)
        keys = None if channels is None else {target.key for target in targets}
        outcomes = _outcomes_of(key, row, due, marks, attempt, generation, keys) or [
            self._logged(key, row, due)  # a notice that had nothing to tell anyone
        ]
        self._record(key, outcomes, generation)
        state = State.SENT if isinstance(outcomes[0], ReminderSent) else State.FAILED
        return Delivered(rid, state, ", ".join(o.event_type for o in outcomes))

    # -- reading -------------------------------------------------------------------------

    def _scheduled(self, key: ReminderKey) -> tuple[Doc, Doc] | None:
        """A digest's or an invitation catch-up's row once the schedule has caught up, and no
        plan (they have no engagement); None if it is not (or no longer) scheduled."""
        self.catch_up(SCHEDULE)
        row = reminder(self.views, str(key))
        return None if row is None else (row, {})

    def _admit(
        self, key: ReminderKey, owner: str
    ) -> tuple[Doc, Doc, int, dict[str, str] | None] | None:
        """The reminder's row, its engagement's plan, the events of its outcome stream and
        the claim's marks (None: another holds the claim), once the schedule has applied
        every event of the engagement; None if the reminder is not (or no longer) scheduled.
        Claimed if pending and free: see `Admissions`."""
        gate = Gate(
            key=str(key),
            owner=owner,
            ttl=self.claim_ttl,
            projection=SCHEDULE,
            row=(REMINDERS, str(key)),
            plan=(PLANS, key.engagement_id),
            stream=stream_of(key.engagement_id),
            outcomes=REMINDER_OUTCOMES.stream(key.engagement_id),
        )
        admissions = self._gate()
        deadline = time.monotonic() + SCHEDULE_PATIENCE
        while True:
            found = admissions.admit(gate)
            if found.row is None or found.plan is None:
                return None
            if found.current:
                marks = found.marks if found.claimed else None
                return json.loads(found.row), json.loads(found.plan), found.outcomes, marks
            if time.monotonic() > deadline:
                raise DeliveryDeferred(
                    f"the reminder schedule has not applied the last event of {gate.stream}"
                )
            self.catch_up(SCHEDULE)
            time.sleep(0.02)

    def _gate(self) -> Admissions:
        with self._pool_lock:
            if self.admissions is None:
                self.admissions = LogAdmissions(self.store, self.views, self.claims)
            return self.admissions

    def _outcome(self, key: ReminderKey) -> str | None:
        """The type of the reminder's recorded outcome, or None."""
        state, _version = load(self.store, REMINDER_OUTCOMES, key.engagement_id)
        return None if state is None else state.recorded.get(str(key))

    def _subscribers(self) -> list[Any]:
        stamp, cached = self._subscriptions
        if time.monotonic() - stamp > self.subscriptions_ttl:
            try:
                cached = active_subscriptions(self.views)
            except ViewStoreError as error:
                raise DeliveryDeferred(f"subscriptions cannot be read: {error}") from error
            self._subscriptions = (time.monotonic(), cached)
        return cached

    def _available(self) -> frozenset[str]:
        return frozenset(name for name in self.notifiers if name != "log")

    def _targets(self, engagement: Engagement) -> list[Target]:
        wanted = channels_for(engagement.reminder_policy)
        return targets(self._subscribers(), engagement.audience, wanted, self._available())

    def _job(self, row: Doc, plan: Doc, due: datetime) -> Engagement | Notice | Digest | InviteSync:
        """What a row asks for: a reminder of the engagement, a change notice, a digest, an
        invitation catch-up."""
        rules, working = self.composer.rules, self.composer.is_working_day
        if row.get("kind") == "sync":
            plans = [json.loads(doc) for _, _, _, doc in self.views.rows(SCHEDULE, PLANS)]
            return InviteSync.of(str(row["staff_id"]), plans, due, rules, working)
        if row.get("kind") == "digest":
            found = self.views.get(SCHEDULE, REMINDERS, list(row["notices"]))
            notices = tuple(
                Notice.of(json.loads(found[nid]), {}, due, rules=rules, is_working_day=working)
                for nid in row["notices"]
                if nid in found
            )
            day = datetime.strptime(row["day"], "%Y-%m-%d").date()
            return Digest(str(row["reminder_id"]), str(row["staff_id"]), day, notices, due)
        if row["offset"] == NOTICE_LABEL:
            return Notice.of(row, plan, due, rules=rules, is_working_day=working)
        return Engagement.from_json(plan["engagement"])

    def _available_for(self, job: Notice | Digest | InviteSync) -> frozenset[str]:
        """The channels a notice or digest may use: none without words for it."""
        available = self._available() if self.notice_words is not None else frozenset()
        return available - {"invite"} if self.invitations is None else available

    # -- sending and recording -----------------------------------------------------------

    def _send(
        self,
        info: ReminderInfo,
        job: Engagement | Notice | Digest | InviteSync,
        target: Target,
        last_modified: datetime,
    ) -> bool:
        """Send one target its message; False if a notice has nothing to tell them."""
        found: Notification | None
        if isinstance(job, Engagement):
            found = self.composer.compose(info, job, target, last_modified=last_modified)
        elif self.notice_words is None:
            found = None
        elif isinstance(job, Notice):
            found = job.message(target, self.notice_words, self.invitations, last_modified)
        elif isinstance(job, InviteSync):
            found = None if self.invitations is None else job.message(target, self.invitations)
        else:
            found = job.message(target, self.notice_words)
        if found is None:
            return False
        self.notifiers[target.channel].send(found)
        logger.debug("%s sent by %s to %s", info.reminder_id, target.channel, target.to)
        return True

    def _mark(self, rid: str, item: str, value: dict[str, Any]) -> str:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        self._patiently(lambda: self.claims.mark(rid, item, text, MARK_TTL))
        return text

    def _logged(self, key: ReminderKey, row: Doc, due: datetime) -> ReminderSent:
        """The outcome of a notice nobody needed: recorded as told to the service log."""
        logger.info("%s: nothing to tell anyone", key)
        record = DeliveryRecord(channel="log", to="log", at=self.clock())
        return ReminderSent(
            engagement_id=EngagementId(key.engagement_id),
            reminder_id=str(key),
            offset=row["offset"],
            due_at=due,
            deliveries=(record,),
        )

    def _missed(self, key: ReminderKey, row: Doc, due: datetime, now: datetime) -> ReminderMissed:
        return ReminderMissed(
            engagement_id=EngagementId(key.engagement_id),
            reminder_id=str(key),
            offset=row["offset"],
            due_at=due,
            late_ms=max(0, int((now - due) / timedelta(milliseconds=1))),
            grace=timedelta(seconds=int(self.grace.total_seconds())),
        )

    def _record(
        self, key: ReminderKey, outcomes: list[ReminderOutcomeType], generation: int = 0
    ) -> None:
        command = RecordOutcome(outcome=outcomes[0], also=tuple(outcomes[1:]))
        envelope = Envelope(actor=self.actor, command_id=outcome_command_id(key, generation))
        self._patiently(
            lambda: handle(self.store, REMINDER_OUTCOMES, command, envelope, self.clock)
        )
        kinds = ", ".join(outcome.event_type for outcome in outcomes)
        logger.debug("reminder %s: %s recorded", key, kinds)
        self._quietly(self.after_record)

    def _patiently(self, action: Callable[[], T]) -> T:
        """`action`, retried with backoff for RECORD_PATIENCE seconds on unreachable stores."""
        deadline, pause = time.monotonic() + RECORD_PATIENCE, 0.05
        while True:
            try:
                return action()
            except InvalidAppend:
                raise  # the store refuses it as it is: trying again cannot help
            except _INFRA as error:
                if time.monotonic() > deadline:
                    raise DeliveryDeferred(str(error)) from error
                logger.warning("retrying in %.1f s: %s", pause, error)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    @staticmethod
    def _quietly(action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as error:  # best effort: a claim expires, a nudge has a safety net
            logger.warning("ignored: %s: %s", type(error).__name__, error)


def deliver_with_retries(
    deliverer: Deliverer,
    reminder_id: str,
    *,
    backoff: float = 1.0,
    max_backoff: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivered:
    """`deliver`, retried with exponential backoff while the log, the views or the claims
    cannot be read, up to `deliverer.retries` times: the embedded mode's Celery autoretry. (A
    channel that fails is retried by handing the reminder on again: the scheduler's refire.)"""
    attempt = 1
    while True:
        try:
            return deliverer.deliver(reminder_id)
        except DeliveryDeferred as error:
            if attempt > deliverer.retries:
                raise
            pause = min(backoff * 2 ** (attempt - 1), max_backoff)
            logger.warning("reminder %s: %s; retry in %.0f s", reminder_id, error, pause)
            sleep(pause)
            attempt += 1


def outcome_command_id(key: ReminderKey, generation: int = 0) -> UUID:
    """The command id every recording of this reminder's outcome carries: a retried or a
    concurrent recording is then the same command, and stores nothing twice. An operator's
    retry (`generation` 1, 2, ...) records under its own."""
    return uuid5(OUTCOME_IDS, str(key) if not generation else f"{key}#retry{generation}")


@dataclass(frozen=True)
class _Backoff:
    attempt: int
    next_at: datetime


def _backoff_of(marks: Mapping[str, str], generation: int) -> _Backoff | None:
    """The attempt this delivery made last and when the next may run, if a channel failed."""
    text = marks.get(RETRY_MARK)
    if text is None:
        return None
    value = json.loads(text)
    if int(value.get("gen", 0)) != generation:
        return None
    return _Backoff(int(value["attempt"]), datetime.fromisoformat(value["next_at"]))


def _pause(attempt: int, cap: float) -> float:
    """Seconds before the attempt after `attempt`: exponential, capped, with full jitter in
    its upper half (so workers that failed together do not retry together)."""
    ceiling = min(cap, FIRST_PAUSE * 2 ** min(attempt - 1, 30))
    return float(ceiling * random.uniform(0.5, 1.0))


def _settled(text: str | None, generation: int) -> bool:
    """Whether a recipient's mark means it needs nothing more in this generation: reached at
    any time, or failed for good in this one."""
    if text is None:
        return False
    mark = json.loads(text)
    return bool(mark["state"] in ("sent", "skipped") or int(mark.get("gen", 0)) == generation)


class LogAdmissions:
    """`Admissions` through the ports, one read after another: the embedded mode's (SQLite)
    and the reference the Redis script is held to (tests/contract)."""

    def __init__(self, store: EventStore, views: ViewStore, claims: Claims) -> None:
        self._store, self._views, self._claims = store, views, claims

    def admit(self, gate: Gate) -> Admission:
        # The checkpoint first: rows read after it reflect at least every event up to it.
        checkpoint = self._views.checkpoint(gate.projection)
        (row_table, row_key), (plan_table, plan_key) = gate.row, gate.plan
        row = self._views.get(gate.projection, row_table, [row_key]).get(row_key)
        plan = self._views.get(gate.projection, plan_table, [plan_key]).get(plan_key)
        if row is None or plan is None:
            return Admission(row, plan, current=False, claimed=False)
        newer = self._store.read_stream(gate.stream, json.loads(plan)["version"])
        if newer and checkpoint < newer[-1].position:
            return Admission(row, plan, current=False, claimed=False)
        if not self._claims.claim(gate.key, gate.owner, gate.ttl):
            return Admission(row, plan, current=True, claimed=False)
        try:
            outcomes = self._store.stream_version(gate.outcomes)
            marks = self._claims.marks(gate.key)
        except BaseException:
            with contextlib.suppress(Exception):  # else it lapses within its ttl
                self._claims.release(gate.key, gate.owner)
            raise
        return Admission(row, plan, current=True, claimed=True, outcomes=outcomes, marks=marks)

    def close(self) -> None:
        pass  # the ports are the deliverer's


class _Renewer:
    """Renews every claim this process's deliveries hold, every third of its ttl, from one
    thread (a heartbeat), so a claim outlives a dead worker by at most its ttl, however long
    a live send takes, and a delivery starts no thread of its own."""

    def __init__(self, claims: Claims, ttl: float) -> None:
        self._claims, self._ttl = claims, ttl
        self._held: dict[tuple[str, str], float] = {}
        """(key, owner) -> when (monotonic) its claim was last taken or renewed."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    def hold(self, key: str, owner: str) -> None:
        with self._lock:
            self._held[(key, owner)] = time.monotonic()
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="claims", daemon=True)
                self._thread.start()

    def drop(self, key: str, owner: str) -> None:
        with self._lock:
            self._held.pop((key, owner), None)

    def close(self) -> None:
        with self._lock:
            self._closed, thread = True, self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=5)

    def _run(self) -> None:
        every = self._ttl / 3
        while not self._wake.wait(every / 4):
            now = time.monotonic()
            with self._lock:
                due = [held for held, at in self._held.items() if now - at >= every]
            for key, owner in due:
                try:
                    if not self._claims.claim(key, owner, self._ttl):
                        logger.warning("reminder %s: claim lost to another delivery", key)
                except Exception as error:  # a claim not renewed expires; the send goes on
                    logger.warning("reminder %s: claim not renewed: %s", key, error)
                    continue
                with self._lock:
                    if (key, owner) in self._held:
                        self._held[(key, owner)] = now


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _sent(target: Target, at: datetime, generation: int = 0, told: bool = True) -> dict[str, Any]:
    """A recipient reached (`told`), or one a notice had nothing for (settled, not listed)."""
    return {
        "gen": generation,
        "state": "sent" if told else "skipped",
        "channel": target.channel,
        "to": target.to,
        "lang": target.lang,
        "at": at.astimezone(UTC).isoformat(),
    }


def _failed(target: Target, error: str, permanent: bool, generation: int = 0) -> dict[str, Any]:
    return {
        "gen": generation,
        "state": "failed",
        "channel": target.channel,
        "to": target.to,
        "lang": target.lang,
        "error": error[:500],
        "permanent": permanent,
    }


def _outcomes_of(
    key: ReminderKey,
    row: Doc,
    due: datetime,
    marks: dict[str, str],
    attempts: int,
    generation: int = 0,
    keys: set[str] | None = None,
) -> list[ReminderOutcomeType]:
    """`ReminderSent` for whoever was reached (first), then a `ReminderFailed` per channel
    that failed someone: a failed email never hides inside the record of a sent webhook.
    `keys`: the recipients an operator's retry was about (None: every one marked)."""
    sent: list[DeliveryRecord] = []
    failed: dict[str, list[DeliveryFailure]] = {}
    for item, text in sorted(marks.items()):
        if item.startswith("#") or (keys is not None and item not in keys):
            continue
        mark = json.loads(text)
        if mark["state"] == "skipped":
            continue
        if mark["state"] == "sent":
            sent.append(
                DeliveryRecord(
                    channel=mark["channel"],
                    to=mark["to"],
                    at=datetime.fromisoformat(mark["at"]),
                    lang=mark["lang"],
                )
            )
        elif int(mark.get("gen", 0)) == generation:
            failed.setdefault(mark["channel"], []).append(
                DeliveryFailure(
                    channel=mark["channel"],
                    to=mark["to"],
                    error=mark["error"] or "failed",
                    permanent=mark["permanent"],
                )
            )
    common: dict[str, Any] = {
        "engagement_id": EngagementId(key.engagement_id),
        "reminder_id": str(key),
        "offset": row["offset"],
        "due_at": due,
    }
    outcomes: list[ReminderOutcomeType] = []
    if sent:
        first = min(record.at for record in sent)
        late = max(0, int((first - due) / timedelta(milliseconds=1)))
        outcomes += [
            ReminderSent(**common, deliveries=part, late_ms=late) for part in _parts(sent, 150)
        ]
    for channel, failures in sorted(failed.items()):
        outcomes += [
            ReminderFailed(**common, failures=part, attempts=attempts, channel=channel)
            for part in _parts(failures, 50)
        ]
    return outcomes


def _parts(records: list[R], size: int) -> list[tuple[R, ...]]:
    """`records` by `size`: a notice to a thousand readers is recorded as several outcome
    events of one append (the first decides), each well under the store's MAX_EVENT_BYTES
    (a delivery is ~110 bytes of JSON, a failure with its error at most ~900)."""
    return [tuple(records[i : i + size]) for i in range(0, len(records), size)]

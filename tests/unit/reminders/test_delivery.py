"""Delivering one reminder exactly once, over the memory log, views and claims, with notifiers
that record (or fail) and a clock moved by hand."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from calendar_service.domain import (
    Audience,
    Cancel,
    Channel,
    Command,
    ExactWhen,
    InvalidValue,
    ReminderKey,
    ReminderPolicy,
    Reschedule,
    RetryReminder,
    SetReminderPolicy,
    SubscribeStaff,
    UnsubscribeStaff,
)
from calendar_service.domain.engagement.values import REMINDER_CHANNELS
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import MemoryViewStore, Projector, default_projections
from calendar_service.projections.reminders_due import reminders_of
from calendar_service.read import engagement_history
from calendar_service.reminders.deliver import Deliverer, State, deliver_with_retries
from calendar_service.reminders.leases import ClaimsUnavailable, MemoryClaims
from calendar_service.reminders.notify import (
    Notification,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from calendar_service.reminders.notify.message import Composer
from calendar_service.service import ENGAGEMENT, Envelope, handle, settle
from calendar_service.staff.subscriptions import subscribe
from tests.unit.domain.builders import DAVOS, scheduled, weekdays_only

T0 = datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
START = T0 + timedelta(days=10)
WHEN = ExactWhen(START, START + timedelta(hours=2), "Asia/Shanghai")
GRACE = timedelta(minutes=15)


@dataclass
class Recorder:
    channel: str
    sent: list[Notification] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)

    def send(self, notification: Notification) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(notification)

    def close(self) -> None:
        pass


class World:
    def __init__(self) -> None:
        self.now = T0
        self.store = MemoryEventStore(clock=lambda: self.now)
        self.views = MemoryViewStore()
        projections = default_projections(is_working_day=weekdays_only)
        self.projector = Projector(self.store, self.views, projections)
        self.email, self.webhook, self.log = (
            Recorder("email"),
            Recorder("webhook"),
            Recorder("log"),
        )
        self.claims = MemoryClaims()
        self.deliverer = Deliverer(
            store=self.store,
            views=self.views,
            claims=self.claims,
            notifiers={"email": self.email, "webhook": self.webhook, "log": self.log},
            composer=Composer("https://cal.example", b"key", is_working_day=weekdays_only),
            grace=GRACE,
            retries=2,
            clock=lambda: self.now,
            catch_up=self.projector.catch_up,
            subscriptions_ttl=0,
        )

    def run(self, *commands: Command) -> None:
        for command in commands:
            handle(self.store, ENGAGEMENT, command, Envelope(actor="kim"), lambda: self.now)
        self.projector.catch_up_all()

    def subscribe(self, staff_id: str, *channels: Channel, lang: str = "en") -> None:
        subscribe(
            self.store,
            self.projector,
            SubscribeStaff(
                staff_id=staff_id,
                name=staff_id.title(),
                email=f"{staff_id}@example.org",
                audience=Audience.STAFF,
                channels=frozenset(channels),
                lang=lang,
            ),
            actor="admin",
        )

    def unsubscribe(self, staff_id: str) -> None:
        leave = UnsubscribeStaff(staff_id=staff_id)
        settle(self.store, self.projector, leave, Envelope("admin"), lambda: self.now)

    def reminder(self, offset: str = "start-P1D") -> dict[str, object]:
        rows = {row["offset"]: row for row in reminders_of(self.views, str(DAVOS))}
        return rows[offset]

    def outcomes(self) -> list[str]:
        return [event.type for event in self.store.read_stream(f"reminders:{DAVOS}")]


@pytest.fixture
def world() -> World:
    found = World()
    found.subscribe("kim", Channel.EMAIL, Channel.WEBHOOK, lang="ko")
    found.subscribe("park", Channel.EMAIL)
    found.run(
        scheduled(WHEN),
        SetReminderPolicy(
            engagement_id=DAVOS, policy=ReminderPolicy((timedelta(days=1),), REMINDER_CHANNELS)
        ),
    )
    return found


def _due(row: dict[str, object]) -> datetime:
    return datetime.strptime(str(row["due_at"]), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_a_due_reminder_reaches_each_recipient_once_and_its_outcome_is_in_the_history(
    world: World,
) -> None:
    row = world.reminder()
    world.now = _due(row)
    result = world.deliverer.deliver(str(row["reminder_id"]))

    assert result.state is State.SENT
    assert sorted(n.to for n in world.email.sent) == ["kim@example.org", "park@example.org"]
    assert [n.lang for n in world.webhook.sent] == ["ko"]
    assert world.outcomes() == ["ReminderSent"]
    again = world.deliverer.deliver(str(row["reminder_id"]))
    assert again.state is State.DONE
    assert len(world.email.sent) == 2
    world.projector.catch_up_all()
    world.projector.catch_up_all()
    assert world.reminder()["status"] == "sent"
    history = engagement_history(world.store, str(DAVOS))
    assert history is not None
    assert history.rows[-1].event_type == "ReminderSent"
    assert history.rows[-1].what == "reminder sent"


def test_a_rescheduled_reminder_is_never_sent_and_a_cancelled_one_neither(world: World) -> None:
    old = world.reminder()
    moved = ExactWhen(START + timedelta(days=2), START + timedelta(days=2, hours=2), WHEN.tz)
    handle(
        world.store,
        ENGAGEMENT,
        Reschedule(engagement_id=DAVOS, when=moved),
        Envelope("kim"),
        lambda: world.now,
    )
    # The schedule has not applied the move yet: the delivery catches it up before judging.
    world.now = _due(old)
    assert world.deliverer.deliver(str(old["reminder_id"])).state is State.SKIPPED
    new = world.reminder()
    assert new["reminder_id"] != old["reminder_id"]

    world.run(Cancel(engagement_id=DAVOS, reason="called off"))
    world.now = _due(new)
    assert world.deliverer.deliver(str(new["reminder_id"])).state is State.SKIPPED
    assert world.email.sent == []
    assert world.outcomes() == []


def test_a_reminder_late_within_the_grace_is_sent_and_beyond_it_recorded_missed(
    world: World,
) -> None:
    row = world.reminder()
    world.now = _due(row) + GRACE - timedelta(seconds=1)
    late = world.deliverer.deliver(str(row["reminder_id"]))
    assert late.state is State.SENT
    sent = world.store.read_stream(f"reminders:{DAVOS}")[0]
    assert sent.data["late_ms"] == (GRACE - timedelta(seconds=1)) // timedelta(milliseconds=1)

    other = World()
    other.subscribe("kim", Channel.EMAIL)
    other.run(scheduled(WHEN))
    row = other.reminder("start-P1D")
    other.now = _due(row) + GRACE + timedelta(seconds=1)
    assert other.deliverer.deliver(str(row["reminder_id"])).state is State.MISSED
    assert other.outcomes() == ["ReminderMissed"]
    assert other.email.sent == []


def test_an_early_or_foreign_call_does_nothing(world: World) -> None:
    row = world.reminder()
    world.now = _due(row) - timedelta(minutes=1)
    assert world.deliverer.deliver(str(row["reminder_id"])).state is State.EARLY
    assert world.deliverer.deliver("not a reminder").state is State.SKIPPED
    assert world.deliverer.deliver("nothing|start-P1D|v1").state is State.SKIPPED
    assert world.outcomes() == []


def test_a_reminder_claimed_by_another_delivery_is_left_to_it(world: World) -> None:
    row = world.reminder()
    world.now = _due(row)
    assert world.claims.claim(str(row["reminder_id"]), "another-worker", 60)
    assert world.deliverer.deliver(str(row["reminder_id"])).state is State.BUSY
    assert world.email.sent == []


def test_a_transient_failure_is_retried_for_the_recipients_still_waiting_only(
    world: World,
) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row)
    world.webhook.errors.append(TransientDeliveryError("500 from the chat server"))
    first = world.deliverer.deliver(rid, owner="task-1")
    assert first.state is State.RETRYING
    assert "500" in first.detail
    assert len(world.email.sent) == 2
    assert world.outcomes() == []
    # Handed on again before the backoff's next attempt: nothing is done.
    assert world.deliverer.deliver(rid).state is State.WAITING

    world.now += timedelta(seconds=2)
    retried = world.deliverer.deliver(rid, owner="task-2")
    assert retried.state is State.SENT
    assert len(world.email.sent) == 2
    assert len(world.webhook.sent) == 1
    assert world.outcomes() == ["ReminderSent"]


def test_a_transient_failure_is_retried_within_the_delivery_holding_its_claim(
    world: World,
) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        assert world.claims.holder(rid) == "task-1"  # nobody else may take it meanwhile
        world.now += timedelta(seconds=seconds)

    world.deliverer.retry_within, world.deliverer.sleep = 8.0, sleep
    world.webhook.errors += [TransientDeliveryError("500 from the chat server")] * 2
    result = world.deliverer.deliver(rid, owner="task-1")
    assert result.state is State.SENT  # one call: no wait for the scheduler's hand-on
    assert len(slept) == 2
    assert sum(slept) <= 3.0
    assert len(world.email.sent) == 2  # the email that went out at once is not sent again
    assert len(world.webhook.sent) == 1
    assert world.outcomes() == ["ReminderSent"]


def test_a_failure_outlasting_the_retries_within_a_delivery_is_handed_on(world: World) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row)

    def sleep(seconds: float) -> None:
        world.now += timedelta(seconds=seconds)

    world.deliverer.retry_within, world.deliverer.sleep = 8.0, sleep
    world.webhook.errors += [TransientDeliveryError("500 from the chat server")] * 10
    result = world.deliverer.deliver(rid, owner="task-1")
    assert result.state is State.RETRYING
    # The pauses (about 1, 2, 4 s, with jitter) that fit in 8 s are waited here, the rest not.
    assert result.detail.startswith(("attempt 4,", "attempt 5,"))
    assert world.outcomes() == []
    assert world.claims.holder(rid) is None


def test_a_claim_outlives_its_ttl_while_a_slow_send_runs_and_lapses_after(world: World) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row)
    world.deliverer.claim_ttl = 0.3
    holders: list[str | None] = []
    send = world.webhook.send

    def slow(notification: Notification) -> None:
        for _ in range(4):  # 1.2 s: four times the ttl
            time.sleep(0.3)
            holders.append(world.claims.holder(rid))
        send(notification)

    world.webhook.send = slow  # type: ignore[method-assign]
    try:
        assert world.deliverer.deliver(rid, owner="slow").state is State.SENT
    finally:
        world.deliverer.close()
    assert holders == ["slow"] * 4  # renewed by the process's one renewer all along
    assert world.claims.holder(rid) is None  # released at the end
    assert world.claims.claim("another", "x", 0.1)
    time.sleep(0.3)
    assert world.claims.holder("another") is None


def test_each_channel_is_retried_until_the_grace_is_spent_then_fails_alone(world: World) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row)
    world.email.errors += [TransientDeliveryError("connection refused")] * 1000
    pauses = []
    while True:
        result = world.deliverer.deliver(rid)
        if result.state not in (State.RETRYING, State.WAITING):
            break
        if result.state is State.RETRYING:
            pauses.append(world.now)
        world.now += timedelta(seconds=5)
    assert world.now >= _due(row) + GRACE
    gaps = [(b - a).total_seconds() for a, b in pairwise(pauses)]
    assert max(gaps) <= 65  # capped (60 s, and the 5 s steps of this loop)
    assert len(world.webhook.sent) == 1  # the webhook went at once, and once
    assert result.state is State.SENT
    sent, failed = world.store.read_stream(f"reminders:{DAVOS}")
    assert (sent.type, failed.type) == ("ReminderSent", "ReminderFailed")
    assert [d["channel"] for d in sent.data["deliveries"]] == ["webhook"]
    assert sent.data["failures"] == []
    assert failed.data["channel"] == "email"
    assert failed.data["attempts"] == len(pauses) + 1
    assert {f["to"] for f in failed.data["failures"]} == {"kim@example.org", "park@example.org"}
    history = engagement_history(world.store, str(DAVOS))
    assert history is not None
    assert [r.event_type for r in history.rows][-2:] == ["ReminderSent", "ReminderFailed"]


def test_retries_exhausted_or_a_permanent_refusal_record_reminder_failed(world: World) -> None:
    world.unsubscribe("kim")
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row) + GRACE  # found at the very end of its grace: one attempt
    world.email.errors += [TransientDeliveryError("451 try later")]
    result = world.deliverer.deliver(rid)

    assert result.state is State.FAILED
    (failed,) = world.store.read_stream(f"reminders:{DAVOS}")
    assert failed.type == "ReminderFailed"
    assert failed.data["attempts"] == 1
    assert failed.data["failures"][0]["error"] == "451 try later"

    other = World()
    other.subscribe("park", Channel.EMAIL)
    other.run(scheduled(WHEN))
    row = other.reminder("start-P1D")
    other.now = _due(row)
    other.email.errors.append(PermanentDeliveryError("550 no such mailbox"))
    assert other.deliverer.deliver(str(row["reminder_id"])).state is State.FAILED
    assert other.outcomes() == ["ReminderFailed"]


def test_an_unreadable_store_is_retried_by_deliver_with_retries(world: World) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row)
    calls = []
    original = world.deliverer.claims.marks

    def flaky(key: str) -> dict[str, str]:
        calls.append(key)
        if len(calls) < 3:
            raise ClaimsUnavailable("redis is restarting")
        return original(key)

    world.deliverer.claims.marks = flaky  # type: ignore[method-assign]
    sleeps: list[float] = []
    result = deliver_with_retries(world.deliverer, rid, sleep=sleeps.append)
    assert result.state is State.SENT
    assert sleeps == [1.0, 2.0]


def test_with_nobody_subscribed_the_reminder_goes_to_the_log(world: World) -> None:
    for staff_id in ("kim", "park"):
        world.unsubscribe(staff_id)
    row = world.reminder()
    world.now = _due(row)
    assert world.deliverer.deliver(str(row["reminder_id"])).state is State.SENT
    assert len(world.log.sent) == 1
    (sent,) = world.store.read_stream(f"reminders:{DAVOS}")
    assert sent.data["deliveries"][0]["channel"] == "log"


def test_two_outcomes_of_one_reminder_store_one_event(world: World) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row)
    world.deliverer.deliver(rid)
    key = ReminderKey.parse(rid)
    # A second recording, as after a crash between the append and the task's acknowledgement.
    world.deliverer._record(key, [world.deliverer._missed(key, row, _due(row), world.now)])
    assert world.outcomes() == ["ReminderSent"]


def test_an_operator_retries_a_failed_channel_once_through_the_write_path(world: World) -> None:
    row = world.reminder()
    rid = str(row["reminder_id"])
    world.now = _due(row) + GRACE
    world.email.errors += [TransientDeliveryError("connection refused")] * 2
    assert world.deliverer.deliver(rid).state is State.SENT  # the webhook; email failed
    assert world.outcomes() == ["ReminderSent", "ReminderFailed"]
    unsent = RetryReminder(engagement_id=DAVOS, reminder_id=f"{DAVOS}|start-P1D|v9")
    with pytest.raises(InvalidValue, match="failure"):  # only a failure can be retried
        settle(world.store, world.projector, unsent, Envelope("ops"), lambda: world.now)

    world.now += timedelta(hours=1)
    retry = RetryReminder(engagement_id=DAVOS, reminder_id=rid)
    settle(world.store, world.projector, retry, Envelope("ops"), lambda: world.now)
    assert world.reminder()["status"] == "pending"
    assert world.deliverer.deliver(rid).state is State.SENT
    assert sorted(n.to for n in world.email.sent) == ["kim@example.org", "park@example.org"]
    assert len(world.webhook.sent) == 1  # not repeated
    assert world.outcomes() == ["ReminderSent", "ReminderFailed", "ReminderRetried", "ReminderSent"]
    last = world.store.read_stream(f"reminders:{DAVOS}")[-1].data
    assert {d["channel"] for d in last["deliveries"]} == {"email"}
    world.projector.catch_up_all()
    assert world.reminder()["status"] == "sent"
    assert world.deliverer.deliver(rid).state is State.DONE
    # A second retry of a reminder now sent is refused.
    with pytest.raises(InvalidValue):
        settle(world.store, world.projector, retry, Envelope("ops"), lambda: world.now)

"""Change notices end to end, in both modes: a reschedule, a burst of edits, a cancellation reach
each subscriber who may see the engagement once, in their language, within a minute; history
filled in reaches nobody; a worker SIGKILLed during a fan-out sends every notice once; a digest
subscriber gets one message at their time. Issue 14's "must show" items 1, 2 and 4.

Embedded: `calendar-service serve` on a SQLite log (the scheduler and the delivery in its
process). Distributed: a Redis log, a real `celery -A workers worker` and a real
`calendar-service scheduler`. Both: a real SMTP server (aiosmtpd) and webhook receiver. The
coalescing window is 3 s (CALENDAR_CHANGE_WINDOW=PT3S), so a notice is due 3 s after the change.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from calendar_service.bootstrap import Container, build
from calendar_service.config import Settings
from calendar_service.domain import (
    Audience,
    Cancel,
    ChangeNotices,
    Channel,
    Command,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    ExactWhen,
    LocalizedText,
    Participation,
    Reschedule,
    ScheduleEngagement,
    SubscribeStaff,
)
from calendar_service.projections import PROJECTION_NAMES
from calendar_service.read import engagement_history
from calendar_service.read.wording import describe_when
from calendar_service.service import Envelope
from calendar_service.staff.subscriptions import subscribe
from tests.e2e.server import served
from tests.e2e.test_reminders import _env, _forget
from tests.reminders_support import (
    DALIAN,
    SCHEDULER_ACTIVE,
    WORKER_READY,
    Proc,
    Received,
    SmtpSink,
    WebhookSink,
    scheduler,
    wait_until,
    worker,
)
from workers.nudge import celery_nudger

pytestmark = pytest.mark.slow
EMAILS = Path(__file__).resolve().parents[2] / "test-artifacts" / "emails"
"""Where the messages are kept as .eml, to open in a mail client and look at."""


def _keep(received: Received, name: str) -> None:
    EMAILS.mkdir(parents=True, exist_ok=True)
    (EMAILS / f"{name}.eml").write_bytes(received.message.as_bytes())


WINDOW = 3.0
KIM, PARK, LEE = "kim@example.org", "park@example.org", "lee@example.org"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TIMINGS = {
    "CHANGE_WINDOW": f"PT{int(WINDOW)}S",
    "REMINDER_GRACE": "PT60S",
    "REMINDER_CLAIM_TTL": "3",
    "NOTIFY_TIMEOUT": "5",
    "SCHEDULER_LOCK_TTL": "2",
    "SCHEDULER_RECONCILE_INTERVAL": "5",
    "SCHEDULER_NUDGE_INTERVAL": "0.5",
    "PROJECTION_LOCK_TTL": "1.5",
    "MAIL_FROM": "calendar@gg.go.kr",
    "BASE_URL": "https://calendar.gg.example",
}


@dataclass
class Deployment:
    container: Container
    smtp: SmtpSink
    hooks: WebhookSink
    worker: Proc | None = None

    def record(self, *commands: Command, known_at: datetime | None = None) -> float:
        """Record `commands` (as history filled in when `known_at` is given); when, by time()."""
        for command in commands:
            self.container.execute(command, Envelope(actor="kim.minji", known_at=known_at))
        return time.time()

    def notices(self, engagement_id: str) -> list[Received]:
        return [
            m
            for m in self.smtp.messages
            if str(m.message["X-Calendar-Reminder-Id"]).startswith(f"{engagement_id}|change|")
        ]

    def readers(self, engagement_id: str) -> list[str]:
        return sorted(to for m in self.notices(engagement_id) for to in m.rcpt)


def _subscribe(container: Container, staff_id: str, email: str, lang: str, **more: Any) -> None:
    fields: dict[str, Any] = {"channels": frozenset({Channel.EMAIL}), "lang": lang, **more}
    command = SubscribeStaff(staff_id=staff_id, name=staff_id.title(), email=email, **fields)
    subscribe(container.store, container.projector, command, actor="admin")


def _subscribers(container: Container) -> None:
    _subscribe(container, "kim-minji", KIM, "ko", channels=frozenset(Channel) - {Channel.INVITE})
    _subscribe(container, "park-jisoo", PARK, "en")
    _subscribe(container, "lee-wei", LEE, "zh", audience=Audience.PUBLIC)  # below staff


def _when(days: int, hour: int = 9) -> ExactWhen:
    start = datetime.now(SHANGHAI).replace(hour=hour, minute=0, second=0, microsecond=0)
    start += timedelta(days=days)
    return ExactWhen(start, start + timedelta(hours=3), "Asia/Shanghai")


def _engagement(engagement_id: str, when: ExactWhen) -> ScheduleEngagement:
    return ScheduleEngagement(
        engagement_id=EngagementId(engagement_id),
        details=EngagementDetails(
            kind=EngagementKind.FORUM,
            direction=Direction.OUTBOUND,
            title=LocalizedText(en="Dalian economic forum", ko="다롄 경제 포럼", zh="大连经济论坛"),
            when=when,
            place=DALIAN,
            audience=Audience.STAFF,
        ),
        participation=Participation.ATTENDING,
    )


def _new_id(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}"


LONG_AGO = datetime.now(UTC) - timedelta(days=40)


def _scenario(deployment: Deployment) -> None:
    """Item 1: reschedule, three edits in the window, cancellation, backfill, audience."""
    old, new = _when(30), _when(31, hour=14)
    moved, burst, cancelled, history = (
        _new_id(tag) for tag in ("moved", "burst", "cancelled", "history")
    )
    for eid in (moved, burst, cancelled):
        deployment.record(_engagement(eid, old), known_at=LONG_AGO)  # already known: no notice
    deployment.record(_engagement(history, old), known_at=LONG_AGO)
    deployment.record(Reschedule(engagement_id=EngagementId(history), when=new), known_at=LONG_AGO)

    appended = deployment.record(Reschedule(engagement_id=EngagementId(moved), when=new))
    for when in (_when(32), old, new):  # three edits inside the window: one notice
        deployment.record(Reschedule(engagement_id=EngagementId(burst), when=when))
        time.sleep(0.4)
    deployment.record(Cancel(engagement_id=EngagementId(cancelled), reason="Postponed by the host"))

    for eid in (moved, burst, cancelled):
        wait_until(functools.partial(_read_by, deployment, eid, 2), 60, f"the notices of {eid}")
    time.sleep(WINDOW + 3)  # anything doubled, or a second notice of the burst, arrives by now

    for eid in (moved, burst, cancelled):
        assert deployment.readers(eid) == [KIM, PARK], eid  # Lee reads public ones only
        assert {str(m.message["X-Calendar-Reminder-Id"]) for m in deployment.notices(eid)} == {
            f"{eid}|change|v1"
        }
        assert len(deployment.hooks.delivered(f"{eid}|change|v1")) == 1  # Kim's team webhook
    assert deployment.notices(history) == []

    kim = next(m for m in deployment.notices(moved) if KIM in m.rcpt)
    park = next(m for m in deployment.notices(moved) if PARK in m.rcpt)
    assert WINDOW - 0.5 <= kim.at - appended <= 60, kim.at - appended
    for message, lang in ((kim, "ko"), (park, "en")):
        text = _text(message)
        assert describe_when(old, lang) in text, (lang, text)
        assert describe_when(new, lang) in text, (lang, text)
    assert "다롄 경제 포럼" in str(kim.message["Subject"])
    assert "Dalian economic forum" in str(park.message["Subject"])
    hook = deployment.hooks.delivered(f"{moved}|change|v1")[0].json()
    assert hook["event"] == "change"
    assert describe_when(new, "ko") in hook["text"]

    _keep(kim, "notice-rescheduled-ko")
    _keep(park, "notice-rescheduled-en")
    cancel_kim = next(m for m in deployment.notices(cancelled) if KIM in m.rcpt)
    cancel_park = next(m for m in deployment.notices(cancelled) if PARK in m.rcpt)
    assert "취소" in str(cancel_kim.message["Subject"])
    assert "Cancelled" in str(cancel_park.message["Subject"])

    def told() -> list[str]:
        found = engagement_history(deployment.container.store, moved)
        assert found is not None
        return [row.change for row in found.rows if row.event_type == "ReminderSent"]

    wait_until(lambda: len(told()) == 1, 15, "the notice's outcome in the history")
    (said,) = told()
    assert KIM in said
    assert PARK in said


def _read_by(deployment: Deployment, engagement_id: str, readers: int) -> bool:
    return len(deployment.readers(engagement_id)) >= readers


def _text(received: Received) -> str:
    body = received.message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


@contextmanager
def _embedded(tmp_path: Path) -> Iterator[Deployment]:
    store = f"sqlite:///{tmp_path / 'events.db'}"
    smtp, hooks = SmtpSink().start(), WebhookSink().start()
    settings = {k.lower(): v for k, v in TIMINGS.items() if k != "BASE_URL"}
    try:
        with served(
            store,
            tmp_path / "server.log",
            smtp_url=smtp.url,
            webhook_url=hooks.url,
            **settings,
        ):
            container = build(Settings(store=store, change_window=timedelta(seconds=WINDOW)))
            try:
                _subscribers(container)
                yield Deployment(container, smtp, hooks)
            finally:
                container.close()
    finally:
        smtp.stop()
        hooks.stop()


@contextmanager
def _distributed(redis_url: str, tmp_path: Path, threads: int = 4) -> Iterator[Deployment]:
    prefix = f"test-notice-{uuid.uuid4().hex[:10]}"
    broker = redis_url.rsplit("/", 1)[0] + "/15"
    smtp, hooks = SmtpSink().start(), WebhookSink().start()
    values = {
        **TIMINGS,
        "STORE": f"{redis_url}?prefix={prefix}",
        "BROKER": broker,
        "REDIS_ALLOW_EPHEMERAL": "true",
        "SMTP_URL": smtp.url,
        "WEBHOOK_URL": hooks.url,
    }
    env = _env(values)
    settings = Settings(**{k.lower(): v for k, v in values.items()})  # type: ignore[arg-type]
    container = build(settings, nudger=celery_nudger(settings, PROJECTION_NAMES))
    procs = [worker(env, tmp_path, threads=threads), scheduler(env, tmp_path)]
    try:
        for proc in procs:
            proc.start(None)
        procs[0].wait_for(WORKER_READY)
        procs[1].wait_for(SCHEDULER_ACTIVE)
        _subscribers(container)
        yield Deployment(container, smtp, hooks, procs[0])
    finally:
        for proc in procs:
            proc.kill()
        container.close()
        smtp.stop()
        hooks.stop()
        _forget(redis_url, prefix)
        _forget(broker, prefix)


def test_embedded_notices_reach_each_reader_once_in_their_language(tmp_path: Path) -> None:
    with _embedded(tmp_path) as deployment:
        _scenario(deployment)


def test_distributed_notices_reach_each_reader_once_in_their_language(
    redis_url: str, tmp_path: Path
) -> None:
    with _distributed(redis_url, tmp_path) as deployment:
        _scenario(deployment)


def test_a_worker_sigkilled_during_a_fan_out_sends_every_notice_once(
    redis_url: str, tmp_path: Path
) -> None:
    """Item 2: 40 readers; the worker is killed while one send stalls, then restarted."""
    with _distributed(redis_url, tmp_path) as deployment:
        readers = [f"reader{n:02d}@example.org" for n in range(40)]
        for n, address in enumerate(readers):
            _subscribe(deployment.container, f"reader-{n:02d}", address, ("en", "ko", "zh")[n % 3])
        everyone = sorted([KIM, PARK, *readers])
        eid = _new_id("fanout")
        deployment.record(_engagement(eid, _when(20)), known_at=LONG_AGO)
        deployment.record(Reschedule(engagement_id=EngagementId(eid), when=_when(21)))
        smtp = deployment.smtp
        wait_until(lambda: len(deployment.readers(eid)) >= 10, 60, "the fan-out under way")
        smtp.stalled.clear()
        smtp.stall_next_rcpt = 30
        wait_until(smtp.stalled.is_set, 20, "a send stalled mid fan-out")
        assert deployment.worker is not None
        deployment.worker.kill()
        sent_before = len(deployment.readers(eid))
        time.sleep(2.0)
        deployment.worker.start(WORKER_READY)
        wait_until(lambda: len(deployment.readers(eid)) >= len(everyone), 90, "every notice")
        time.sleep(5)  # a double would arrive by now
        assert deployment.readers(eid) == everyone
        assert 10 <= sent_before < len(everyone)
        print(f"\nfan-out of {len(everyone)}: worker killed after {sent_before}; each once")


def _next_minute(zone: ZoneInfo, margin: float = 25.0) -> datetime:
    """The next whole minute at least `margin` seconds away, on the clock of `zone`."""
    now = datetime.now(zone)
    at = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at if (at - now).total_seconds() >= margin else at + timedelta(minutes=1)


def test_a_digest_reader_gets_one_message_at_their_time_listing_the_days_changes(
    tmp_path: Path,
) -> None:
    """Item 4: a digest at Choi's local time (Europe/Berlin) lists the changes before it, and
    Choi gets nothing else: no immediate notice, nothing for a change after it."""
    berlin = ZoneInfo("Europe/Berlin")
    at = _next_minute(berlin)
    with _embedded(tmp_path) as deployment:
        _subscribe(
            deployment.container,
            "choi-yuna",
            "choi@example.org",
            "ko",
            changes=ChangeNotices.DIGEST,
            digest_at=f"{at:%H:%M}",
            timezone="Europe/Berlin",
        )
        first, second, later = _new_id("first"), _new_id("second"), _new_id("later")
        for eid in (first, second, later):
            deployment.record(_engagement(eid, _when(40)), known_at=LONG_AGO)
        deployment.record(Reschedule(engagement_id=EngagementId(first), when=_when(41)))
        deployment.record(Cancel(engagement_id=EngagementId(second), reason="Host withdrew"))

        def choi() -> list[Received]:
            return [m for m in deployment.smtp.messages if "choi@example.org" in m.rcpt]

        wait_until(lambda: len(choi()) >= 1, 150, "Choi's digest")
        (digest,) = choi()
        _keep(digest, "digest-ko")
        assert digest.at >= at.timestamp() - 2.5, (digest.at, at)
        assert digest.at <= at.timestamp() + 30
        text = _text(digest)
        assert "다롄 경제 포럼" in text
        assert describe_when(_when(41), "ko") in text
        assert "취소" in text
        deployment.record(Reschedule(engagement_id=EngagementId(later), when=_when(42)))
        wait_until(lambda: len(deployment.readers(later)) >= 2, 30, "the others' notice")
        time.sleep(WINDOW + 2)
        assert len(choi()) == 1  # the later change waits for tomorrow's digest


def test_an_invitation_reader_gets_request_request_request_cancel_with_one_uid(
    tmp_path: Path,
) -> None:
    """Item 3 through the running service: created, rescheduled twice (each in its own window),
    cancelled; Wang's mailbox gets four iTIP messages, as Outlook and Gmail read them."""
    with _embedded(tmp_path) as deployment:
        earlier = _new_id("earlier")
        deployment.record(_engagement(earlier, _when(45)), known_at=LONG_AGO)
        _subscribe(
            deployment.container,
            "wang-fang",
            "wang@example.org",
            "zh",
            channels=frozenset({Channel.INVITE}),
        )
        eid = _new_id("invited")

        def invitations(about: str = "") -> list[Received]:
            return [
                m
                for m in deployment.smtp.messages
                if "wang@example.org" in m.rcpt and about in str(_itip(m)[1])
            ]

        # Taking invitations brings the engagements already recorded, each once.
        wait_until(lambda: len(invitations(earlier)) >= 1, 60, "the engagement already there")
        invitations = functools.partial(invitations, eid)

        steps: list[Command] = [
            _engagement(eid, _when(50)),
            Reschedule(engagement_id=EngagementId(eid), when=_when(51)),
            Reschedule(engagement_id=EngagementId(eid), when=_when(52, hour=15)),
            Cancel(engagement_id=EngagementId(eid), reason="Host withdrew"),
        ]
        for number, step in enumerate(steps, 1):
            deployment.record(step)
            wait_until(
                functools.partial(_at_least, invitations, number), 60, f"invitation {number}"
            )
        time.sleep(WINDOW + 2)
        received = invitations()
        assert len(received) == 4
        wang = [m for m in deployment.smtp.messages if "wang@example.org" in m.rcpt]
        (first,) = [m for m in wang if earlier in str(_itip(m)[1])]
        assert _itip(first)[0] == "REQUEST"
        for name, message in zip(
            ("request-1", "request-2", "request-3", "cancel"), received, strict=True
        ):
            _keep(message, f"invitation-zh-{name}")
        parts = [_itip(m) for m in received]
        assert [method for method, _ in parts] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
        events = [Calendar.from_ical(data).walk("VEVENT")[0] for _, data in parts]
        assert len({str(event["UID"]) for event in events}) == 1
        sequences = [int(event.decoded("SEQUENCE")) for event in events]
        assert sequences == sorted(set(sequences)), sequences
        assert events[2].decoded("DTSTART") == _when(52, hour=15).start
        assert str(events[3]["STATUS"]) == "CANCELLED"
        for _, data in parts:  # vobject (Evolution, Radicale) reads each one too
            assert vobject.readOne(data.decode()).vevent.uid.value == str(events[0]["UID"])
        assert "大连经济论坛" in str(received[0].message["Subject"])


def _at_least(found: Callable[[], list[Received]], count: int) -> bool:
    return len(found()) >= count


def _itip(received: Received) -> tuple[str, bytes]:
    """The iTIP method and body of the text/calendar alternative, as a mail client finds it."""
    for part in received.message.walk():
        if part.get_content_type() == "text/calendar" and part.get_param("method"):
            content = part.get_content()
            data = content.encode() if isinstance(content, str) else content
            return str(part.get_param("method")), data
    raise AssertionError("no text/calendar part with a method")

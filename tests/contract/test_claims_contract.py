"""One contract for every claims store: memory, SQLite and (real) Redis; and one for the
admissions (the delivery's re-check and claim) through the ports and by the Redis script."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from calendar_service.eventstore import EventStore, NewEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.redis import RedisEventStore, stream_key
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.projections.reminders_due import NAME as SCHEDULE
from calendar_service.projections.reminders_due import PLANS, REMINDERS
from calendar_service.projections.views import MemoryViewStore, ViewStore
from calendar_service.projections.views_redis import RedisViewStore, view_key
from calendar_service.projections.views_sqlite import SqliteViewStore
from calendar_service.reminders.deliver import LogAdmissions
from calendar_service.reminders.leases import Admission, Admissions, Claims, Gate, MemoryClaims
from calendar_service.reminders.leases.redis import RedisAdmissions, RedisClaims
from calendar_service.reminders.leases.sqlite import SqliteClaims


@pytest.fixture(params=["memory", "sqlite", "redis"])
def claims(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Claims]:
    found: Claims
    if request.param == "memory":
        found = MemoryClaims()
    elif request.param == "sqlite":
        found = SqliteClaims(tmp_path / "claims.db")
    else:
        url = request.getfixturevalue("redis_url")
        found = RedisClaims(url, prefix=request.getfixturevalue("redis_prefix"))
    yield found
    found.close()


def test_a_claim_is_one_owners_until_released_or_expired(claims: Claims) -> None:
    assert claims.claim("r|start-P1D|v1", "worker-a", 0.3)
    assert not claims.claim("r|start-P1D|v1", "worker-b", 10)
    assert claims.holder("r|start-P1D|v1") == "worker-a"
    assert claims.claim("r|start-P1D|v1", "worker-a", 0.3)  # its owner extends it
    claims.release("r|start-P1D|v1", "worker-b")  # not theirs: nothing happens
    assert claims.holder("r|start-P1D|v1") == "worker-a"
    time.sleep(0.4)
    assert claims.holder("r|start-P1D|v1") is None
    assert claims.claim("r|start-P1D|v1", "worker-b", 10)  # the dead holder's claim expired
    claims.release("r|start-P1D|v1", "worker-b")
    assert claims.holder("r|start-P1D|v1") is None


def test_many_threads_racing_for_a_claim_give_it_to_exactly_one(claims: Claims) -> None:
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(name: str) -> None:
        barrier.wait()
        if claims.claim("race|start-P1D|v1", name, 10):
            winners.append(name)

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_marks_keep_a_deliverys_progress(claims: Claims) -> None:
    assert claims.marks("r|start-P1D|v1") == {}
    claims.mark("r|start-P1D|v1", "email|kim@x.kr|ko", '{"state": "sent"}', 60)
    claims.mark("r|start-P1D|v1", "webhook|webhook|ko", '{"state": "failed"}', 60)
    claims.mark("r|start-P1D|v1", "email|kim@x.kr|ko", '{"state": "sent", "again": 1}', 60)
    assert claims.marks("r|start-P1D|v1") == {
        "email|kim@x.kr|ko": '{"state": "sent", "again": 1}',
        "webhook|webhook|ko": '{"state": "failed"}',
    }
    assert claims.marks("other|start-P1D|v1") == {}


# --- admissions: the delivery's re-check and claim in one step ------------------------------


@dataclass
class Rig:
    """A log, a reminder schedule's views, claims, and the admissions over them."""

    store: EventStore
    views: ViewStore
    claims: Claims
    admissions: Admissions

    def append(self, stream: str, count: int = 1) -> int:
        """`count` events on `stream`; the position of the last."""
        version = self.store.stream_version(stream)
        events = [NewEvent("Noted", {"n": n}, 1, actor="t") for n in range(count)]
        return self.store.append(stream, events, version).positions[-1]

    def project(self, checkpoint: int, rows: dict[tuple[str, str], str]) -> None:
        live = self.views.live(SCHEDULE)
        changes = {where: (None, doc) for where, doc in rows.items()}
        assert self.views.commit(live, live.checkpoint, checkpoint, changes)


@pytest.fixture(params=["log-memory", "log-sqlite", "redis-script"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    store: EventStore
    views: ViewStore
    claims: Claims
    admissions: Admissions
    if request.param == "log-memory":
        store, views, claims = MemoryEventStore(), MemoryViewStore(), MemoryClaims()
        admissions = LogAdmissions(store, views, claims)
    elif request.param == "log-sqlite":
        store = SqliteEventStore(tmp_path / "events.db")
        views = SqliteViewStore(tmp_path / "views.db")
        claims = SqliteClaims(tmp_path / "claims.db")
        admissions = LogAdmissions(store, views, claims)
    else:
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        store = RedisEventStore(url, prefix=prefix, allow_ephemeral=True)
        views = RedisViewStore(url, prefix=prefix)
        claims = RedisClaims(url, prefix=prefix)
        admissions = RedisAdmissions(
            url,
            prefix=prefix,
            view_key=lambda name: view_key(prefix, name),
            stream_key=lambda stream: stream_key(prefix, stream),
        )
    yield Rig(store, views, claims, admissions)
    admissions.close()
    claims.close()
    views.close()
    store.close()


RID = "davos|start-P1D|v1"


def _gate(owner: str = "worker-a") -> Gate:
    return Gate(
        key=RID,
        owner=owner,
        ttl=10,
        projection=SCHEDULE,
        row=(REMINDERS, RID),
        plan=(PLANS, "davos"),
        stream="engagement:davos",
        outcomes="reminders:davos",
    )


def test_an_admission_claims_a_scheduled_reminder_once_its_schedule_is_current(rig: Rig) -> None:
    assert rig.admissions.admit(_gate()) == Admission(None, None, current=False, claimed=False)
    row, plan = '{"status": "pending"}', '{"version": 1}'
    rig.project(rig.append("engagement:davos"), {(REMINDERS, RID): row, (PLANS, "davos"): plan})
    last = rig.append("engagement:davos")  # a change the schedule has not applied yet
    behind = rig.admissions.admit(_gate())
    assert (behind.row, behind.plan, behind.current, behind.claimed) == (row, plan, False, False)
    assert rig.claims.holder(RID) is None  # nothing claimed while the schedule is behind
    rig.project(last, {})
    first = rig.admissions.admit(_gate())
    assert first == Admission(row, plan, current=True, claimed=True, outcomes=0, marks={})
    assert rig.claims.holder(RID) == "worker-a"
    other = rig.admissions.admit(_gate("worker-b"))
    assert (other.current, other.claimed) == (True, False)
    assert rig.claims.holder(RID) == "worker-a"


def test_an_admission_reads_the_marks_and_whether_an_outcome_may_be_recorded(rig: Rig) -> None:
    last = rig.append("engagement:davos")
    rig.project(last, {(REMINDERS, RID): "{}", (PLANS, "davos"): '{"version": 1}'})
    rig.claims.mark(RID, "email|kim@x.kr|ko", '{"state": "sent"}', 60)
    rig.append("reminders:davos", 2)  # not projected: outcomes are not the schedule's
    again = rig.admissions.admit(_gate())
    assert again.claimed
    assert again.outcomes == 2
    assert again.marks == {"email|kim@x.kr|ko": '{"state": "sent"}'}
    rig.claims.release(RID, "worker-a")
    assert rig.admissions.admit(_gate("worker-b")).claimed  # the owner's own release freed it

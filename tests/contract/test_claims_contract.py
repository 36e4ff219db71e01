"""One contract for every claims store: memory, SQLite and (real) Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calendar_service.reminders.leases import Claims, MemoryClaims
from calendar_service.reminders.leases.redis import RedisClaims
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

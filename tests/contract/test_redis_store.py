"""What only the Redis store promises, beyond the shared contract.

It refuses a Redis that would lose the log on restart, says quickly and plainly when Redis
cannot be reached, and pipelines several appends into one round trip for throughput.
Each persistence test starts its own throwaway redis-server, so the answer does not depend on
how the developer's Redis is configured.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from calendar_service.eventstore import (
    AppendResult,
    ConcurrencyError,
    DuplicateEventConflict,
    EventStoreError,
    InvalidStreamId,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
)
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.redis import RedisEventStore
from tests.conftest import free_port, start_redis_server


@contextmanager
def throwaway_redis(directory: Path, *config: str) -> Iterator[str]:
    """A redis-server of this test's own (no persistence unless `config` turns it on)."""
    if shutil.which("redis-server") is None:
        message = "these tests start their own redis-server, and none is installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    process = start_redis_server(port, str(directory), *config)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def event(title: str = "Courtesy call") -> NewEvent:
    return NewEvent("EngagementScheduled", {"title": title})


def test_a_redis_that_keeps_nothing_on_disk_is_refused_unless_told_it_is_a_test(
    tmp_path: Path,
) -> None:
    with throwaway_redis(tmp_path) as url:
        with pytest.raises(StoreUnavailable) as refused:
            RedisEventStore(url, prefix="calendar")
        message = str(refused.value)
        assert url in message
        assert "keeps nothing on disk" in message
        assert "appendonly yes" in message
        assert "allow_ephemeral" in message

        store = RedisEventStore(url, prefix="calendar", allow_ephemeral=True)
        assert store.append("engagement-1", [event()], expected_version=0).positions == (1,)
        store.close()


@pytest.mark.parametrize(
    "config",
    [("--appendonly", "yes"), ("--save", "3600 1")],
    ids=["append-only file", "RDB snapshots"],
)
def test_a_redis_with_aof_or_snapshots_is_accepted(tmp_path: Path, config: tuple[str, str]) -> None:
    with throwaway_redis(tmp_path, *config) as url:
        store = RedisEventStore(url, prefix="calendar")
        assert store.append("engagement-1", [event()], expected_version=0).positions == (1,)
        store.close()


def test_a_redis_that_hides_config_opens_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with throwaway_redis(tmp_path, "--rename-command", "CONFIG", "") as url:
        with caplog.at_level(logging.WARNING, logger="calendar_service.eventstore.redis"):
            store = RedisEventStore(url, prefix="calendar")
        store.close()
    assert "cannot tell whether it keeps data on disk" in caplog.text
    assert url in caplog.text


def test_an_unreachable_redis_is_reported_quickly_naming_the_url() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as refused:
        RedisEventStore("redis://127.0.0.1:1/0", allow_ephemeral=True)
    assert time.monotonic() - started < 3
    assert "Redis at redis://127.0.0.1:1/0 cannot be reached" in str(refused.value)


def test_a_password_in_the_url_never_appears_in_errors() -> None:
    with pytest.raises(StoreUnavailable) as refused:
        RedisEventStore("redis://calendar:s3cret@127.0.0.1:1/0", allow_ephemeral=True)
    assert "s3cret" not in str(refused.value)
    assert "redis://calendar:***@127.0.0.1:1/0" in str(refused.value)


def test_append_many_sends_several_appends_at_once_each_atomic_on_its_own(
    redis_url: str, redis_prefix: str
) -> None:
    store = RedisEventStore(redis_url, prefix=redis_prefix, allow_ephemeral=True)
    first = [event("Courtesy call"), event("Dinner")]

    results = store.append_many(
        [
            ("engagement-1", first, 0),
            ("engagement-2", [event()], 0),
            ("engagement-1", [event("Stale")], 0),
            ("not a stream", [event()], 0),
            ("engagement-1", first, 0),
        ]
    )

    assert results[0] == AppendResult("engagement-1", (1, 2), 2)
    assert results[1] == AppendResult("engagement-2", (3,), 1)
    assert isinstance(results[2], ConcurrencyError)
    assert "at version 2, not the expected 0" in str(results[2])
    assert isinstance(results[3], InvalidStreamId)
    assert results[4] == AppendResult("engagement-1", (1, 2), 2, duplicate=True)
    assert store.head() == 3
    assert [e.data["title"] for e in store.read_stream("engagement-1")] == [
        "Courtesy call",
        "Dinner",
    ]
    store.close()


def test_appends_still_work_after_redis_forgets_its_scripts(tmp_path: Path) -> None:
    with throwaway_redis(tmp_path) as url:
        store = RedisEventStore(url, prefix="calendar", allow_ephemeral=True)
        store.append("engagement-1", [event()], expected_version=0)
        admin = redis.Redis.from_url(url)
        admin.script_flush()

        [piped] = store.append_many([("engagement-1", [event()], 1)])
        admin.script_flush()
        single = store.append("engagement-1", [event()], expected_version=2)

        assert piped == AppendResult("engagement-1", (2,), 2)
        assert single == AppendResult("engagement-1", (3,), 3)
        assert [e.version for e in store.read_stream("engagement-1")] == [1, 2, 3]
        admin.close()
        store.close()


def test_losing_redis_mid_use_says_an_append_may_have_landed_and_a_retry_is_safe(
    tmp_path: Path,
) -> None:
    with throwaway_redis(tmp_path) as url:
        store = RedisEventStore(url, prefix="calendar", allow_ephemeral=True)
        store.append("engagement-1", [event()], expected_version=0)
    started = time.monotonic()

    with pytest.raises(StoreUnavailable) as lost:
        store.append("engagement-1", [event()], expected_version=1)
    with pytest.raises(StoreUnavailable, match="did not answer during read of the head"):
        store.head()

    assert time.monotonic() - started < 5
    assert f"Redis at {url} did not answer during append to 'engagement-1'" in str(lost.value)
    assert "retrying with the same event ids is safe" in str(lost.value)
    store.close()


# One script call for many appends ---------------------------------------------------------------


def random_batches(rng: random.Random, count: int) -> list[tuple[str, list[NewEvent], int | None]]:
    """`count` appends as a busy caller sends them: mostly good, with stale versions, retries
    of earlier batches, batches mixing stored and new ids, ids reused in another stream, bad
    input, and a few odd actors and known_at times."""
    batches: list[tuple[str, list[NewEvent], int | None]] = []
    versions: dict[str, int] = {}
    for n in range(count):
        stream = f"engagement-{rng.randint(1, 12)}"
        roll = rng.random()
        if batches and roll < 0.1:  # a retry of an earlier batch, as sent
            batches.append(rng.choice(batches))
            continue
        if batches and roll < 0.15:  # an earlier batch's ids in another stream, or mixed
            _, earlier, _ = rng.choice(batches)
            extra = [] if rng.random() < 0.5 else [event(f"new {n}")]
            batches.append((stream, [*earlier, *extra], None))
            continue
        events = [
            NewEvent(
                "EngagementScheduled",
                {"n": n, "i": i, "title": '회의 "준비" \\ 北京'},
                actor=rng.choice(["system", 'kim "mj" \\ 김민지', "protocol@mofa.example"]),
                known_at=rng.choice([None, datetime(1969, 7, 20, 20, 17, tzinfo=UTC)]),
                correlation_id=rng.choice([None, uuid.uuid4()]),
            )
            for i in range(rng.choice([1, 1, 1, 2, 5]))
        ]
        if roll < 0.2:
            expected: int | None = rng.randint(0, 3)  # often stale
        elif roll < 0.25:
            stream = "not a stream"
            expected = 0
        elif roll < 0.4:
            expected = None
        else:
            expected = versions.get(stream, 0)
        versions[stream] = versions.get(stream, 0) + len(events)  # a guess; may go stale
        batches.append((stream, events, expected))
    return batches


def outcome_of(result: AppendResult | Exception) -> object:
    if isinstance(result, Exception):
        return type(result), str(result)
    return result


def comparable(events: list[StoredEvent]) -> list[tuple[object, ...]]:
    return [
        (e.position, e.stream, e.version, e.event_id, e.type, e.data, e.actor, e.correlation_id)
        for e in events
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_append_many_gives_what_the_same_appends_one_at_a_time_would(
    redis_url: str, redis_prefix: str, seed: int
) -> None:
    """Hundreds of appends, several script calls: each result, and the log, as if sent singly."""
    batches = random_batches(random.Random(seed), 330)
    reference = MemoryEventStore()
    expected_outcomes = []
    for stream, events, version in batches:
        try:
            expected_outcomes.append(outcome_of(reference.append(stream, events, version)))
        except EventStoreError as error:
            expected_outcomes.append(outcome_of(error))
    store = RedisEventStore(redis_url, prefix=redis_prefix, allow_ephemeral=True)

    results = store.append_many(batches)

    assert [outcome_of(r) for r in results] == expected_outcomes
    assert comparable(store.read_all(0, 10_000)) == comparable(reference.read_all(0, 10_000))
    for stream in {stream for stream, _, _ in batches if stream != "not a stream"}:
        assert comparable(store.read_stream(stream)) == comparable(reference.read_stream(stream))
        assert store.stream_version(stream) == reference.stream_version(stream)
    assert store.head() == reference.head()
    store.close()


def test_append_many_takes_a_batch_too_big_to_share_a_call_and_the_small_ones_around_it(
    redis_url: str, redis_prefix: str
) -> None:
    store = RedisEventStore(redis_url, prefix=redis_prefix, allow_ephemeral=True)
    big = [event(f"part {i}") for i in range(6000)]

    results = store.append_many(
        [("engagement-1", [event()], 0), ("engagement-2", big, 0), ("engagement-1", [event()], 1)]
    )

    assert results == [
        AppendResult("engagement-1", (1,), 1),
        AppendResult("engagement-2", tuple(range(2, 6002)), 6000),
        AppendResult("engagement-1", (6002,), 2),
    ]
    assert store.append_many([("engagement-2", big, 0)]) == [
        AppendResult("engagement-2", tuple(range(2, 6002)), 6000, duplicate=True)
    ]
    assert [e.data["title"] for e in store.read_stream("engagement-2", 5998)] == [
        "part 5998",
        "part 5999",
    ]
    store.close()


def test_a_stream_key_redis_refuses_fails_only_its_own_append(
    redis_url: str, redis_prefix: str
) -> None:
    store = RedisEventStore(redis_url, prefix=redis_prefix, allow_ephemeral=True)
    admin = redis.Redis.from_url(redis_url)
    admin.set(f"{redis_prefix}:s:engagement-broken", "not a list")

    results = store.append_many(
        [
            ("engagement-1", [event()], 0),
            ("engagement-broken", [event()], 0),
            ("engagement-2", [event()], 0),
        ]
    )

    assert results[0] == AppendResult("engagement-1", (1,), 1)
    assert isinstance(results[1], StoreUnavailable)
    assert "'engagement-broken'" in str(results[1])
    assert "WRONGTYPE" in str(results[1])
    assert results[2] == AppendResult("engagement-2", (2,), 1)
    with pytest.raises(StoreUnavailable, match="WRONGTYPE"):
        store.append("engagement-broken", [event()], expected_version=None)
    assert store.head() == 2
    assert admin.get(f"{redis_prefix}:s:engagement-broken") == b"not a list"
    admin.close()
    store.close()


def test_a_prefix_beyond_ascii_keeps_stream_ids_whole(redis_url: str, redis_prefix: str) -> None:
    store = RedisEventStore(redis_url, prefix=f"{redis_prefix}:일정", allow_ephemeral=True)
    stored = event()
    store.append("engagement-1", [stored], expected_version=0)

    [retried] = store.append_many([("engagement-1", [stored], 0)])
    with pytest.raises(DuplicateEventConflict, match="already stored in another stream"):
        store.append("engagement-2", [stored], expected_version=0)

    assert retried == AppendResult("engagement-1", (1,), 1, duplicate=True)
    assert [e.stream for e in store.read_all()] == ["engagement-1"]
    store.close()


def test_pipelined_appends_spanning_several_script_calls_survive_a_script_flush(
    tmp_path: Path,
) -> None:
    with throwaway_redis(tmp_path) as url:
        store = RedisEventStore(url, prefix="calendar", allow_ephemeral=True)
        store.append("engagement-0", [event()], expected_version=0)
        admin = redis.Redis.from_url(url)
        admin.script_flush()

        results = store.append_many([(f"engagement-{n % 7}", [event()], None) for n in range(250)])

        assert [r.positions for r in results if isinstance(r, AppendResult)] == [
            (n,) for n in range(2, 252)
        ]
        assert store.head() == 251
        admin.close()
        store.close()

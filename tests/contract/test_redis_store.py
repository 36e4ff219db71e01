"""What only the Redis store promises, beyond the shared contract.

It refuses a Redis that would lose the log on restart, says quickly and plainly when Redis
cannot be reached, and pipelines several appends into one round trip for throughput.
Each persistence test starts its own throwaway redis-server, so the answer does not depend on
how the developer's Redis is configured.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from calendar_service.eventstore.base import (
    AppendResult,
    ConcurrencyError,
    InvalidStreamId,
    NewEvent,
    StoreUnavailable,
)
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

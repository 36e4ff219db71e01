"""The event log on Redis against plain pipelined XADD on the same server (issue 2).

`append_pipelined`: `RedisEventStore.append_many` with 100 single-event appends per call (one
round trip; each append runs the atomic check-version-and-write Lua script) across 1,000
streams, against a redis-py pipeline of 100 `XADD`s carrying the same fields (stream, event id,
type, schema version, JSON data, actor) to per-stream keys. Neither side waits for disk: the
Redis these machines run keeps nothing on disk, which the line reports.

Redis comes from `CALENDAR_BENCH_REDIS_URL`, else redis://127.0.0.1:6379/0. Every key lives
under a fresh `bench-<hex>` prefix and is deleted afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, cast
from uuid import uuid4

import redis

from benchmarks._harness import (
    Benchmark,
    Check,
    Config,
    Figures,
    Skipped,
    interleaved,
    median,
    progress,
    rnd,
    spread,
    timed,
)
from benchmarks.workload import ACTOR, EVENT_TYPE, encoded, engagement_rescheduled, stream_id
from calendar_service.eventstore import EventStoreError, NewEvent
from calendar_service.eventstore.redis import RedisEventStore

DEFAULT_URL = "redis://127.0.0.1:6379/0"
PER_PIPELINE = 100
STREAMS = 1000

Batch = tuple[str, Sequence[NewEvent], int | None]


def redis_url() -> str:
    return os.environ.get("CALENDAR_BENCH_REDIS_URL", DEFAULT_URL)


def connect(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        raise Skipped(f"no Redis at {url} ({error})") from None
    return client


def delete_prefix(client: redis.Redis, prefix: str) -> int:
    """Delete every key under `prefix:`; returns how many."""
    deleted = 0
    batch: list[Any] = []
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(key)
        if len(batch) == 1000:
            deleted += int(_call(client, "UNLINK", *batch))
            batch = []
    if batch:
        deleted += int(_call(client, "UNLINK", *batch))
    return deleted


def _call(client: redis.Redis, *args: Any) -> Any:
    """One command; redis-py's stubs type replies as sync-or-async, which they are not here."""
    return client.execute_command(*args)


def server_facts(client: redis.Redis) -> Figures:
    info = cast(dict[str, Any], client.info("server"))
    persistence = cast(dict[str, Any], client.info("persistence"))
    try:
        config = {
            **cast(dict[str, Any], client.config_get("appendonly")),
            **cast(dict[str, Any], client.config_get("save")),
        }
        on_disk = f"appendonly {config.get('appendonly')}, save '{config.get('save')}'"
    except redis.ResponseError:
        on_disk = "unknown (CONFIG disabled)"
    return {
        "redis_version": info.get("redis_version"),
        "redis_persistence": on_disk,
        "redis_aof_enabled": bool(persistence.get("aof_enabled")),
    }


class Pipelines:
    """The same appends as `append_many` calls (ours) and as XADD pipelines (peer)."""

    def __init__(self, pipelines: int, first_event: int, first_stream: int = 0) -> None:
        self.ours: list[list[Batch]] = []
        self.xadd: list[list[tuple[str, dict[str, str]]]] = []
        n = first_event
        for p in range(pipelines):
            ours: list[Batch] = []
            xadd: list[tuple[str, dict[str, str]]] = []
            for i in range(PER_PIPELINE):
                k = p * PER_PIPELINE + i
                stream, version = stream_id(first_stream + k % STREAMS), k // STREAMS
                data = engagement_rescheduled(n)
                n += 1
                event = NewEvent(EVENT_TYPE, data, actor=ACTOR)
                ours.append((stream, [event], version))
                fields = {
                    "stream": stream,
                    "event_id": str(event.event_id),
                    "type": EVENT_TYPE,
                    "schema_version": "1",
                    "data": encoded(data),
                    "actor": ACTOR,
                }
                xadd.append((stream, fields))
            self.ours.append(ours)
            self.xadd.append(xadd)

    @property
    def events(self) -> int:
        return sum(len(batches) for batches in self.ours)


def append_pipelined(config: Config) -> Figures:
    pipelines = config.pick(100, 5)
    repeats = config.pick(5, 2)
    url = redis_url()
    client = connect(url)
    root = f"bench-{uuid4().hex[:12]}"
    work = Pipelines(pipelines, first_event=0)
    warm = Pipelines(3, first_event=10_000_000, first_stream=10_000_000)
    runs = iter(range(10_000))
    try:
        facts = server_facts(client)

        def ours() -> float:
            prefix = f"{root}:ours{next(runs)}"
            store = RedisEventStore(url, prefix=prefix, allow_ephemeral=True)
            try:
                for batches in warm.ours:
                    _check(store.append_many(batches))
                append_many = store.append_many

                def run() -> None:
                    for batches in work.ours:
                        _check(append_many(batches))  # as a caller would; results dropped

                return timed(run)
            finally:
                store.close()
                delete_prefix(client, prefix)

        def xadd() -> float:
            prefix = f"{root}:xadd{next(runs)}"
            peer = redis.Redis.from_url(url, socket_timeout=30)
            pipeline: Callable[..., Any] = peer.pipeline

            def send(entries: list[tuple[str, dict[str, str]]]) -> None:
                pipe = pipeline(transaction=False)
                for stream, fields in entries:
                    pipe.xadd(f"{prefix}:{stream}", fields)
                pipe.execute()

            try:
                for entries in warm.xadd:
                    send(entries)

                def run() -> None:
                    for entries in work.xadd:
                        send(entries)

                return timed(run)
            finally:
                peer.close()
                delete_prefix(client, prefix)

        samplers = {"ours": ours, "redis_xadd": xadd}
        progress(
            f"   {pipelines} pipelines of {PER_PIPELINE} appends x {repeats} repeats x 2 contenders"
        )
        samples = interleaved(samplers, repeats)
    finally:
        leftover = delete_prefix(client, root)
        client.close()
    rates = {name: work.events / median(seconds) for name, seconds in samples.items()}
    return {
        "events": work.events,
        "per_pipeline": PER_PIPELINE,
        "streams": STREAMS,
        "repeats": repeats,
        "ours_events_per_s": rnd(rates["ours"], 4),
        "redis_xadd_events_per_s": rnd(rates["redis_xadd"], 4),
        "ratio_vs_redis_xadd": rnd(rates["ours"] / rates["redis_xadd"]),
        "spread_max": rnd(max(spread(s) for s in samples.values()), 2),
        **facts,
        "keys_left_behind": leftover,
    }


def _check(results: Sequence[object]) -> None:
    failures = [r for r in results if isinstance(r, EventStoreError)]
    if failures:
        raise RuntimeError(f"{len(failures)} appends failed, first: {failures[0]}")


BENCHMARKS = (
    Benchmark(
        "eventlog_redis.append_pipelined",
        peer="plain pipelined XADD (redis-py, transaction=False) on the same server",
        checks=(Check("ratio_vs_redis_xadd", at_least=0.5),),
        run=append_pipelined,
    ),
)

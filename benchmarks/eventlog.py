"""The event log on SQLite against raw sqlite3 and the `eventsourcing` library (issue 2).

Four benchmarks, each measuring every contender in the same run, interleaved, on fresh database
files on a real disk (see `_harness.scratch_dir`):

* `append_one_durable`: one event per transaction, synchronous=FULL, across 50 streams;
* `append_batch_1000`: appends of 1,000 events, one transaction each;
* `replay_100k`: reading a 100,000-event log in order, decoded;
* `load_stream_10`: loading a 10-event stream from a log of many such streams.

"ours" is always the full path callers use: `SqliteEventStore.append` with `NewEvent`s
(validation, JSON encoding, version and duplicate checks) and `iter_all`/`read_stream` returning
decoded `StoredEvent`s. Inputs (`NewEvent` objects, rows, peer events) are built before timing.
"""

from __future__ import annotations

import inspect
import json
import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from benchmarks._harness import (
    Benchmark,
    Check,
    Config,
    Figures,
    describe_dir,
    fsync_ms,
    interleaved,
    median,
    progress,
    rnd,
    scratch_dir,
    spread,
    timed,
    timed_each,
)
from benchmarks.peers import (
    EventsourcingSqlite,
    RawSqlite,
    Schema,
    es_domain_event,
    es_stored_event,
    read_schema,
)
from benchmarks.workload import ACTOR, EVENT_TYPE, encoded, engagement_rescheduled, stream_id
from calendar_service.eventstore import NewEvent, iter_all
from calendar_service.eventstore.sqlite import SqliteEventStore

SYNCHRONOUS = "FULL"
RAW_COLUMNS = (
    "stream",
    "version",
    "event_id",
    "type",
    "schema_version",
    "data",
    "recorded_at_us",
    "known_at_us",
    "actor",
    "correlation_id",
    "causation_id",
)
"""Everything our store writes except `position`, which raw sqlite3 leaves to the rowid."""

Row = tuple[Any, ...]


class Scratch:
    """Fresh database files in one scratch directory, each removed once its sampler is done."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = count()
        self._schema: Schema | None = None

    def path(self, label: str) -> Path:
        return self.directory / f"{label}-{next(self._numbers)}.db"

    def remove(self, path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def schema(self) -> Schema:
        """Our store's schema, read from a database it created (so raw sqlite3 matches it)."""
        if self._schema is None:
            template = self.path("template")
            SqliteEventStore(template).close()
            self._schema = read_schema(template, "events")
            self.remove(template)
        return self._schema

    def ours(self, label: str = "ours", synchronous: str = SYNCHRONOUS) -> SqliteEventStore:
        return SqliteEventStore(self.path(label), synchronous=synchronous)

    def raw(self) -> RawSqlite:
        return RawSqlite(self.path("raw"), self.schema(), RAW_COLUMNS)

    def eventsourcing(self) -> EventsourcingSqlite:
        return EventsourcingSqlite(self.path("es"))


class Appends:
    """The same logical appends, ready-made for each contender."""

    def __init__(self, batches: list[tuple[int, int]], size: int) -> None:
        """`batches` is (stream number, version before) per append; `size` events each."""
        recorded_at_us = int(datetime.now(UTC).timestamp() * 1_000_000)
        now = datetime.now(UTC)
        oids: dict[int, UUID] = {}
        self.ours: list[tuple[str, list[NewEvent], int]] = []
        self.raw: list[list[Row]] = []
        self.es: list[list[Any]] = []
        self.es_mapped: list[list[Any]] = []
        n = 0
        for stream_no, before in batches:
            stream = stream_id(stream_no)
            oid = oids.setdefault(stream_no, uuid4())
            datas = [engagement_rescheduled(n + i) for i in range(size)]
            n += size
            events = [NewEvent(EVENT_TYPE, data, actor=ACTOR) for data in datas]
            self.ours.append((stream, events, before))
            self.raw.append(
                [raw_row(stream, before + i + 1, e, recorded_at_us) for i, e in enumerate(events)]
            )
            self.es.append(
                [es_stored_event(oid, before + i + 1, encoded(d)) for i, d in enumerate(datas)]
            )
            self.es_mapped.append(
                [es_domain_event(oid, before + i + 1, d, now) for i, d in enumerate(datas)]
            )

    @property
    def events(self) -> int:
        return sum(len(events) for _, events, _ in self.ours)


def raw_row(stream: str, version: int, event: NewEvent, recorded_at_us: int) -> Row:
    """The row our store would write for `event`, in `RAW_COLUMNS` order."""
    event_id, data = str(event.event_id), encoded(event.data)
    known_at_us, correlation_id, causation_id = None, None, None
    return (
        stream,
        version,
        event_id,
        event.type,
        event.schema_version,
        data,
        recorded_at_us,
        known_at_us,
        event.actor,
        correlation_id,
        causation_id,
    )


def round_robin(appends: int, streams: int, offset: int = 0) -> list[tuple[int, int]]:
    """(stream number, version before) for `appends` single-event appends over `streams`."""
    return [(offset + i % streams, i // streams) for i in range(appends)]


def append_samplers(
    scratch: Scratch, work: Appends, warm: Appends
) -> dict[str, Callable[[], float]]:
    """One sampler per contender: fresh file, untimed warm-up appends, then the timed ones."""

    def ours() -> float:
        store = scratch.ours()
        try:
            for stream, events, before in warm.ours:
                store.append(stream, events, before)
            append = store.append

            def run() -> None:
                for stream, events, before in work.ours:
                    append(stream, events, before)

            return timed(run)
        finally:
            store.close()
            scratch.remove(store.path)

    def raw() -> float:
        peer = scratch.raw()
        single = len(work.raw[0]) == 1
        write = (lambda rows: peer.insert_one(rows[0])) if single else peer.insert_many
        try:
            for rows in warm.raw:
                write(rows)

            def run() -> None:
                for rows in work.raw:
                    write(rows)

            return timed(run)
        finally:
            peer.close()
            scratch.remove(peer.path)

    def es_sampler(mapped: bool) -> Callable[[], float]:
        def sample() -> float:
            peer = scratch.eventsourcing()
            insert: Callable[[list[Any]], None] = peer.insert_mapped if mapped else peer.insert
            batches = work.es_mapped if mapped else work.es
            try:
                for events in warm.es_mapped if mapped else warm.es:
                    insert(events)

                def run() -> None:
                    for events in batches:
                        insert(events)

                return timed(run)
            finally:
                peer.close()
                scratch.remove(peer.path)

        return sample

    return {
        "ours": ours,
        "raw_sqlite3": raw,
        "eventsourcing": es_sampler(mapped=False),
        "eventsourcing_mapped": es_sampler(mapped=True),
        "codec": codec_sampler(work),
    }


def throughput_figures(samples: dict[str, list[float]], work: Appends) -> Figures:
    """events/s per contender (median), our ratio to each peer, and what bounds those ratios.

    `raw_sqlite3_ratio_vs_eventsourcing` is the ratio the floor itself reaches: no store that
    writes our row can beat raw sqlite3, so a target above it cannot be met on this schema.
    `ceiling_ratio_vs_raw_sqlite3` is raw sqlite3's time over raw sqlite3's plus the JSON
    encoding alone (the "codec" sample): the best ratio a store with our codec could reach,
    validation aside.
    """
    events = work.events
    codec_s = median(samples.pop("codec")) / events
    rates = {name: events / median(seconds) for name, seconds in samples.items()}
    figures: Figures = {f"{name}_events_per_s": rnd(rate, 4) for name, rate in rates.items()}
    for name, rate in rates.items():
        if name != "ours":
            figures[f"ratio_vs_{name}"] = rnd(rates["ours"] / rate)
    figures["raw_sqlite3_ratio_vs_eventsourcing"] = rnd(
        rates["raw_sqlite3"] / rates["eventsourcing"]
    )
    raw_s = 1 / rates["raw_sqlite3"]
    figures["codec_us_per_event"] = rnd(codec_s * 1e6)
    figures["ceiling_ratio_vs_raw_sqlite3"] = rnd(raw_s / (raw_s + codec_s))
    figures["spread_max"] = rnd(max(spread(seconds) for seconds in samples.values()), 2)
    return figures


def codec_sampler(work: Appends) -> Callable[[], float]:
    """Time to JSON-encode every payload of `work` as our store does: the codec floor.

    Sampled in the same interleaved loop as the contenders, so it sees the same machine.
    """
    datas = [event.data for _, events, _ in work.ours for event in events]
    return lambda: timed_each(lambda data: len(encoded(data).encode()), datas)


def environment(scratch: Scratch) -> Figures:
    """Where the files were and what durability each contender ran with."""
    es = scratch.eventsourcing()
    pragmas = es.pragmas()
    es.close()
    scratch.remove(es.path)
    raw = scratch.raw()
    raw_sync = raw.synchronous()
    raw.close()
    scratch.remove(raw.path)
    return {
        "filesystem": describe_dir(scratch.directory),
        "fsync_ms": rnd(fsync_ms(scratch.directory), 2),
        "synchronous": {
            "ours": SYNCHRONOUS,
            "raw_sqlite3": raw_sync,
            "eventsourcing": f"{pragmas['synchronous']} (library default; it sets only WAL)",
        },
        "journal_mode": {
            "ours": "wal",
            "raw_sqlite3": "wal",
            "eventsourcing": pragmas["journal_mode"],
        },
    }


def append_one_durable(config: Config) -> Figures:
    appends = config.pick(1000, 40)
    repeats = config.pick(9, 2)
    streams = 50
    work = Appends(round_robin(appends, streams), size=1)
    warm = Appends(round_robin(20, 5, offset=10_000), size=1)
    with scratch_dir("bench-eventlog-") as directory:
        scratch = Scratch(directory)
        env = environment(scratch)
        progress(f"   {appends} single-event appends x {repeats} repeats x 4 contenders")
        samples = interleaved(append_samplers(scratch, work, warm), repeats)
    return {
        "events": work.events,
        "streams": streams,
        "repeats": repeats,
        **throughput_figures(samples, work),
        "ours_ms_per_append": rnd(median(samples["ours"]) / appends * 1000),
        **env,
    }


def append_batch_1000(config: Config) -> Figures:
    batches = config.pick(20, 2)
    repeats = config.pick(7, 2)
    size = 1000
    work = Appends([(n, 0) for n in range(batches)], size=size)
    warm = Appends([(10_000, 0)], size=size)
    with scratch_dir("bench-eventlog-") as directory:
        scratch = Scratch(directory)
        env = environment(scratch)
        progress(f"   {batches} batches of {size} x {repeats} repeats x 4 contenders")
        samples = interleaved(append_samplers(scratch, work, warm), repeats)
    return {
        "events": work.events,
        "batch": size,
        "repeats": repeats,
        **throughput_figures(samples, work),
        **env,
    }


def populate(store: SqliteEventStore, streams: int, per_stream: int, interleave: bool) -> None:
    """Fill `store` through its own append: `streams` streams of `per_stream` events.

    Interleaved, each append is one event and a stream's events end up far apart in the file,
    as they do when engagements change over months; otherwise each stream is one append.
    """
    n = 0
    if interleave:
        for version in range(per_stream):
            for s in range(streams):
                data = engagement_rescheduled(n)
                store.append(stream_id(s), [NewEvent(EVENT_TYPE, data, actor=ACTOR)], version)
                n += 1
        return
    for s in range(streams):
        events = [
            NewEvent(EVENT_TYPE, engagement_rescheduled(n + i), actor=ACTOR)
            for i in range(per_stream)
        ]
        store.append(stream_id(s), events, 0)
        n += per_stream


def replay_100k(config: Config) -> Figures:
    """`iter_all(store)` with its default page against raw paging by 1,000 + json.loads."""
    total = config.pick(100_000, 5_000)
    repeats = config.pick(5, 2)
    page = 1000
    with scratch_dir("bench-eventlog-") as directory:
        scratch = Scratch(directory)
        progress(f"   populating {total} events")
        store = scratch.ours("replay", synchronous="OFF")
        populate(store, total // 10, 10, interleave=False)
        path = store.path
        store.close()
        raw_sql = (
            "SELECT position, stream, version, event_id, type, schema_version, data, "
            "recorded_at_us, known_at_us, actor, correlation_id, causation_id "
            "FROM events WHERE position > ? ORDER BY position LIMIT ?"
        )
        reader = SqliteEventStore(path)
        raw = sqlite3.connect(path, isolation_level=None)

        def ours() -> float:
            def run() -> None:
                seen = 0
                for _ in iter_all(reader):  # its defaults: what catch-up and callers get
                    seen += 1
                assert seen == total, seen

            return timed(run)

        def raw_paged() -> float:
            def run() -> None:
                seen, after, loads = 0, 0, json.loads
                while True:
                    rows = raw.execute(raw_sql, (after, page)).fetchall()
                    for row in rows:
                        loads(row[6])
                    seen += len(rows)
                    if len(rows) < page:
                        break
                    after = rows[-1][0]
                assert seen == total, seen

            return timed(run)

        try:
            samplers = {"ours": ours, "raw_sqlite3": raw_paged}
            interleaved(samplers, 1)  # warm-up: page cache and statement caches
            progress(f"   replaying {total} events x {repeats} repeats x 2 contenders")
            samples = interleaved(samplers, repeats)
        finally:
            reader.close()
            raw.close()
    ours_s, raw_s = median(samples["ours"]), median(samples["raw_sqlite3"])
    return {
        "events": total,
        "page": page,
        "ours_page": inspect.signature(iter_all).parameters["page_size"].default,
        "repeats": repeats,
        "ours_events_per_s": rnd(total / ours_s, 4),
        "raw_sqlite3_events_per_s": rnd(total / raw_s, 4),
        "ours_us_per_event": rnd(ours_s / total * 1e6),
        "raw_sqlite3_us_per_event": rnd(raw_s / total * 1e6),
        "ratio_vs_raw_sqlite3": rnd(raw_s / ours_s),
        "spread_max": rnd(max(spread(s) for s in samples.values()), 2),
    }


def load_stream_10(config: Config) -> Figures:
    streams = config.pick(2_000, 200)
    loads = config.pick(2_000, 200)
    repeats = config.pick(7, 2)
    per_stream = 10
    rng = random.Random(2)
    picks = [rng.randrange(streams) for _ in range(loads)]
    with scratch_dir("bench-eventlog-") as directory:
        scratch = Scratch(directory)
        progress(f"   populating {streams} streams of {per_stream} events, interleaved")
        store = scratch.ours("streams", synchronous="OFF")
        populate(store, streams, per_stream, interleave=True)
        path = store.path
        store.close()
        reader = SqliteEventStore(path)
        raw = sqlite3.connect(path, isolation_level=None)
        es = scratch.eventsourcing()
        oids = [uuid4() for _ in range(streams)]
        for version in range(1, per_stream + 1):
            stored = [
                es_stored_event(oid, version, encoded(engagement_rescheduled(s * 10 + version)))
                for s, oid in enumerate(oids)
            ]
            for start in range(0, len(stored), 1000):
                es.insert(stored[start : start + 1000])
        names = [stream_id(p) for p in picks]
        es_ids = [oids[p] for p in picks]
        raw_sql = (
            "SELECT position, stream, version, event_id, type, schema_version, data, "
            "recorded_at_us, known_at_us, actor, correlation_id, causation_id "
            "FROM events WHERE stream = ? AND version > ? ORDER BY version"
        )

        def ours() -> float:
            return timed_each(reader.read_stream, names)

        def raw_read() -> float:
            def run() -> None:
                for name in names:
                    for row in raw.execute(raw_sql, (name, 0)).fetchall():
                        json.loads(row[6])

            return timed(run)

        def es_select() -> float:
            return timed_each(es.select, es_ids)

        def es_mapped() -> float:
            return timed_each(es.select_mapped, es_ids)

        try:
            samplers = {
                "ours": ours,
                "raw_sqlite3": raw_read,
                "eventsourcing": es_select,
                "eventsourcing_mapped": es_mapped,
            }
            assert all(len(reader.read_stream(n)) == per_stream for n in names[:10])
            assert all(len(es.select(o)) == per_stream for o in es_ids[:10])
            interleaved(samplers, 1)
            progress(f"   {loads} loads x {repeats} repeats x 4 contenders")
            samples = interleaved(samplers, repeats)
        finally:
            reader.close()
            raw.close()
            es.close()
    ms = {name: median(seconds) / loads * 1000 for name, seconds in samples.items()}
    figures: Figures = {
        "streams": streams,
        "events_per_stream": per_stream,
        "loads": loads,
        "repeats": repeats,
    }
    figures.update({f"{name}_ms": rnd(value) for name, value in ms.items()})
    for name, value in ms.items():
        if name != "ours":
            figures[f"ratio_vs_{name}"] = rnd(value / ms["ours"])
    figures["limit_ms"] = 0.2
    figures["spread_max"] = rnd(max(spread(s) for s in samples.values()), 2)
    return figures


BENCHMARKS = (
    Benchmark(
        "eventlog.append_one_durable",
        peer="raw sqlite3 autocommit INSERT; eventsourcing SQLiteApplicationRecorder.insert_events",
        checks=(
            Check("ratio_vs_raw_sqlite3", at_least=0.8),
            Check("ratio_vs_eventsourcing", at_least=1.5),
        ),
        run=append_one_durable,
    ),
    Benchmark(
        "eventlog.append_batch_1000",
        peer="raw sqlite3 executemany in one txn; eventsourcing insert_events of 1,000",
        checks=(
            Check("ratio_vs_raw_sqlite3", at_least=0.5),
            Check("ratio_vs_eventsourcing", at_least=2.0),
        ),
        run=append_batch_1000,
    ),
    Benchmark(
        "eventlog.replay_100k",
        peer="raw sqlite3 paged SELECT (LIMIT 1000) + json.loads of data",
        checks=(Check("ratio_vs_raw_sqlite3", at_least=0.7),),
        run=replay_100k,
    ),
    Benchmark(
        "eventlog.load_stream_10",
        peer="limit 0.2 ms; eventsourcing select_events of a 10-event aggregate for comparison",
        checks=(Check("ours_ms", at_most=0.2),),
        run=load_stream_10,
    ),
)

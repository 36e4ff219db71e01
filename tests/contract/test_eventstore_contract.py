"""The one EventStore contract: every backend (memory, SQLite, Redis) must pass all of it.

Each test gets an empty log. Durable backends are reopened from their storage where a test
needs a second process or a second look; the memory store cannot be, and says so where it matters.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calendar_service.eventstore import (
    MAX_EVENT_BYTES,
    ConcurrencyError,
    DuplicateEventConflict,
    EventStore,
    EventTooLarge,
    InvalidAppend,
    InvalidEventData,
    InvalidStreamId,
    NewEvent,
    StoredEvent,
    iter_all,
)
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters
from tests.contract import eventstore_helpers
from tests.contract.eventstore_helpers import BATCH_SIZE, open_store, race

HELPER = Path(eventstore_helpers.__file__)


@dataclass(frozen=True)
class Backend:
    """Where a test's log lives; `open` gives a new store on it (memory: a new, empty one).

    Every store opened is closed when the test ends.
    """

    kind: str
    spec: dict[str, str]
    opened: list[EventStore] = field(default_factory=list)

    @property
    def durable(self) -> bool:
        return self.kind != "memory"

    def open(self, upcasters: Upcasters = NO_UPCASTERS) -> EventStore:
        store = open_store(self.spec, upcasters)
        self.opened.append(store)
        return store


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    kind: str = request.param
    spec = {"kind": kind}
    if kind == "sqlite":
        spec["path"] = str(tmp_path / "log" / "events.db")
    if kind == "redis":
        spec["url"] = request.getfixturevalue("redis_url")
        spec["prefix"] = request.getfixturevalue("redis_prefix")
    backend = Backend(kind, spec)
    yield backend
    for store in backend.opened:
        store.close()


@pytest.fixture
def store(backend: Backend) -> EventStore:
    return backend.open()


def scheduled(title: str = "Courtesy call on the Ambassador", **extra: Any) -> NewEvent:
    return NewEvent("EngagementScheduled", {"title": title}, **extra)


def snapshot(store: EventStore) -> tuple[int, list[StoredEvent]]:
    return store.head(), list(iter_all(store))


# 1. Stale expected versions ----------------------------------------------------------------------


def test_stale_expected_version_is_refused_naming_stream_and_versions_and_writes_nothing(
    store: EventStore,
) -> None:
    store.append("engagement-7", [scheduled(), scheduled("Lunch")], expected_version=0)
    before = snapshot(store)

    with pytest.raises(ConcurrencyError) as refused:
        store.append("engagement-7", [scheduled("Moved"), scheduled("Again")], expected_version=1)

    message = str(refused.value)
    assert "'engagement-7'" in message
    assert "at version 2" in message
    assert "expected 1" in message
    assert (refused.value.stream, refused.value.expected, refused.value.actual) == (
        "engagement-7",
        1,
        2,
    )
    assert snapshot(store) == before
    assert store.stream_version("engagement-7") == 2


def test_expected_version_zero_refuses_a_stream_that_already_exists(store: EventStore) -> None:
    store.append("engagement-8", [scheduled()], expected_version=0)
    with pytest.raises(ConcurrencyError, match="at version 1, not the expected 0"):
        store.append("engagement-8", [scheduled()], expected_version=0)
    assert store.head() == 1


# 2. Racing writers -------------------------------------------------------------------------------

RACE_STREAM = "engagement-race"
RACE_CYCLES = 200


@pytest.mark.slow
def test_two_writers_racing_on_one_stream_end_with_every_event_once_in_order(
    backend: Backend, store: EventStore
) -> None:
    """Two OS processes (SQLite, Redis) each do 200 read-decide-append cycles with retry.

    The memory store cannot be shared across processes, so for it the writers are two threads
    of this process instead.
    """
    conflicts = race_in_processes(backend.spec) if backend.durable else race_in_threads(store)
    assert_every_race_step_once_in_order(store, conflicts)


def test_two_threads_sharing_one_store_object_race_safely(store: EventStore) -> None:
    """One store object used by two threads at once, as a web server's worker threads use it."""
    assert_every_race_step_once_in_order(store, race_in_threads(store))


def assert_every_race_step_once_in_order(store: EventStore, conflicts: int) -> None:
    events = store.read_stream(RACE_STREAM)
    assert [e.version for e in events] == list(range(1, 2 * RACE_CYCLES + 1))
    assert len({e.event_id for e in events}) == 2 * RACE_CYCLES
    assert [e.position for e in iter_all(store)] == list(range(1, 2 * RACE_CYCLES + 1))
    done = sorted((e.data["writer"], e.data["cycle"]) for e in events)
    assert done == [(w, c) for w in ("w1", "w2") for c in range(RACE_CYCLES)]
    lost_updates = [e.version for e in events if e.data["saw"] != e.version - 1]
    assert lost_updates == [], "these events were decided on a stale read yet accepted"
    assert conflicts > 0, "the writers never collided, so the race proved nothing"


def race_in_processes(spec: dict[str, str]) -> int:
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                str(HELPER),
                "race",
                json.dumps(spec),
                RACE_STREAM,
                name,
                str(RACE_CYCLES),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None
            ready = writer.stdout.readline().strip()
            assert ready == "ready", writer.communicate(timeout=10)[1]
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        outputs = [writer.communicate(timeout=60) for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
    for writer, (_, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
    return sum(json.loads(out.splitlines()[-1])["conflicts"] for out, _ in outputs)


def race_in_threads(store: EventStore) -> int:
    conflicts: list[int] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        start.wait()
        conflicts.append(race(store, RACE_STREAM, name, RACE_CYCLES))

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(conflicts) == 2, "a writer thread failed"
    return sum(conflicts)


# 3. Idempotent retries ---------------------------------------------------------------------------


def test_retrying_an_append_with_the_same_event_ids_returns_the_stored_positions(
    store: EventStore,
) -> None:
    store.append("engagement-0", [scheduled()], expected_version=0)
    batch = [scheduled("Courtesy call"), scheduled("Dinner")]
    first = store.append("engagement-1", batch, expected_version=0)
    store.append("engagement-1", [scheduled("Moved")], expected_version=2)
    before = snapshot(store)

    retried = store.append("engagement-1", batch, expected_version=0)

    assert first.positions == (2, 3)
    assert not first.duplicate
    assert retried.duplicate
    assert retried.positions == first.positions
    assert retried.version == 3
    assert snapshot(store) == before


def test_a_batch_mixing_stored_and_new_event_ids_is_refused_and_writes_nothing(
    store: EventStore,
) -> None:
    stored = scheduled("Courtesy call")
    store.append("engagement-1", [stored], expected_version=0)
    new = scheduled("Dinner")
    before = snapshot(store)

    with pytest.raises(DuplicateEventConflict, match="mixes event ids already stored with new"):
        store.append("engagement-1", [stored, new], expected_version=None)

    assert snapshot(store) == before
    assert not store.append("engagement-1", [new], expected_version=1).duplicate


def test_an_event_id_already_stored_in_another_stream_is_refused(store: EventStore) -> None:
    event = scheduled()
    store.append("engagement-1", [event], expected_version=0)
    before = snapshot(store)

    with pytest.raises(DuplicateEventConflict, match="already stored in another stream"):
        store.append("engagement-2", [event], expected_version=0)

    assert snapshot(store) == before
    assert store.stream_version("engagement-2") == 0


# 4. A writer killed mid-append -------------------------------------------------------------------


@pytest.mark.slow
def test_a_writer_killed_mid_append_leaves_only_whole_batches_and_a_readable_log(
    backend: Backend,
) -> None:
    if not backend.durable:
        pytest.skip("the memory store lives and dies with its process: nothing to reopen")
    rng = random.Random()
    acknowledged = {
        run: kill_batch_writer(backend.spec, run, rng.randint(3, 30), rng.uniform(0, 0.02))
        for run in "abcde"
    }

    reopened = backend.open()
    log = list(iter_all(reopened))
    assert [e.position for e in log] == list(range(1, len(log) + 1))
    for run, last_acknowledged in acknowledged.items():
        batches = group_batches([e for e in log if e.data["run"] == run])
        assert sorted(batches) == list(range(len(batches))), f"run {run} lost a batch"
        assert len(batches) > last_acknowledged, f"run {run} lost an acknowledged batch"
        for number, events in batches.items():
            assert_whole_batch(number, events)
    after = reopened.append("engagement-after", [scheduled()], expected_version=0)
    assert after.positions == (len(log) + 1,)


def kill_batch_writer(spec: dict[str, str], run: str, after_batches: int, delay: float) -> int:
    """Start a batch writer; SIGKILL it `delay` s after it reports `after_batches` stored.

    Returns the last batch it reported stored. The delay puts the kill at a random point of
    whichever append is under way, not always just after a report.
    """
    writer = subprocess.Popen(
        [sys.executable, str(HELPER), "batches", json.dumps(spec), run],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    last = -1
    try:
        assert writer.stdout is not None
        while last < after_batches:
            line = writer.stdout.readline()
            assert line, f"writer stopped early: {writer.communicate(timeout=10)[1]}"
            last = int(line)
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.communicate(timeout=10)
    assert writer.returncode == -signal.SIGKILL
    return last


def group_batches(events: list[StoredEvent]) -> dict[int, list[StoredEvent]]:
    batches: dict[int, list[StoredEvent]] = {}
    for event in events:
        batches.setdefault(event.data["batch"], []).append(event)
    return batches


def assert_whole_batch(number: int, events: list[StoredEvent]) -> None:
    assert [e.data["index"] for e in events] == list(range(BATCH_SIZE)), f"batch {number} torn"
    first = events[0]
    assert [e.position for e in events] == list(range(first.position, first.position + BATCH_SIZE))
    assert [e.version for e in events] == list(range(first.version, first.version + BATCH_SIZE))
    assert {e.stream for e in events} == {first.stream}


# 5. Reading the log in pages ---------------------------------------------------------------------


def test_read_all_pages_in_global_order_from_any_position(store: EventStore) -> None:
    rng = random.Random(20250624)
    total = 0
    while total < 1200:
        size = rng.randint(1, 40)
        store.append(f"engagement-{rng.randint(1, 7)}", [scheduled() for _ in range(size)], None)
        total += size
    full = store.read_all(0, 10_000)
    assert [e.position for e in full] == list(range(1, total + 1))

    for _ in range(30):
        after, limit = rng.randint(0, total + 3), rng.randint(1, 300)
        assert store.read_all(after, limit) == full[after : after + limit], (after, limit)
    assert store.read_all(total) == []
    assert store.read_all(0, limit=0) == []
    assert list(iter_all(store, after=17, page_size=97)) == full[17:]


@pytest.mark.slow
def test_reading_a_100k_event_log_page_by_page_runs_in_bounded_memory(store: EventStore) -> None:
    """iter_all over 100,000 events peaks below a tenth of what holding them all would take.

    What holding them takes is measured on 10,000 of them (one read) and scaled by ten, since
    every event here has the same shape; measuring all 100,000 would double the test's time.
    Holding one 1,000-event page at a time should peak near a hundredth.
    """
    for batch in range(100):
        events = [
            NewEvent("EngagementScheduled", {"n": batch * 1000 + i, "title": "Courtesy call"})
            for i in range(1000)
        ]
        store.append(f"engagement-{batch % 10}", events, expected_version=None)
    store.read_all(0, 10)  # first-use costs (connections, statement caches) are not the log's

    tracemalloc.start()
    try:
        count = last = 0
        for event in iter_all(store):
            count, last = count + 1, event.position
        streaming_peak = tracemalloc.get_traced_memory()[1]
        before = tracemalloc.get_traced_memory()[0]
        sample = store.read_all(0, 10_000)
        holding_all = (tracemalloc.get_traced_memory()[0] - before) * 10
    finally:
        tracemalloc.stop()

    assert (count, last, len(sample)) == (100_000, 100_000, 10_000)
    assert streaming_peak < holding_all / 10, (
        f"paging peaked at {streaming_peak:,} bytes; holding every event takes ~{holding_all:,}"
    )


# 6. Upcasting old schema versions ----------------------------------------------------------------


def title_upcasters() -> Upcasters:
    upcasters = Upcasters()

    @upcasters.register("EngagementScheduled", from_version=1)
    def _title_to_titles(data: dict[str, Any]) -> dict[str, Any]:
        rest = {key: value for key, value in data.items() if key != "title"}
        return {**rest, "titles": {"en": data["title"]}}

    return upcasters


def test_an_event_stored_at_schema_v1_is_read_back_upcast_to_v2(backend: Backend) -> None:
    store = backend.open(title_upcasters())
    store.append(
        "engagement-1",
        [
            NewEvent("EngagementScheduled", {"title": "Courtesy call", "room": "3F"}),
            NewEvent("EngagementScheduled", {"titles": {"en": "Dinner"}}, schema_version=2),
            NewEvent("FollowUpRecorded", {"note": "send the minutes"}),
        ],
        expected_version=0,
    )
    for events in (store.read_stream("engagement-1"), store.read_all()):
        assert [(e.type, e.schema_version, e.data) for e in events] == [
            ("EngagementScheduled", 2, {"room": "3F", "titles": {"en": "Courtesy call"}}),
            ("EngagementScheduled", 2, {"titles": {"en": "Dinner"}}),
            ("FollowUpRecorded", 1, {"note": "send the minutes"}),
        ]
    if backend.durable:
        raw = backend.open().read_stream("engagement-1")[0]
        assert (raw.schema_version, raw.data) == (1, {"title": "Courtesy call", "room": "3F"})


# 7. Bad input ------------------------------------------------------------------------------------

BAD_INPUT: list[tuple[str, str, Callable[[], list[NewEvent]], object, type[Exception], str]] = [
    ("empty stream id", "", lambda: [scheduled()], 0, InvalidStreamId, "1-200 characters"),
    ("stream id with spaces", "my stream", lambda: [scheduled()], 0, InvalidStreamId,
     "starting with a letter or digit"),
    ("stream id with newline", "a\nb", lambda: [scheduled()], 0, InvalidStreamId, "is not valid"),
    ("stream id of 201 chars", "e" * 201, lambda: [scheduled()], 0, InvalidStreamId,
     "1-200 characters"),
    ("data holding a set", "engagement-1", lambda: [NewEvent("X", {"tags": {"a"}})], 0,
     InvalidEventData, "not JSON-serialisable"),
    ("data holding a datetime", "engagement-1",
     lambda: [NewEvent("X", {"at": datetime.now(UTC)})], 0, InvalidEventData,
     "use strings, numbers, booleans, lists and objects only"),
    ("data holding NaN", "engagement-1", lambda: [NewEvent("X", {"score": float("nan")})], 0,
     InvalidEventData, "not JSON-serialisable"),
    ("event over the size limit", "engagement-1",
     lambda: [NewEvent("X", {"notes": "x" * MAX_EVENT_BYTES})], 0, EventTooLarge,
     f"over the limit of {MAX_EVENT_BYTES}"),
    ("negative expected version", "engagement-1", lambda: [scheduled()], -1, InvalidAppend,
     "expected_version -1 is negative"),
    ("empty batch", "engagement-1", lambda: [], 0, InvalidAppend, "has no events"),
    ("naive known_at", "engagement-1",
     lambda: [scheduled(known_at=datetime(2025, 6, 24, 9, 0))], 0, InvalidEventData,
     "has no time zone; give it one"),
    ("bad event after a good one", "engagement-1",
     lambda: [scheduled(), NewEvent("X", {"tags": {"a"}})], 0, InvalidEventData,
     "not JSON-serialisable"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stream", "make_events", "expected_version", "error", "says"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_refused_with_an_actionable_message_and_nothing_written(
    store: EventStore,
    stream: str,
    make_events: Callable[[], list[NewEvent]],
    expected_version: int,
    error: type[Exception],
    says: str,
) -> None:
    store.append("engagement-0", [scheduled()], expected_version=0)
    before = snapshot(store)

    with pytest.raises(error) as refused:
        store.append(stream, make_events(), expected_version=expected_version)

    assert says in str(refused.value)
    assert snapshot(store) == before
    if stream == "engagement-1":
        assert store.read_stream(stream) == []


# Times, metadata and text ------------------------------------------------------------------------


def test_recorded_at_is_set_by_the_store_in_utc_and_known_at_defaults_to_it(
    store: EventStore,
) -> None:
    before = datetime.now(UTC)
    store.append("engagement-1", [scheduled()], expected_version=0)
    after = datetime.now(UTC)

    [event] = store.read_stream("engagement-1")
    assert event.recorded_at.utcoffset() == timedelta(0)
    assert before <= event.recorded_at <= after
    assert event.known_at == event.recorded_at
    assert store.read_all() == [event]


def test_an_explicit_earlier_known_at_is_kept_for_backfilled_history(store: EventStore) -> None:
    learned = datetime(2024, 3, 1, 9, 30, tzinfo=ZoneInfo("Asia/Seoul"))
    before = datetime.now(UTC)
    store.append("engagement-1", [scheduled(known_at=learned)], expected_version=0)

    [event] = store.read_stream("engagement-1")
    assert event.known_at == learned
    assert event.known_at.utcoffset() == timedelta(0)
    assert event.recorded_at >= before


def test_actor_correlation_and_causation_ids_round_trip(store: EventStore) -> None:
    event = scheduled(
        actor="김민지 (의전실) <protocol@mofa.example>",
        correlation_id=uuid.uuid4(),
        causation_id=uuid.uuid4(),
    )
    store.append("engagement-1", [event, scheduled()], expected_version=0)

    for stored in (store.read_stream("engagement-1")[0], store.read_all()[0]):
        assert stored.event_id == event.event_id
        assert stored.actor == event.actor
        assert stored.correlation_id == event.correlation_id
        assert stored.causation_id == event.causation_id
        for read, given in (
            (stored.event_id, event.event_id),
            (stored.correlation_id, event.correlation_id),
            (stored.causation_id, event.causation_id),
        ):  # UUIDs, not the text a store keeps them as until they are read
            assert isinstance(read, uuid.UUID)
            assert (str(read), hash(read)) == (str(given), hash(given))
    second = store.read_stream("engagement-1")[1]
    assert (second.actor, second.correlation_id, second.causation_id) == ("system", None, None)


def test_korean_and_chinese_text_round_trips_exactly(store: EventStore) -> None:
    data = {
        "title": "주한 중국대사 예방",
        "place": "北京 人民大会堂 东大厅",
        "notes": ["통역: 김수현", "禮賓司 確認", "line\u2028separator", "🎌"],
        "nested": {"좌석": {"순서": [1, 2.5, None, True]}},
    }
    store.append("engagement-1", [NewEvent("EngagementScheduled", data)], expected_version=0)

    assert store.read_stream("engagement-1")[0].data == data
    assert store.read_all()[0].data == data


def test_an_empty_log_and_unknown_streams_read_as_empty(store: EventStore) -> None:
    assert store.head() == 0
    assert store.read_all() == []
    assert store.read_stream("engagement-unknown") == []
    assert store.stream_version("engagement-unknown") == 0
    assert list(iter_all(store)) == []

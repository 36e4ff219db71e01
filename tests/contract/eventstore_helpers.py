"""What the event store contract suite runs in other threads and processes.

Imported by `test_eventstore_contract.py`, and run as a child process by it::

    python eventstore_helpers.py race SPEC STREAM WRITER CYCLES
        prints "ready", waits for a line on stdin, runs `race`, prints {"conflicts": n}
    python eventstore_helpers.py batches SPEC RUN
        appends 5-event batches until killed, printing each batch number once it is stored

SPEC is JSON naming a durable store: {"kind": "sqlite", "path": ...} or
{"kind": "redis", "url": ..., "prefix": ...}.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from calendar_service.eventstore import ConcurrencyError, EventStore, NewEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.redis import RedisEventStore
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters

BATCH_SIZE = 5
BATCH_STREAMS = ("engagement-a", "engagement-b", "engagement-c")
DECIDE_SECONDS = 0.0005


def open_store(spec: dict[str, str], upcasters: Upcasters = NO_UPCASTERS) -> EventStore:
    """A new store on the storage `spec` names; memory stores are new and empty each time."""
    if spec["kind"] == "memory":
        return MemoryEventStore(upcasters=upcasters)
    if spec["kind"] == "sqlite":
        return SqliteEventStore(spec["path"], upcasters=upcasters)
    if spec["kind"] == "redis":
        return RedisEventStore(
            spec["url"], prefix=spec["prefix"], allow_ephemeral=True, upcasters=upcasters
        )
    raise ValueError(f"unknown store kind {spec['kind']!r}")


def race(store: EventStore, stream: str, writer: str, cycles: int) -> int:
    """Do `cycles` read-decide-append cycles, retrying each on conflict; return the conflicts.

    Each cycle reads the stream's new events, decides one event recording what it saw, and
    appends it with the version it read, as the service's write path does. Deciding takes
    DECIDE_SECONDS, as real decisions take time: it lets the other writer in between.
    """
    seen, conflicts = 0, 0
    for cycle in range(cycles):
        while True:
            events = store.read_stream(stream, after_version=seen)
            seen = events[-1].version if events else seen
            decided = NewEvent("RaceStep", {"writer": writer, "cycle": cycle, "saw": seen})
            time.sleep(DECIDE_SECONDS)
            try:
                store.append(stream, [decided], expected_version=seen)
                break
            except ConcurrencyError:
                conflicts += 1
    return conflicts


def append_batches(store: EventStore, run: str, report: Callable[[int], None]) -> None:
    """Append batches of BATCH_SIZE events forever, calling `report(batch)` after each lands."""
    batch = 0
    while True:
        stream = BATCH_STREAMS[batch % len(BATCH_STREAMS)]
        events = [
            NewEvent("BatchPart", {"run": run, "batch": batch, "index": index, "pad": "x" * 200})
            for index in range(BATCH_SIZE)
        ]
        store.append(stream, events, expected_version=None)
        report(batch)
        batch += 1


def _main(argv: list[str]) -> None:
    mode, spec = argv[1], json.loads(argv[2])
    store = open_store(spec)
    if mode == "race":
        print("ready", flush=True)
        sys.stdin.readline()
        conflicts = race(store, argv[3], argv[4], int(argv[5]))
        print(json.dumps({"conflicts": conflicts}), flush=True)
    elif mode == "batches":

        def report(batch: int) -> None:
            print(batch, flush=True)

        append_batches(store, argv[3], report)
    store.close()


if __name__ == "__main__":
    _main(sys.argv)

"""The peers the event-log benchmarks measure us against, set up as comparably as they allow.

`RawSqlite` is the floor: plain `sqlite3` writing the same row into the same schema (copied from
a database our `SqliteEventStore` created, indexes included) with the same durability (WAL,
synchronous=FULL), and nothing else: no validation, no version check, no codec.

`EventsourcingSqlite` is the `eventsourcing` library's SQLite store (`eventsourcing.sqlite`,
its `SQLiteApplicationRecorder`, which like ours keeps a global order). The library opens its
connections in autocommit mode, issues `BEGIN` itself, and sets only `PRAGMA journal_mode=WAL`;
it leaves `synchronous` at SQLite's compiled default, which `pragmas()` reports (FULL on the
stock builds). Two ways to feed it:

* `insert_events` with ready-made `StoredEvent`s whose state is the same JSON bytes ours
  writes: the recorder alone, no codec (the strictest comparison);
* its `Mapper` with a `JSONTranscoder` turning a domain event into a `StoredEvent` first: the
  library's own full path, codec included, like ours.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

SYNCHRONOUS_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
ES_TOPIC = "benchmarks.peers:EngagementRescheduled"


@dataclass(frozen=True)
class EngagementRescheduled(DomainEvent):
    """An `eventsourcing` domain event carrying the same data dict as ours.

    The library's metaclass makes it a frozen dataclass anyway; the decorator tells type checkers.
    """

    data: dict[str, Any]


def es_mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


class EventsourcingSqlite:
    """One `eventsourcing` SQLite application recorder on its own database file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.datastore = SQLiteDatastore(str(path))
        self.recorder = SQLiteApplicationRecorder(self.datastore)
        self.recorder.create_table()
        self.mapper = es_mapper()

    def insert(self, events: list[StoredEvent]) -> None:
        self.recorder.insert_events(events)

    def insert_mapped(self, events: list[EngagementRescheduled]) -> None:
        to_stored = self.mapper.to_stored_event
        self.recorder.insert_events([to_stored(event) for event in events])

    def select(self, originator_id: UUID) -> list[StoredEvent]:
        return list(self.recorder.select_events(originator_id))

    def select_mapped(self, originator_id: UUID) -> list[Any]:
        to_domain = self.mapper.to_domain_event
        return [to_domain(stored) for stored in self.recorder.select_events(originator_id)]

    def pragmas(self) -> dict[str, str]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = str(cursor.fetchone()[0])
            cursor.execute("PRAGMA synchronous")
            synchronous = SYNCHRONOUS_NAMES.get(cursor.fetchone()[0], "?")
        return {"journal_mode": journal, "synchronous": synchronous}

    def close(self) -> None:
        self.datastore.close()


def es_stored_event(originator_id: UUID, version: int, state_json: str) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id,
        originator_version=version,
        topic=ES_TOPIC,
        state=state_json.encode("utf-8"),
    )


def es_domain_event(
    originator_id: UUID, version: int, data: dict[str, Any], at: datetime
) -> EngagementRescheduled:
    return EngagementRescheduled(
        originator_id=originator_id, originator_version=version, timestamp=at, data=data
    )


@dataclass(frozen=True)
class Schema:
    """Our store's schema, read back from a database it created."""

    statements: tuple[str, ...]
    table: str
    columns: tuple[str, ...]


def read_schema(database: Path, table: str) -> Schema:
    """The CREATE statements in `database` and the columns of its `table` (in order)."""
    connection = sqlite3.connect(database)
    try:
        statements = tuple(
            sql
            for (sql,) in connection.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        )
        columns = tuple(row[1] for row in connection.execute(f"PRAGMA table_info({table})"))
    finally:
        connection.close()
    if not columns:
        raise RuntimeError(f"{database} has no table {table!r}; has the store's schema changed?")
    return Schema(statements, table, columns)


class RawSqlite:
    """Plain sqlite3 with our schema and durability: one statement, no checks, no codec."""

    def __init__(self, path: Path, schema: Schema, columns: tuple[str, ...]) -> None:
        self.path = path
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        for statement in schema.statements:
            self.connection.execute(statement)
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        self.insert_sql = f"INSERT INTO {schema.table} ({names}) VALUES ({marks})"

    def insert_one(self, row: tuple[Any, ...]) -> None:
        """One row, one transaction (autocommit): the cheapest durable append there is."""
        self.connection.execute(self.insert_sql, row)

    def insert_many(self, rows: list[tuple[Any, ...]]) -> None:
        """Many rows in one transaction with executemany."""
        connection = self.connection
        connection.execute("BEGIN")
        connection.executemany(self.insert_sql, rows)
        connection.execute("COMMIT")

    def synchronous(self) -> str:
        value = self.connection.execute("PRAGMA synchronous").fetchone()[0]
        return SYNCHRONOUS_NAMES.get(value, "?")

    def close(self) -> None:
        self.connection.close()

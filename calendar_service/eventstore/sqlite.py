"""The SQLite event store: the embedded default, one file shared by threads and processes.

One table holds the log. `position` is the INTEGER PRIMARY KEY (the rowid), assigned as max + 1
inside a `BEGIN IMMEDIATE` transaction, so it is gap-free: a refused or rolled-back append uses
no number. UNIQUE(stream, version) and UNIQUE(event_id) back the checks the code makes first,
and triggers refuse UPDATE and DELETE, because nothing in the log is ever rewritten.

The file runs in WAL mode: readers never wait for the writer, and writers in other threads or
processes queue on the write lock for up to `BUSY_TIMEOUT_SECONDS` instead of failing.
`synchronous=FULL` (the default) makes every committed append survive a power cut.

Each thread gets its own connection. Appends hold the write lock for one transaction;
reads are plain snapshot SELECTs that take no write lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from calendar_service.eventstore.port import (
    AppendResult,
    ConcurrencyError,
    DuplicateEventConflict,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
    utc_now,
)
from calendar_service.eventstore.records import (
    PreparedEvent,
    Row,
    check_stream_id,
    decode_rows,
    prepare_batch,
    rows_for,
    to_micros,
)
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters
from calendar_service.plumbing.sqlite import SqliteFile

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a writer waits for another writer's transaction before giving up."""

SCHEMA_VERSION = 1
"""Stored in PRAGMA user_version; a file written by a newer layout is refused, not guessed at."""

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    stream         TEXT    NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    event_id       TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    recorded_at_us INTEGER NOT NULL,
    known_at_us    INTEGER,
    actor          TEXT    NOT NULL,
    correlation_id TEXT,
    causation_id   TEXT,
    UNIQUE (stream, version)
);
CREATE TRIGGER IF NOT EXISTS events_are_never_updated BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: events are never updated'); END;
CREATE TRIGGER IF NOT EXISTS events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: events are never deleted'); END;
"""

_SELECT = (
    "SELECT position, stream, version, event_id, type, schema_version, data, recorded_at_us, "
    "known_at_us, actor, correlation_id, causation_id FROM events "
)
_READ_ALL = _SELECT + "WHERE position > ? ORDER BY position LIMIT ?"
_READ_STREAM = _SELECT + "WHERE stream = ? AND version > ? ORDER BY version"
_INSERT = (
    "INSERT INTO events (position, stream, version, event_id, type, schema_version, data, "
    "recorded_at_us, known_at_us, actor, correlation_id, causation_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_HEAD = "SELECT COALESCE(MAX(position), 0) FROM events"
_STREAM_VERSION = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = ?"
_HEAD_AND_VERSION = (
    "SELECT (SELECT COALESCE(MAX(position), 0) FROM events), "
    "(SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = ?)"
)
_ID_CHUNK = 500
"""Event ids looked up per query: well under SQLite's limit on bound parameters."""


class SqliteEventStore:
    """An `EventStore` in one SQLite file. Safe to share between threads and processes."""

    def __init__(
        self,
        path: str | Path,
        *,
        upcasters: Upcasters = NO_UPCASTERS,
        clock: Callable[[], datetime] = utc_now,
        synchronous: str = "FULL",
    ) -> None:
        """Open (creating the directories, the file and the schema if needed) the log at `path`.

        Raises `StoreUnavailable` naming the path if it cannot be opened, is not an event log
        this code understands, or cannot run in WAL mode.
        """
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(
                f"synchronous={synchronous!r} is not one of {', '.join(SYNCHRONOUS_MODES)}"
            )
        self._file = SqliteFile(
            path,
            label="SQLite event store",
            unavailable=StoreUnavailable,
            busy_timeout=BUSY_TIMEOUT_SECONDS,
            synchronous=synchronous.upper(),
        )
        self._upcasters = upcasters
        self._clock = clock
        mode = self._file.open_schema(SCHEMA_VERSION, _SCHEMA)
        if mode != "wal":
            self.close()
            raise StoreUnavailable(
                f"SQLite event store {self.path} cannot use WAL mode (journal_mode is {mode}): "
                "put it on a local file system"
            )

    @property
    def path(self) -> Path:
        return self._file.path

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        """See `EventStore.append`. One `BEGIN IMMEDIATE` transaction per call."""
        stream, prepared, expected = prepare_batch(stream, events, expected_version)
        with self._file.transaction() as conn:
            head, current = conn.execute(_HEAD_AND_VERSION, (stream,)).fetchone()
            if expected is not None and expected != current:
                # a retry of an append that landed arrives stale: answer it as a duplicate
                stored = _stored_positions(conn, [p.event_id for p in prepared])
                if stored:
                    return _duplicate(conn, stream, prepared, stored)
                raise ConcurrencyError(stream, expected, current)
            first = head + 1
            rows = rows_for(stream, current, first, to_micros(self._clock()), prepared)
            try:
                _insert(conn, rows)
            except sqlite3.IntegrityError:
                # UNIQUE(event_id) met a stored id (the version was checked above, in this
                # transaction); nothing of this batch is left, so look the ids up here
                stored = _stored_positions(conn, [p.event_id for p in prepared])
                if not stored:
                    raise
                return _duplicate(conn, stream, prepared, stored)
        positions = tuple(range(first, first + len(prepared)))
        return AppendResult(stream, positions, current + len(prepared))

    def read_stream(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        """See `EventStore.read_stream`."""
        check_stream_id(stream)
        with self._file.errors_named():
            rows = self._file.conn().execute(_READ_STREAM, (stream, after_version)).fetchall()
        return self._decode(rows)

    def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """See `EventStore.read_all`. One range scan on the primary key."""
        if limit <= 0:
            return []
        with self._file.errors_named():
            rows = self._file.conn().execute(_READ_ALL, (max(after, 0), limit)).fetchall()
        return self._decode(rows)

    def iter_all(self, after: int = 0, page_size: int = 1000) -> Iterator[StoredEvent]:
        """Every event after `after`: a page of rows at a time, each decoded as it is yielded.

        What `base.iter_all` uses for this store. Rows hold no containers, so a page of them
        costs the GC nothing; a page of decoded events (a dict tree each) costs it a lot.
        """
        while True:
            with self._file.errors_named():
                rows = self._file.conn().execute(_READ_ALL, (max(after, 0), page_size)).fetchall()
            yield from self._decoded(rows)
            if len(rows) < page_size:
                return
            after = rows[-1][0]

    def head(self) -> int:
        """See `EventStore.head`."""
        with self._file.errors_named():
            return int(self._file.conn().execute(_HEAD).fetchone()[0])

    def stream_version(self, stream: str) -> int:
        """See `EventStore.stream_version`."""
        check_stream_id(stream)
        with self._file.errors_named():
            return _stream_version(self._file.conn(), stream)

    def close(self) -> None:
        """Close every thread's connection. Later calls raise `StoreUnavailable`."""
        self._file.close()

    def _decode(self, rows: list[Row]) -> list[StoredEvent]:
        return list(self._decoded(rows))

    def _decoded(self, rows: list[Row]) -> Iterator[StoredEvent]:
        """StoredEvents from rows in `_SELECT` order (`records.Row`), upcast."""
        return decode_rows(rows, self._upcasters.upcast if self._upcasters else None)


def _insert(conn: sqlite3.Connection, rows: list[Row]) -> None:
    """INSERT the rows: all of them, or (raising) none.

    A failed row undoes only its own statement, so the rows executemany wrote before it would
    stay in the transaction; a savepoint takes them back out. One row needs none.
    """
    if len(rows) == 1:
        conn.execute(_INSERT, rows[0])
        return
    conn.execute("SAVEPOINT rows")
    try:
        conn.executemany(_INSERT, rows)
    except BaseException:
        conn.execute("ROLLBACK TO rows")
        raise
    finally:
        conn.execute("RELEASE rows")


def _stored_positions(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[int, str]]:
    """event_id -> (position, stream) for those of `ids` already in the log."""
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT event_id, position, stream FROM events WHERE event_id IN ({marks})"  # noqa: S608 (only "?" marks are interpolated)
        for event_id, position, stream in conn.execute(query, chunk):
            found[event_id] = (position, stream)
    return found


def _duplicate(
    conn: sqlite3.Connection,
    stream: str,
    prepared: list[PreparedEvent],
    stored: dict[str, tuple[int, str]],
) -> AppendResult:
    """The result of retrying a stored batch, or the conflict if it is not a clean retry."""
    if len(stored) < len(prepared):
        raise DuplicateEventConflict(
            stream, "the batch mixes event ids already stored with new ones"
        )
    if any(stored_stream != stream for _, stored_stream in stored.values()):
        raise DuplicateEventConflict(stream, "an event id is already stored in another stream")
    positions = tuple(stored[p.event_id][0] for p in prepared)
    return AppendResult(stream, positions, _stream_version(conn, stream), duplicate=True)


def _stream_version(conn: sqlite3.Connection, stream: str) -> int:
    return int(conn.execute(_STREAM_VERSION, (stream,)).fetchone()[0])

"""The SQLite views store: the read side of the embedded mode, in a file beside the event log.

Tables::

    projections (name -> live generation)
    generations (generation, name, state 'live' | 'building', checkpoint)
    rows        (generation, tbl, key) -> sort, doc      unique, and indexed by sort
    leases      (name -> owner, expires_at)              the catch-up lock

`commit` is one `BEGIN IMMEDIATE` transaction whose first statement is the compare-and-set
of the checkpoint (`UPDATE generations ... WHERE checkpoint = expected`): when it matches no
row, the transaction is rolled back and nothing is written. Reads resolve the live generation
in the same statement, and WAL gives each statement a snapshot, so readers never see a batch
half-written nor a swap half-done. The file uses `synchronous=NORMAL`: a power cut may lose
the last batches, never tear one, and the checkpoint goes back with them, so catch-up simply
re-applies them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from calendar_service.plumbing.sqlite import SqliteFile, immediate
from calendar_service.projections import views

BUSY_TIMEOUT_SECONDS = 30.0
SCHEMA_VERSION = 1
_DROP_CHUNK = 20_000
"""Rows of a retired generation deleted per transaction, so live writers are not held up."""
_KEY_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projections (
    name       TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS generations (
    generation INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('live', 'building', 'retired')),
    checkpoint INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rows (
    generation INTEGER NOT NULL,
    tbl        TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    sort       TEXT,
    doc        TEXT    NOT NULL,
    UNIQUE (generation, tbl, key)
);
CREATE INDEX IF NOT EXISTS rows_by_sort ON rows (generation, tbl, sort, key)
    WHERE sort IS NOT NULL;
CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at REAL NOT NULL
)
"""
_LIVE = "(SELECT generation FROM projections WHERE name = ?)"
_MARKS = (
    "SELECT p.name, g.generation, g.checkpoint FROM projections p "
    "JOIN generations g ON g.generation = p.generation WHERE p.name IN ({})"
)
_CHECKPOINT = (
    "SELECT checkpoint FROM generations "
    "WHERE generation = (SELECT generation FROM projections WHERE name = ?)"
)


class SqliteViewStore:
    """A `ViewStore` in one SQLite file. Safe to share between threads and processes."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        self._file = SqliteFile(
            path,
            label="views store",
            unavailable=views.ViewsUnavailable,
            busy_timeout=BUSY_TIMEOUT_SECONDS,
            synchronous=synchronous,
        )
        self._file.open_schema(
            SCHEMA_VERSION,
            _SCHEMA,
            remedy="upgrade calendar-service or delete the file (it is rebuilt from the event log)",
        )

    @property
    def path(self) -> Path:
        return self._file.path

    def live(self, name: str) -> views.Generation:
        views.check_name("projection", name)
        conn = self._file.conn()
        with self._file.errors_named():
            found = self._live_row(conn, name)
            if found is not None:
                return found
            with immediate(conn):
                found = self._live_row(conn, name)
                if found is not None:
                    return found
                cursor = conn.execute(
                    "INSERT INTO generations (name, state) VALUES (?, 'live')", (name,)
                )
                number = int(cursor.lastrowid or 0)
                conn.execute("INSERT INTO projections VALUES (?, ?)", (name, number))
            return views.Generation(name, number, 0)

    def checkpoint(self, name: str) -> int:
        with self._file.errors_named():
            row = self._file.conn().execute(_CHECKPOINT, (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def marks(self, names: Sequence[str]) -> list[tuple[int, int]]:
        query = _MARKS.format(", ".join("?" * len(names)))
        with self._file.errors_named():
            rows = self._file.conn().execute(query, tuple(names)).fetchall()
        found = {name: (int(generation), int(checkpoint)) for name, generation, checkpoint in rows}
        return [found.get(name, (0, 0)) for name in names]

    def commit(
        self, generation: views.Generation, expected: int, new: int, changes: views.Changes
    ) -> bool:
        puts, deletes = [], []
        number = generation.number
        for (table, key), change in changes.items():
            if change is None:
                deletes.append((number, table, key))
            else:
                puts.append(
                    (
                        number,
                        views.check_name("table", table),
                        views.check_text("key", key),
                        *change,
                    )
                )
        with self._file.transaction() as conn:
            moved = conn.execute(
                "UPDATE generations SET checkpoint = ? WHERE generation = ? AND checkpoint = ? "
                "AND state IN ('live', 'building')",
                (new, number, expected),
            )
            if moved.rowcount != 1:
                return False
            if puts:
                conn.executemany(
                    "INSERT INTO rows (generation, tbl, key, sort, doc) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (generation, tbl, key) DO UPDATE SET sort = excluded.sort, "
                    "doc = excluded.doc",
                    puts,
                )
            if deletes:
                conn.executemany(
                    "DELETE FROM rows WHERE generation = ? AND tbl = ? AND key = ?", deletes
                )
        return True

    def get(
        self, name: str, table: str, keys: Sequence[str], generation: int | None = None
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        conn = self._file.conn()
        where, first = self._generation(name, generation)
        with self._file.errors_named():
            for start in range(0, len(keys), _KEY_CHUNK):
                chunk = list(keys[start : start + _KEY_CHUNK])
                marks = ", ".join("?" * len(chunk))
                query = (
                    f"SELECT key, doc FROM rows WHERE generation = {where} AND tbl = ? "  # noqa: S608 (only "?" marks and a fixed subquery)
                    f"AND key IN ({marks})"
                )
                found.update(conn.execute(query, (first, table, *chunk)).fetchall())
        return found

    def range(
        self, name: str, table: str, low: str, high: str, limit: int | None = None
    ) -> list[tuple[str, str, str]]:
        query = (
            f"SELECT sort, key, doc FROM rows WHERE generation = {_LIVE} AND tbl = ? "  # noqa: S608 (a fixed subquery)
            "AND sort >= ? AND sort < ? ORDER BY sort, key LIMIT ?"
        )
        with self._file.errors_named():
            rows = (
                self._file.conn()
                .execute(query, (name, table, low, high, -1 if limit is None else limit))
                .fetchall()
            )
        return [(str(s), str(k), str(d)) for s, k, d in rows]

    def rows(
        self, name: str, table: str | None = None, generation: int | None = None
    ) -> Iterator[views.Row]:
        where, first = self._generation(name, generation)
        conn = self._open_reader()
        try:
            conn.execute("BEGIN")  # one snapshot for the whole listing
            if table is None:
                cursor = conn.execute(
                    f"SELECT tbl, key, sort, doc FROM rows WHERE generation = {where} "  # noqa: S608 (a fixed subquery)
                    "ORDER BY tbl, key",
                    (first,),
                )
            else:
                cursor = conn.execute(
                    f"SELECT tbl, key, sort, doc FROM rows WHERE generation = {where} "  # noqa: S608 (a fixed subquery)
                    "AND tbl = ? ORDER BY key",
                    (first, table),
                )
            yield from cursor
        finally:
            conn.close()

    def begin_shadow(self, name: str) -> views.Generation:
        views.check_name("projection", name)
        with self._file.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO generations (name, state) VALUES (?, 'building')", (name,)
            )
        return views.Generation(name, int(cursor.lastrowid or 0), 0)

    def swap(self, shadow: views.Generation) -> bool:
        conn = self._file.conn()
        with self._file.errors_named():
            with immediate(conn):
                row = conn.execute(
                    "SELECT state, checkpoint FROM generations WHERE generation = ?",
                    (shadow.number,),
                ).fetchone()
                if row is None or row[0] != "building":
                    return False
                live = self._live_row(conn, shadow.name)
                if live is not None and row[1] < live.checkpoint:
                    return False
                if live is not None:
                    conn.execute(
                        "UPDATE generations SET state = 'retired' WHERE generation = ?",
                        (live.number,),
                    )
                conn.execute(
                    "UPDATE generations SET state = 'live' WHERE generation = ?", (shadow.number,)
                )
                conn.execute(
                    "INSERT OR REPLACE INTO projections VALUES (?, ?)",
                    (shadow.name, shadow.number),
                )
            if live is not None:
                self._drop(conn, live.number)
        return True

    def discard(self, shadow: views.Generation) -> None:
        conn = self._file.conn()
        with self._file.errors_named():
            with immediate(conn):
                retired = conn.execute(
                    "UPDATE generations SET state = 'retired' "
                    "WHERE generation = ? AND state = 'building'",
                    (shadow.number,),
                ).rowcount
            if retired:
                self._drop(conn, shadow.number)

    def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        return self._file.take_lease("leases", "name", name, owner, ttl)

    def refresh_lock(self, name: str, owner: str, ttl: float) -> bool:
        with self._file.transaction() as conn:
            cursor = conn.execute(
                "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?",
                (time.time() + ttl, name, owner),
            )
        return cursor.rowcount == 1

    def unlock(self, name: str, owner: str) -> None:
        with self._file.transaction() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def close(self) -> None:
        self._file.close()

    def _live_row(self, conn: sqlite3.Connection, name: str) -> views.Generation | None:
        row = conn.execute(
            "SELECT g.generation, g.checkpoint FROM projections p "
            "JOIN generations g ON g.generation = p.generation WHERE p.name = ?",
            (name,),
        ).fetchone()
        return None if row is None else views.Generation(name, int(row[0]), int(row[1]))

    @staticmethod
    def _generation(name: str, generation: int | None) -> tuple[str, object]:
        """The SQL for "this generation" and its parameter: the live one resolved in-query."""
        if generation is None:
            return _LIVE, name
        return "?", generation

    def _drop(self, conn: sqlite3.Connection, number: int) -> None:
        """Delete a retired generation's rows in chunks, then the generation itself."""
        while True:
            with immediate(conn):
                deleted = conn.execute(
                    "DELETE FROM rows WHERE rowid IN "
                    "(SELECT rowid FROM rows WHERE generation = ? LIMIT ?)",
                    (number, _DROP_CHUNK),
                ).rowcount
            if deleted < _DROP_CHUNK:
                break
        with immediate(conn):
            conn.execute("DELETE FROM generations WHERE generation = ?", (number,))

    def _open_reader(self) -> sqlite3.Connection:
        """A connection of its own, for a listing that may outlive one call."""
        with self._file.errors_named():
            return self._file.connect()

"""What the three SQLite adapters share: one file, its connections, its transactions, its schema.

The event log (`eventstore/sqlite.py`), the views (`projections/views_sqlite.py`) and the
reminder claims (`reminders/leases/sqlite.py`) each keep a `SqliteFile`:

- one connection per thread, opened on first use and again in a forked child (a connection
  must not cross a fork), each with the file's busy timeout and `synchronous` level, all closed
  together by `close`; after it, using the file raises the adapter's own error;
- `immediate(conn)`: one write transaction, its lock taken up front (`BEGIN IMMEDIATE`), so
  two writers never deadlock upgrading a read lock, rolled back on any error;
- `open_schema`: the layout version in `PRAGMA user_version`, the schema created in a new file,
  a file written by a newer layout refused rather than guessed at, then WAL mode;
- `take_lease`: an expiring (key, owner, expires_at) row taken in one write transaction (the
  views' catch-up leases, the reminder claims);
- `errors_named`: SQLite and file-system failures raised as the adapter's error, naming the file.

Each adapter keeps its own error type and wording: `SqliteFile` is given them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteFile:
    """One SQLite file as an adapter uses it. Safe to share between threads."""

    def __init__(
        self,
        path: str | Path,
        *,
        label: str,
        unavailable: Callable[[str], Exception],
        busy_timeout: float,
        synchronous: str | None = None,
    ) -> None:
        """`label` names the file in messages ("views store" -> "views store var/x.db: ...");
        `unavailable` makes the adapter's error from such a message. `synchronous` None
        leaves SQLite's default (FULL)."""
        self.path = Path(path).expanduser()
        self._label, self._unavailable = label, unavailable
        self._busy_timeout, self._synchronous = busy_timeout, synchronous
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    def open_schema(
        self, version: int, schema: str, remedy: str = "upgrade calendar-service to open it"
    ) -> str:
        """Create the directories and the file, check its layout version (a new file gets
        `schema` and `version`; a newer one raises the adapter's error, ending in what to do:
        `remedy`) and switch it to WAL.
        Returns the journal mode the file is in ("wal" unless the file system refuses it).
        On any failure the file is closed again before the error propagates."""
        try:
            with self.errors_named():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = self.conn()
                with immediate(conn):
                    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
                    if found > version:
                        raise self._unavailable(
                            f"{self._label} {self.path} has schema version {found}, newer than "
                            f"this code's {version}: {remedy}"
                        )
                    if found == 0:
                        for statement in schema.split(";\n"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {version}")
                return enable_wal(conn, self._busy_timeout)
        except BaseException:
            self.close()
            raise

    def conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again in a forked child)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid() and not self._closed:
            return conn
        with self._lock:
            if self._closed:
                raise self._unavailable(f"{self._label} {self.path} is closed")
            conn = self.connect()
            self._connections.append(conn)
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def connect(self) -> sqlite3.Connection:
        """A new connection of the caller's own (it closes it), with the file's settings."""
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout,
            isolation_level=None,  # transactions are explicit: `immediate`, or a BEGIN
            check_same_thread=False,
        )
        if self._synchronous is not None:
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """`immediate` on this thread's connection, failures named."""
        with self.errors_named():
            conn = self.conn()
            with immediate(conn):
                yield conn

    @contextmanager
    def errors_named(self) -> Iterator[None]:
        """Turn SQLite and file-system failures into the adapter's error, naming the file."""
        try:
            yield
        except (sqlite3.Error, OSError) as error:
            raise self._unavailable(f"{self._label} {self.path}: {error}") from error

    def take_lease(self, table: str, key_column: str, key: str, owner: str, ttl: float) -> bool:
        """Hold `key` in `table` (key, owner, expires_at) for `owner` for `ttl` seconds from now
        (wall-clock time: processes share no monotonic clock), if it is free, expired or already
        `owner`'s; False, changing nothing, if another holds it. One write transaction."""
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute(
                f"SELECT owner, expires_at FROM {table} WHERE {key_column} = ?",  # noqa: S608 (fixed names)
                (key,),
            ).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            conn.execute(
                f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)",  # noqa: S608 (a fixed name)
                (key, owner, now + ttl),
            )
            return True

    def close(self) -> None:
        """Close every thread's connection; later use raises the adapter's error."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: taken up front so two writers never deadlock on an upgrade."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def enable_wal(conn: sqlite3.Connection, timeout: float) -> str:
    """Switch the file to WAL (a persistent setting), retrying for up to `timeout` seconds
    while another opener holds it; the journal mode it ends in, in lower case."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)

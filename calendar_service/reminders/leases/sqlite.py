"""Claims in a SQLite file: the embedded deployment, where every process shares one disk.

Expiry is by wall-clock time (`time.time()`), since processes share no monotonic clock; a claim
taken in one `BEGIN IMMEDIATE` transaction cannot be taken twice.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from calendar_service.reminders.leases.base import ClaimsUnavailable

BUSY_TIMEOUT_SECONDS = 10.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_marks (
    key TEXT NOT NULL, item TEXT NOT NULL, value TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (key, item)
)
"""


class SqliteClaims:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path).expanduser()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        with self._errors():
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            conn.execute("PRAGMA journal_mode = WAL")
            for statement in _SCHEMA.split(";\n"):
                conn.execute(statement)

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        now = time.time()
        with self._errors(), self._immediate() as conn:
            row = conn.execute(
                "SELECT owner, expires_at FROM claims WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            conn.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)", (key, owner, now + ttl))
            return True

    def release(self, key: str, owner: str) -> None:
        with self._errors(), self._immediate() as conn:
            conn.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, owner))

    def holder(self, key: str) -> str | None:
        with self._errors():
            row = (
                self._conn()
                .execute(
                    "SELECT owner FROM claims WHERE key = ? AND expires_at > ?", (key, time.time())
                )
                .fetchone()
            )
        return None if row is None else str(row[0])

    def mark(self, key: str, item: str, value: str, ttl: float) -> None:
        now = time.time()
        with self._errors(), self._immediate() as conn:
            conn.execute("DELETE FROM claim_marks WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT OR REPLACE INTO claim_marks VALUES (?, ?, ?, ?)",
                (key, item, value, now + ttl),
            )
            conn.execute(
                "UPDATE claim_marks SET expires_at = MAX(expires_at, ?) WHERE key = ?",
                (now + ttl, key),
            )

    def marks(self, key: str) -> dict[str, str]:
        with self._errors():
            rows = (
                self._conn()
                .execute(
                    "SELECT item, value FROM claim_marks WHERE key = ? AND expires_at > ?",
                    (key, time.time()),
                )
                .fetchall()
            )
        return {str(item): str(value) for item, value in rows}

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = sqlite3.connect(
            self._path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._connections.append(conn)
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as error:
            raise ClaimsUnavailable(f"claims store {self._path}: {error}") from error

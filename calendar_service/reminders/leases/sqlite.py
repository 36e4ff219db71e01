"""Claims in a SQLite file: the embedded deployment, where every process shares one disk.

Expiry is by wall-clock time (`time.time()`), since processes share no monotonic clock; a claim
taken in one `BEGIN IMMEDIATE` transaction cannot be taken twice. The file runs in WAL mode at
SQLite's default `synchronous` (FULL); its layout version is in `PRAGMA user_version` (files
from before it was recorded read as 0 and get the same `CREATE ... IF NOT EXISTS`).
"""

from __future__ import annotations

import time
from pathlib import Path

from calendar_service.plumbing.sqlite import SqliteFile
from calendar_service.reminders.leases.base import ClaimsUnavailable

BUSY_TIMEOUT_SECONDS = 10.0
SCHEMA_VERSION = 1
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
        self._file = SqliteFile(
            path,
            label="claims store",
            unavailable=ClaimsUnavailable,
            busy_timeout=BUSY_TIMEOUT_SECONDS,
        )
        self._file.open_schema(SCHEMA_VERSION, _SCHEMA)

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        return self._file.take_lease("claims", "key", key, owner, ttl)

    def release(self, key: str, owner: str) -> None:
        with self._file.transaction() as conn:
            conn.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, owner))

    def holder(self, key: str) -> str | None:
        with self._file.errors_named():
            row = (
                self._file.conn()
                .execute(
                    "SELECT owner FROM claims WHERE key = ? AND expires_at > ?", (key, time.time())
                )
                .fetchone()
            )
        return None if row is None else str(row[0])

    def mark(self, key: str, item: str, value: str, ttl: float) -> None:
        now = time.time()
        with self._file.transaction() as conn:
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
        with self._file.errors_named():
            rows = (
                self._file.conn()
                .execute(
                    "SELECT item, value FROM claim_marks WHERE key = ? AND expires_at > ?",
                    (key, time.time()),
                )
                .fetchall()
            )
        return {str(item): str(value) for item, value in rows}

    def close(self) -> None:
        self._file.close()

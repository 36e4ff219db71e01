"""The three SQLite files (event log, views, claims) share one plumbing
(`calendar_service.plumbing.sqlite`) and keep their own settings and errors: WAL; synchronous
FULL for the log and the claims, NORMAL for the views; their busy timeouts; a file written by a
newer layout refused naming the file; a closed store refusing further use with its own error."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calendar_service.eventstore import StoreUnavailable
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.plumbing.sqlite import SqliteFile
from calendar_service.projections import ViewsUnavailable
from calendar_service.projections.views_sqlite import SqliteViewStore
from calendar_service.reminders.leases import ClaimsUnavailable
from calendar_service.reminders.leases.sqlite import SqliteClaims


@dataclass(frozen=True)
class Kind:
    open: Callable[[Path], SqliteEventStore | SqliteViewStore | SqliteClaims]
    error: type[Exception]
    label: str
    synchronous: int
    """PRAGMA synchronous: 1 NORMAL, 2 FULL."""
    busy_ms: int
    use: Callable[[Any], object]
    """A call on the store `open` made (of that one class)."""


KINDS = {
    "event log": Kind(
        SqliteEventStore, StoreUnavailable, "SQLite event store", 2, 30_000, lambda s: s.head()
    ),
    "views": Kind(
        SqliteViewStore, ViewsUnavailable, "views store", 1, 30_000, lambda s: s.live("calendar")
    ),
    "claims": Kind(
        SqliteClaims, ClaimsUnavailable, "claims store", 2, 10_000, lambda s: s.holder("k")
    ),
}


@pytest.fixture(params=list(KINDS))
def kind(request: pytest.FixtureRequest) -> Kind:
    return KINDS[request.param]


def _file(store: object) -> SqliteFile:
    found = store._file  # type: ignore[attr-defined]
    assert isinstance(found, SqliteFile)
    return found


def test_each_file_runs_in_wal_with_its_own_durability_and_patience(
    kind: Kind, tmp_path: Path
) -> None:
    store = kind.open(tmp_path / "deep" / "x.db")
    try:
        conn = _file(store).conn()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == kind.synchronous
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == kind.busy_ms
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        store.close()


def test_a_file_from_a_newer_layout_is_refused_naming_it(kind: Kind, tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(kind.error, match=rf"^{kind.label} {path} has schema version 99, newer"):
        kind.open(path)


def test_a_closed_store_refuses_further_use_with_its_own_error(kind: Kind, tmp_path: Path) -> None:
    store = kind.open(tmp_path / "x.db")
    store.close()
    with pytest.raises(kind.error, match=rf"^{kind.label} .*x\.db is closed$"):
        kind.use(store)


def test_a_file_that_cannot_be_created_is_refused_naming_it(kind: Kind, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(kind.error, match=rf"^{kind.label} {blocker}/x\.db: "):
        kind.open(blocker / "x.db")

"""The read-model store port (`ViewStore`), its shared vocabulary, and its in-memory twin.

A projection's state is a set of **rows**: (table, key) -> a JSON document, stored as canonical
JSON text, with an optional **sort** string indexed for range queries (an instant, a due date,
a stream and version). Rows live in a **generation**: the live one that readers see, or a
shadow being rebuilt. Each generation has a **checkpoint**, the global log position it has
applied up to, and the only way to change rows is `commit`, which writes the rows and moves the
checkpoint together, atomically, and only if the checkpoint is still the one the batch started
from (compare-and-set). So an event can never be applied twice: a second writer with the same
starting checkpoint finds it moved and its batch is discarded.

`swap` makes a fully built shadow generation live in one atomic step, so readers never see a
half-built projection. A per-projection lease (`try_lock`/`refresh_lock`/`unlock`) makes
catch-up single-flight; correctness never depends on it (the compare-and-set does that), it
only saves duplicate work.

Adapters: `MemoryViewStore` (here: unit tests, as-of views, the memory event store),
`views_sqlite.SqliteViewStore` (embedded), `views_redis.RedisViewStore` (shared deployments).
All three pass `tests/contract/test_views_contract.py`. Keys, tables and sorts never contain
NUL, so every adapter orders rows the same way: by (sort, key) in code-point order.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from calendar_service.plumbing.leases import MemoryLeases

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
"""Projection and table names: lowercase identifiers."""

Doc = dict[str, Any]
Change = tuple[str | None, str] | None
"""(sort, canonical JSON document) to write the row, or None to delete it."""
Changes = Mapping[tuple[str, str], Change]
"""The rows one batch writes, by (table, key)."""
Row = tuple[str, str, str | None, str]
"""(table, key, sort, document JSON) as a dump lists them."""


class ViewStoreError(Exception):
    """Base of the views store's errors."""


class ViewsUnavailable(ViewStoreError):
    """The backend cannot be opened or refuses."""


@dataclass(frozen=True)
class Generation:
    """One generation of a projection's rows and the checkpoint they are at."""

    name: str
    number: int
    checkpoint: int


class ViewStore(Protocol):
    """Rows and checkpoints of every projection. Every method is safe from any thread.

    `generation=None` in a read means "the live generation", resolved atomically with the
    read itself, so a reader never mixes two generations.
    """

    def live(self, name: str) -> Generation:
        """The live generation of `name`, created empty (checkpoint 0) if there is none."""
        ...

    def checkpoint(self, name: str) -> int:
        """The live checkpoint of `name`; 0 if it was never projected. Creates nothing."""
        ...

    def marks(self, names: Sequence[str]) -> list[tuple[int, int]]:
        """(live generation, its checkpoint) of each of `names`, read at once; (0, 0) for one
        never projected. Creates nothing. Rows change only with a mark: a cache of rows keyed
        by it is current while the mark is."""
        ...

    def commit(self, generation: Generation, expected: int, new: int, changes: Changes) -> bool:
        """Write `changes` and set the checkpoint to `new`, atomically, if the generation is
        still live or being built and its checkpoint is still `expected`; else write nothing
        and return False (another writer won, or a swap retired the generation)."""
        ...

    def get(
        self, name: str, table: str, keys: Sequence[str], generation: int | None = None
    ) -> dict[str, str]:
        """key -> document JSON for those of `keys` that exist."""
        ...

    def range(
        self, name: str, table: str, low: str, high: str, limit: int | None = None
    ) -> list[tuple[str, str, str]]:
        """(sort, key, document JSON) of the live rows with low <= sort < high, by (sort, key)."""
        ...

    def rows(
        self, name: str, table: str | None = None, generation: int | None = None
    ) -> Iterator[Row]:
        """Every row (of `table`, or of all tables), by (table, key). A snapshot on SQLite and
        memory; on Redis, consistent only while nobody commits to that generation."""
        ...

    def begin_shadow(self, name: str) -> Generation:
        """A new, empty generation of `name` at checkpoint 0, invisible to readers."""
        ...

    def swap(self, shadow: Generation) -> bool:
        """Make `shadow` the live generation, atomically, if its checkpoint has reached the
        live one's; the old generation's rows are dropped. False (nothing changes) if not."""
        ...

    def discard(self, shadow: Generation) -> None:
        """Drop a shadow generation that will not be swapped in."""
        ...

    def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        """Take the catch-up lease of `name` for `ttl` seconds if it is free or expired."""
        ...

    def refresh_lock(self, name: str, owner: str, ttl: float) -> bool:
        """Extend the lease if `owner` still holds it; False if it was lost."""
        ...

    def unlock(self, name: str, owner: str) -> None:
        """Release the lease if `owner` holds it."""
        ...

    def close(self) -> None: ...


def canonical(doc: Mapping[str, Any]) -> str:
    """The one JSON text of a document: sorted keys, no spaces, UTF-8 kept as is."""
    return _CANONICAL(doc)


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
"""One encoder for every row: json.dumps with options builds a new encoder per call."""


def check_name(kind: str, value: str) -> str:
    if NAME_PATTERN.fullmatch(value) is None:
        raise ValueError(f"{kind} name {value!r} is not valid: use a lowercase identifier")
    return value


def check_text(kind: str, value: str) -> str:
    if "\0" in value:
        raise ValueError(f"{kind} {value!r} contains NUL, which no views store can order")
    return value


def dump(views: ViewStore, name: str, generation: int | None = None) -> Iterator[str]:
    """The canonical text of a projection: its checkpoint, then every row by (table, key).

    Two stores holding the same projection give the same text, whatever the backend.
    """
    checkpoint = views.checkpoint(name) if generation is None else None
    for row in views.rows(name, None, generation):
        if checkpoint is not None:
            yield f"checkpoint {checkpoint}\n"
            checkpoint = None
        table, key, sort, doc = row
        yield json.dumps([table, key, sort], ensure_ascii=False) + " " + doc + "\n"
    if checkpoint is not None:
        yield f"checkpoint {checkpoint}\n"


def digest(views: ViewStore, name: str, generation: int | None = None) -> str:
    """SHA-256 of `dump`: equal digests mean byte-for-byte equal projections."""
    hasher = hashlib.sha256()
    for line in dump(views, name, generation):
        hasher.update(line.encode("utf-8"))
    return hasher.hexdigest()


class _Rows:
    """One generation's rows in memory."""

    def __init__(self, name: str, number: int, state: str) -> None:
        self.name, self.number, self.state = name, number, state
        self.checkpoint = 0
        self.tables: dict[str, dict[str, tuple[str | None, str]]] = {}


class MemoryViewStore:
    """A `ViewStore` in this process's memory: unit tests, as-of views, `memory://` logs."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._live: dict[str, int] = {}
        self._generations: dict[int, _Rows] = {}
        self._next = 0
        self._leases = MemoryLeases()

    def live(self, name: str) -> Generation:
        check_name("projection", name)
        with self._lock:
            number = self._live.get(name)
            if number is None:
                number = self._new(name, "live").number
                self._live[name] = number
            rows = self._generations[number]
            return Generation(name, number, rows.checkpoint)

    def checkpoint(self, name: str) -> int:
        with self._lock:
            number = self._live.get(name)
            return 0 if number is None else self._generations[number].checkpoint

    def marks(self, names: Sequence[str]) -> list[tuple[int, int]]:
        with self._lock:
            found = [self._live.get(name) for name in names]
            return [
                (0, 0) if number is None else (number, self._generations[number].checkpoint)
                for number in found
            ]

    def commit(self, generation: Generation, expected: int, new: int, changes: Changes) -> bool:
        with self._lock:
            rows = self._generations.get(generation.number)
            if rows is None or rows.state not in ("live", "building"):
                return False
            if rows.checkpoint != expected:
                return False
            for (table, key), change in changes.items():
                check_text("key", key)
                if change is None:
                    rows.tables.get(table, {}).pop(key, None)
                else:
                    rows.tables.setdefault(check_name("table", table), {})[key] = change
            rows.checkpoint = new
            return True

    def get(
        self, name: str, table: str, keys: Sequence[str], generation: int | None = None
    ) -> dict[str, str]:
        with self._lock:
            found = self._table(name, table, generation)
            return {key: found[key][1] for key in keys if key in found}

    def range(
        self, name: str, table: str, low: str, high: str, limit: int | None = None
    ) -> list[tuple[str, str, str]]:
        with self._lock:
            found = self._table(name, table, None)
            hits = sorted(
                (sort, key, doc)
                for key, (sort, doc) in found.items()
                if sort is not None and low <= sort < high
            )
        return hits if limit is None else hits[:limit]

    def rows(
        self, name: str, table: str | None = None, generation: int | None = None
    ) -> Iterator[Row]:
        with self._lock:
            rows = self._resolve(name, generation)
            tables = {} if rows is None else rows.tables
            names = sorted(tables) if table is None else [table]
            snapshot = [
                (t, key, sort, doc)
                for t in names
                for key, (sort, doc) in sorted(tables.get(t, {}).items())
            ]
        return iter(snapshot)

    def begin_shadow(self, name: str) -> Generation:
        check_name("projection", name)
        with self._lock:
            rows = self._new(name, "building")
            return Generation(name, rows.number, 0)

    def swap(self, shadow: Generation) -> bool:
        with self._lock:
            rows = self._generations.get(shadow.number)
            if rows is None or rows.state != "building":
                return False
            if rows.checkpoint < self.checkpoint(shadow.name):
                return False
            old = self._live.get(shadow.name)
            if old is not None:
                del self._generations[old]
            rows.state = "live"
            self._live[shadow.name] = shadow.number
            return True

    def discard(self, shadow: Generation) -> None:
        with self._lock:
            rows = self._generations.get(shadow.number)
            if rows is not None and rows.state == "building":
                del self._generations[shadow.number]

    def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        return self._leases.take(name, owner, ttl)

    def refresh_lock(self, name: str, owner: str, ttl: float) -> bool:
        return self._leases.refresh(name, owner, ttl)

    def unlock(self, name: str, owner: str) -> None:
        self._leases.release(name, owner)

    def close(self) -> None:
        pass

    def _new(self, name: str, state: str) -> _Rows:
        self._next += 1
        rows = _Rows(name, self._next, state)
        self._generations[self._next] = rows
        return rows

    def _resolve(self, name: str, generation: int | None) -> _Rows | None:
        number = self._live.get(name) if generation is None else generation
        return None if number is None else self._generations.get(number)

    def _table(
        self, name: str, table: str, generation: int | None
    ) -> dict[str, tuple[str | None, str]]:
        rows = self._resolve(name, generation)
        return {} if rows is None else rows.tables.get(table, {})

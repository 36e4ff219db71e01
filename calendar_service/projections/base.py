"""Projections and how they follow the log: `Projection`, `Batch`, `catch_up` and `rebuild`.

A projection folds events into rows. `catch_up` reads the log from the projection's checkpoint
in pages, applies a page into a `Batch` (an in-memory buffer of the rows it touched), then
commits the rows and the new checkpoint together with a compare-and-set (see `views.py`), once
per page. Applying is deterministic (it reads the event's own `recorded_at` and `known_at`,
never a clock), and the outcome of a page never depends on where the page boundaries fall, so
catching up in any batch sizes gives exactly the rows a rebuild from zero gives; the property
tests hold every projection to that.

Single flight: `catch_up` takes the projection's lease first and returns at once when someone
else holds it. After releasing the lease it looks at the log head once more and goes round again
if events arrived meanwhile: a nudge that found the lease taken is thereby never lost.

To add a projection: write a class with `name`, `prepare`, `apply` and `flush` (see
`Projection`) beside `engagements.py`, and list it in `projector.default_projections`.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol
from uuid import uuid4

from calendar_service.eventstore import EventStore, StoredEvent, iter_all
from calendar_service.projections.views import Change, Doc, Generation, ViewStore, canonical

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 1000
BULK_PAGE_SIZE = 10_000
"""Events per page of a catch-up that starts with a large backlog (and of a rebuild): fewer,
larger pages write each engagement's rows fewer times."""
BULK_BACKLOG = 10_000
"""A catch-up that starts this far behind the head runs as a rebuild does: pages of
`bulk_page_size` and the garbage collector tuned for a bulk fold (`batch_collector`)."""
DEFAULT_LOCK_TTL = 15.0
"""Seconds a catch-up lease lasts without a heartbeat; it is refreshed after every page."""

MAX_CONFLICTS = 3
"""Refused commits in a row after which one `catch_up` call gives up (others are at work)."""
PREPARE_CHUNK = 250
"""Events decoded, prefetched for and applied at a time within a page."""

Progress = Callable[[int, int], None]
"""Called after each committed page with (checkpoint, head)."""


class ProjectionError(Exception):
    """Base of the projections' errors."""


class UnknownProjection(ProjectionError, KeyError):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        super().__init__(f"no projection {name!r}: the projections are {', '.join(known)}")

    def __str__(self) -> str:
        return str(self.args[0])


class ViewsAhead(ProjectionError):
    """The views are past the end of the log: they belong to another (or a reset) log."""

    def __init__(self, name: str, checkpoint: int, head: int) -> None:
        super().__init__(
            f"projection {name!r} is at position {checkpoint} but the event log ends at {head}: "
            "the views belong to another log; rebuild it (calendar-service projections rebuild)"
        )


class Batch:
    """The rows one page of events touches, buffered until the page commits.

    `get` sees the batch's own writes first, then the generation's stored rows. `touched`
    lives for this page only. `cache` holds the projection's decoded objects across pages of
    one run, keyed like `touched`: the runner keeps the entries of the last two pages'
    `touched` keys (events of one engagement tend to come close together; a small heap also
    keeps the garbage collector cheap) and drops everything if a commit is refused.
    """

    def __init__(self, views: ViewStore, generation: Generation, cache: dict[Any, Any]) -> None:
        self.views = views
        self.generation = generation
        self.cache = cache
        self.touched: dict[Any, Any] = {}
        self._written: dict[tuple[str, str], Change] = {}
        self._read: dict[tuple[str, str], Doc | None] = {}

    def get(self, table: str, key: str) -> Doc | None:
        """The row's document: a fresh object, which the caller may keep or change."""
        where = (table, key)
        if where in self._written:
            written = self._written[where]
            return None if written is None else dict(json.loads(written[1]))
        if where not in self._read:
            self.load(table, [key])
        doc = self._read[where]
        return None if doc is None else dict(doc)

    def load(self, table: str, keys: list[str]) -> None:
        """Fetch the stored rows of `keys` in one round trip (a prefetch for `get`)."""
        wanted = [k for k in keys if (table, k) not in self._read]
        if not wanted:
            return
        found = self.views.get(self.generation.name, table, wanted, self.generation.number)
        for key in wanted:
            text = found.get(key)
            self._read[(table, key)] = None if text is None else json.loads(text)

    def put(self, table: str, key: str, doc: Doc, sort: str | None = None) -> None:
        """Write the row (encoded now: text costs the garbage collector nothing to hold)."""
        self._written[(table, key)] = (sort, canonical(doc))

    def delete(self, table: str, key: str) -> None:
        self._written[(table, key)] = None

    def changes(self) -> dict[tuple[str, str], Change]:
        """The buffered writes, documents as canonical JSON."""
        return self._written


class Projection(Protocol):
    """A read model folded from the log.

    `prepare` runs first on each page, to load in one round trip the rows `apply` will read
    (`batch.load`). `apply` must be deterministic: a function of the event (including its
    `recorded_at` and `known_at`) and the rows it reads, never of a clock or of the batch
    boundaries. `flush` runs once per page, before the commit, to write what `apply`
    buffered in `batch.touched`.
    """

    name: str

    def prepare(self, events: list[StoredEvent], batch: Batch) -> None: ...

    def apply(self, event: StoredEvent, batch: Batch) -> None: ...

    def flush(self, batch: Batch) -> None: ...


@dataclass(frozen=True)
class CatchUpResult:
    """What one `catch_up` call did. `state` is 'caught_up', 'busy' (another run holds the
    lease) or 'conflict' (a commit was refused: someone else moved the checkpoint)."""

    name: str
    state: str
    applied: int
    checkpoint: int


@dataclass
class _Run:
    """One pass over the log into one generation."""

    projection: Projection
    store: EventStore
    views: ViewStore
    generation: Generation
    checkpoint: int
    page_size: int
    cache: dict[Any, Any] = field(default_factory=dict)
    applied: int = 0
    _recent: set[Any] = field(default_factory=set)

    def page(self) -> tuple[str, int]:
        """Apply and commit the next page: ('done' | 'more' | 'conflict', events read).

        Events are decoded as they are applied, `PREPARE_CHUNK` at a time, instead of a whole
        page being held decoded: a page of dict trees that survives many allocations is what
        makes the garbage collector's full passes expensive.
        """
        batch = Batch(self.views, self.generation, self.cache)
        stream = islice(iter_all(self.store, self.checkpoint, self.page_size), self.page_size)
        prepare, apply = self.projection.prepare, self.projection.apply
        read, last = 0, self.checkpoint
        while chunk := list(islice(stream, PREPARE_CHUNK)):
            prepare(chunk, batch)
            for event in chunk:
                apply(event, batch)
            read += len(chunk)
            last = chunk[-1].position
        if not read:
            return "done", 0
        self.projection.flush(batch)
        if not self.views.commit(self.generation, self.checkpoint, last, batch.changes()):
            self.cache.clear()
            return "conflict", read
        touched = set(batch.touched)
        keep = touched | self._recent
        self.cache = {k: v for k, v in self.cache.items() if k in keep}
        self._recent = touched
        self.checkpoint = last
        self.applied += read
        return ("more" if read == self.page_size else "done"), read


def catch_up(
    projection: Projection,
    store: EventStore,
    views: ViewStore,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    lock_ttl: float = DEFAULT_LOCK_TTL,
    on_progress: Progress | None = None,
    bulk_page_size: int = BULK_PAGE_SIZE,
    bulk_backlog: int = BULK_BACKLOG,
) -> CatchUpResult:
    """Bring `projection` up to the head of the log; safe to call any number of times, from
    any number of threads and processes at once.

    A run that starts `bulk_backlog` or more events behind the head (a new deployment, a
    projection added, a worker back after an outage) reads pages of `bulk_page_size` with the
    garbage collector tuned as a rebuild's (`batch_collector`); small backlogs, the usual
    nudge after a command, keep pages of `page_size`. The rows are the same either way."""
    name, owner, applied, conflicts = projection.name, uuid4().hex, 0, 0
    while True:
        if not views.try_lock(name, owner, lock_ttl):
            return CatchUpResult(name, "busy", applied, views.checkpoint(name))
        try:
            run, head = _start(projection, store, views, page_size)
            bulk = head - run.checkpoint >= bulk_backlog and bulk_page_size > page_size
            if bulk:
                run.page_size = bulk_page_size
            with batch_collector() if bulk else nullcontext():
                state = "more"
                while state == "more":
                    state, _ = run.page()
                    if on_progress is not None:
                        on_progress(run.checkpoint, max(store.head(), run.checkpoint))
                    if state == "more" and not views.refresh_lock(name, owner, lock_ttl):
                        logger.warning("lost the catch-up lease of %s; stopping this run", name)
                        state = "conflict"
            applied += run.applied
        finally:
            views.unlock(name, owner)
        checkpoint = views.checkpoint(name)
        if state == "conflict":
            # Someone else moved the checkpoint (a run whose lease we took over, a swap): go
            # round again from where they left it, unless that keeps happening.
            conflicts += 1
            if conflicts >= MAX_CONFLICTS:
                return CatchUpResult(name, "conflict", applied, checkpoint)
            continue
        # A nudge that found the lease taken relied on us: look at the head once more.
        if store.head() <= checkpoint:
            return CatchUpResult(name, "caught_up", applied, checkpoint)


def _start(
    projection: Projection, store: EventStore, views: ViewStore, page_size: int
) -> tuple[_Run, int]:
    """A run from the live generation's checkpoint, and the head of the log it starts at."""
    generation = views.live(projection.name)
    head = store.head()
    if generation.checkpoint > head:
        raise ViewsAhead(projection.name, generation.checkpoint, head)
    return _Run(projection, store, views, generation, generation.checkpoint, page_size), head


@dataclass(frozen=True)
class RebuildResult:
    name: str
    applied: int
    checkpoint: int
    generation: int


def rebuild(
    projection: Projection,
    store: EventStore,
    views: ViewStore,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_progress: Progress | None = None,
) -> RebuildResult:
    """Build `projection` from zero into a shadow generation, then swap it in atomically.

    Live catch-up goes on meanwhile; the swap happens only once the shadow has reached the live
    checkpoint, so readers never see the projection go back in time, nor a half-built one.
    """
    shadow = views.begin_shadow(projection.name)
    run = _Run(projection, store, views, shadow, 0, page_size)
    try:
        with batch_collector():
            while True:
                _fill(run, on_progress)
                if views.swap(Generation(shadow.name, shadow.number, run.checkpoint)):
                    return RebuildResult(
                        projection.name, run.applied, run.checkpoint, shadow.number
                    )
    except BaseException:
        views.discard(shadow)
        raise


def _fill(run: _Run, on_progress: Progress | None) -> None:
    """Apply pages into the run's (shadow) generation up to the head of the log."""
    state = "more"
    while state == "more":
        state, _ = run.page()
        if state == "conflict":
            raise ProjectionError(
                f"the rebuild of {run.projection.name!r} lost its shadow generation "
                f"{run.generation.number} to another writer"
            )
        if on_progress is not None:
            on_progress(run.checkpoint, max(run.store.head(), run.checkpoint))


BATCH_GC_THRESHOLD = 50_000


class _BulkFolds:
    """How many bulk folds (`batch_collector`) are running in this process, and the threshold
    the first of them found: catch-ups of several projections run at once in a worker's
    threads, and the last one out must put back what the first one found."""

    lock = threading.Lock()
    running = 0
    before: tuple[int, int, int] = (0, 0, 0)


@contextmanager
def batch_collector() -> Iterator[None]:
    """Run the cyclic garbage collector less often for the duration of a bulk fold.

    A rebuild allocates millions of short-lived, acyclic objects (decoded events, states,
    documents); with the default young-generation threshold of 700 the collector keeps
    promoting a page in flight and then scanning it in full passes, about a tenth of a
    rebuild's time. Reference counting frees those objects anyway. The threshold is the
    process's, restored once the last bulk fold running in it (in any thread) ends.
    """
    with _BulkFolds.lock:
        if _BulkFolds.running == 0:
            before = _BulkFolds.before = gc.get_threshold()
            gc.set_threshold(max(before[0], BATCH_GC_THRESHOLD), *before[1:])
        _BulkFolds.running += 1
    try:
        yield
    finally:
        with _BulkFolds.lock:
            _BulkFolds.running -= 1
            if _BulkFolds.running == 0:
                gc.set_threshold(*_BulkFolds.before)


def replay_into(
    projection: Projection,
    store: EventStore,
    views: ViewStore,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> int:
    """Fold the whole of `store` into the live generation of `views`, with no lease: for
    private views nobody else writes (as-of views, tests). Returns the checkpoint reached."""
    run = _Run(projection, store, views, views.live(projection.name), 0, page_size)
    run.checkpoint = run.generation.checkpoint
    state = "more"
    while state == "more":
        state, _ = run.page()
    if state == "conflict":
        raise ProjectionError(f"private views of {projection.name!r} were written by another")
    return run.checkpoint

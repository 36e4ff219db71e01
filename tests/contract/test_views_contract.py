"""The one views-store contract: memory, SQLite and Redis must all pass all of it.

Rows and checkpoint commit together, with a compare-and-set on the checkpoint; shadows stay
invisible until swapped in whole; the lease is exclusive; and every backend orders and dumps
rows identically, so a canonical hash means the same thing everywhere. The race tests run
catch-ups at once in threads and in processes, with and without the lease, and count how many
times each event was applied (must show 5).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calendar_service.domain import EngagementId
from calendar_service.eventstore import EventStore, NewEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.redis import RedisEventStore
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.projections import (
    CalendarProjection,
    Generation,
    MemoryViewStore,
    ViewStore,
    catch_up,
    default_projections,
    digest,
    dump,
    rebuild,
)
from calendar_service.projections.views_redis import RedisViewStore
from calendar_service.projections.views_sqlite import SqliteViewStore
from tests.unit.domain.builders import invitation, scheduled
from tests.unit.projections.counting import NAME, CountingProjection
from tests.unit.projections.helpers import Log

KINDS = ["memory", "sqlite", "redis"]


@dataclass
class Deployment:
    """A log and its views on one backend; `reopen` gives new handles on the same storage."""

    kind: str
    spec: dict[str, str]
    store: EventStore
    views: ViewStore

    def reopen(self) -> tuple[EventStore, ViewStore]:
        if self.kind == "memory":
            return self.store, self.views
        return open_store(self.spec), open_views(self.spec)


def open_store(spec: dict[str, str]) -> EventStore:
    if spec["kind"] == "sqlite":
        return SqliteEventStore(spec["path"])
    return RedisEventStore(spec["url"], prefix=spec["prefix"], allow_ephemeral=True)


def open_views(spec: dict[str, str]) -> ViewStore:
    if spec["kind"] == "sqlite":
        return SqliteViewStore(spec["views"])
    return RedisViewStore(spec["url"], prefix=spec["prefix"])


@pytest.fixture(params=KINDS)
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    kind = request.param
    if kind == "memory":
        yield Deployment(kind, {"kind": kind}, MemoryEventStore(), MemoryViewStore())
        return
    if kind == "sqlite":
        spec = {"kind": kind, "path": str(tmp_path / "e.db"), "views": str(tmp_path / "v.db")}
    else:
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        spec = {"kind": kind, "url": url, "prefix": prefix}
    found = Deployment(kind, spec, open_store(spec), open_views(spec))
    yield found
    found.views.close()
    found.store.close()


@pytest.fixture
def views(deployment: Deployment) -> ViewStore:
    return deployment.views


def _doc(n: int) -> str:
    return json.dumps({"n": n, "text": "경기도 — 遼寧"}, ensure_ascii=False)


def _all(views: ViewStore, name: str = "p", generation: int | None = None) -> list[Any]:
    return list(views.rows(name, None, generation))


# --- commit and read ----------------------------------------------------------------------------


def test_a_commit_writes_its_rows_and_moves_the_checkpoint_together(views: ViewStore) -> None:
    live = views.live("p")
    assert (live.checkpoint, views.checkpoint("p")) == (0, 0)
    changes = {("t", "a"): ("2024-06-25", _doc(1)), ("t", "b"): (None, _doc(2))}

    assert views.commit(live, 0, 7, changes)
    assert views.checkpoint("p") == 7
    assert views.get("p", "t", ["a", "b", "missing"]) == {"a": _doc(1), "b": _doc(2)}


def test_a_commit_from_a_stale_checkpoint_writes_nothing(views: ViewStore) -> None:
    live = views.live("p")
    assert views.commit(live, 0, 5, {("t", "a"): (None, _doc(1))})

    assert not views.commit(live, 0, 9, {("t", "a"): (None, _doc(2)), ("t", "z"): (None, "{}")})
    assert not views.commit(live, 6, 9, {("t", "a"): (None, _doc(2))})
    assert views.checkpoint("p") == 5
    assert views.get("p", "t", ["a", "z"]) == {"a": _doc(1)}


def test_deleting_and_rewriting_rows_keeps_the_sort_index_true(views: ViewStore) -> None:
    live = views.live("p")
    views.commit(
        live,
        0,
        1,
        {
            ("t", k): (s, _doc(i))
            for i, (k, s) in enumerate(
                [("a", "2024-03"), ("b", "2024-01"), ("c", "2024-02"), ("d", None)]
            )
        },
    )
    views.commit(live, 1, 2, {("t", "a"): ("2023-12", _doc(9)), ("t", "c"): None})

    assert views.range("p", "t", "", "~") == [
        ("2023-12", "a", _doc(9)),
        ("2024-01", "b", _doc(1)),
    ]
    assert views.get("p", "t", ["c"]) == {}


def test_range_is_half_open_ordered_by_sort_then_key_and_limited(views: ViewStore) -> None:
    live = views.live("p")
    rows = {
        ("t", k): (s, _doc(n))
        for n, (k, s) in enumerate(
            [
                ("k2", "2024-06-25"),
                ("k1", "2024-06-25"),
                ("k3", "2024-06-26"),
                ("k4", "2024-06-27"),
                ("k5", "2024-06"),
                ("k6", "2024-06-27T09:00"),
            ]
        )
    }
    views.commit(live, 0, 1, rows)

    found = views.range("p", "t", "2024-06-25", "2024-06-27")
    assert [(s, k) for s, k, _ in found] == [
        ("2024-06-25", "k1"),
        ("2024-06-25", "k2"),
        ("2024-06-26", "k3"),
    ]
    assert [k for _, k, _ in views.range("p", "t", "2024-06-25", "2024-06-27", limit=2)] == [
        "k1",
        "k2",
    ]
    assert [k for _, k, _ in views.range("p", "t", "2024-06-27", "2024-06-28")] == ["k4", "k6"]


def test_range_over_a_projection_never_built_is_empty_not_an_error(views: ViewStore) -> None:
    # a fresh deployment: the agenda and the page are read before the first catch-up
    assert views.range("never_projected", "t", "0", "9") == []


def test_rows_list_every_table_by_table_then_key(views: ViewStore) -> None:
    live = views.live("p")
    views.commit(
        live, 0, 1, {("zz", "b"): (None, "{}"), ("aa", "y"): ("s", "{}"), ("aa", "x"): (None, "[]")}
    )

    assert _all(views) == [("aa", "x", None, "[]"), ("aa", "y", "s", "{}"), ("zz", "b", None, "{}")]
    assert list(views.rows("p", "zz")) == [("zz", "b", None, "{}")]
    assert list(views.rows("never_projected")) == []


def test_asking_for_a_checkpoint_creates_nothing(views: ViewStore) -> None:
    assert views.checkpoint("nothing_here") == 0
    assert views.live("nothing_here").number == views.live("nothing_here").number


# --- shadows ------------------------------------------------------------------------------------


def test_a_shadow_is_invisible_until_swapped_in_whole(views: ViewStore) -> None:
    live = views.live("p")
    views.commit(live, 0, 3, {("t", "old"): (None, _doc(0))})
    shadow = views.begin_shadow("p")
    assert views.commit(shadow, 0, 2, {("t", "new"): (None, _doc(1))})

    assert _all(views) == [("t", "old", None, _doc(0))]
    assert views.get("p", "t", ["new"], shadow.number) == {"new": _doc(1)}
    assert not views.swap(Generation("p", shadow.number, 2)), "behind the live checkpoint"

    assert views.commit(shadow, 2, 3, {("t", "new2"): (None, _doc(2))})
    assert views.swap(Generation("p", shadow.number, 3))
    assert [key for _, key, _, _ in _all(views)] == ["new", "new2"]
    assert views.live("p").number == shadow.number
    assert _all(views, generation=live.number) == [], "the old generation's rows are gone"
    assert not views.commit(live, 3, 4, {("t", "late"): (None, "{}")}), "retired: refused"


def test_marks_move_with_every_commit_and_swap_and_create_nothing(views: ViewStore) -> None:
    assert views.marks(["p", "q"]) == [(0, 0), (0, 0)]
    live = views.live("p")
    assert views.marks(["p", "q"]) == [(live.number, 0), (0, 0)]
    assert views.commit(live, 0, 3, {("t", "old"): (None, _doc(0))})
    assert views.marks(["q", "p"]) == [(0, 0), (live.number, 3)]

    shadow = views.begin_shadow("p")
    assert views.commit(shadow, 0, 3, {("t", "new"): (None, _doc(1))})
    assert views.marks(["p"]) == [(live.number, 3)], "a shadow is not live"
    assert views.swap(Generation("p", shadow.number, 3))
    assert views.marks(["p"]) == [(shadow.number, 3)], "same checkpoint, other rows: other mark"
    assert views.checkpoint("q") == 0


def test_a_discarded_shadow_leaves_nothing_and_cannot_be_swapped_in(views: ViewStore) -> None:
    shadow = views.begin_shadow("p")
    views.commit(shadow, 0, 1, {("t", "x"): (None, "{}")})
    views.discard(shadow)

    assert _all(views, generation=shadow.number) == []
    assert not views.swap(Generation("p", shadow.number, 1))
    assert not views.commit(shadow, 1, 2, {("t", "y"): (None, "{}")})


# --- the lease ----------------------------------------------------------------------------------


def test_the_lease_is_exclusive_refreshable_and_released_only_by_its_owner(
    views: ViewStore,
) -> None:
    assert views.try_lock("p", "w1", ttl=30)
    assert views.try_lock("p", "w1", ttl=30), "its owner may take it again"
    assert not views.try_lock("p", "w2", ttl=30)
    assert views.refresh_lock("p", "w1", ttl=30)
    assert not views.refresh_lock("p", "w2", ttl=30)
    views.unlock("p", "w2")
    assert not views.try_lock("p", "w2", ttl=30)
    views.unlock("p", "w1")
    assert views.try_lock("p", "w2", ttl=30)


def test_an_expired_lease_can_be_taken_by_another(views: ViewStore) -> None:
    assert views.try_lock("p", "crashed", ttl=0.05)
    time.sleep(0.15)
    assert views.try_lock("p", "w2", ttl=30)
    assert not views.refresh_lock("p", "crashed", ttl=30)


# --- the same bytes everywhere ------------------------------------------------------------------


def test_every_backend_dumps_the_same_projection_to_the_same_bytes(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    store = MemoryEventStore()
    store.append("engagement:x", [NewEvent("NoteAdded", {"text": "사람"})], 0)
    backends: list[ViewStore] = [
        MemoryViewStore(),
        SqliteViewStore(tmp_path / "v.db"),
        RedisViewStore(redis_url, prefix=redis_prefix),
    ]
    try:
        texts = set()
        for views in backends:
            live = views.live("p")
            views.commit(
                live, 0, 4, {("b", "k\u00e9"): ("2024", '{"a":1}'), ("a", "z"): (None, "{}")}
            )
            views.commit(live, 4, 6, {("b", "k2"): ("2023", '{"가":"나"}'), ("a", "z"): None})
            texts.add("".join(dump(views, "p")))
        assert len(texts) == 1
        assert texts.pop().startswith("checkpoint 6\n")
    finally:
        for views in backends:
            views.close()


# --- races (must show 5) ------------------------------------------------------------------------


class NoLease:
    """The same views with the lease switched off: only the compare-and-set protects them."""

    def __init__(self, views: ViewStore) -> None:
        self._views = views

    def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        return True

    def refresh_lock(self, name: str, owner: str, ttl: float) -> bool:
        return True

    def unlock(self, name: str, owner: str) -> None:
        pass

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._views, attribute)


def _fill(store: EventStore, events: int) -> None:
    for start in range(0, events, 50):
        batch = [NewEvent("NoteAdded", {"n": n}) for n in range(start, min(start + 50, events))]
        store.append(f"feed:race-{start // 50}", batch, 0)


def _applied(views: ViewStore) -> tuple[list[int], int]:
    times = [json.loads(doc)["times"] for *_, doc in views.rows(NAME, "applied")]
    total = json.loads(views.get(NAME, "total", ["all"])["all"])["events"]
    return times, total


@pytest.mark.parametrize("lease", [True, False], ids=["with-lease", "compare-and-set-only"])
def test_catch_ups_racing_in_threads_never_apply_an_event_twice(
    deployment: Deployment, lease: bool
) -> None:
    _fill(deployment.store, 600)
    go = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        store, views = deployment.reopen()
        target = views if lease else NoLease(views)
        try:
            go.wait()
            while views.checkpoint(NAME) < 600:
                catch_up(CountingProjection(), store, target, page_size=7)
        except BaseException as error:
            errors.append(error)
        finally:
            if deployment.kind != "memory":
                views.close()
                store.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    times, total = _applied(deployment.views)
    assert times == [1] * 600
    assert total == 600


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_catch_ups_racing_in_two_processes_never_apply_an_event_twice(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if kind == "sqlite":
        spec = {"kind": kind, "path": str(tmp_path / "e.db"), "views": str(tmp_path / "v.db")}
    else:
        spec = {
            "kind": kind,
            "url": request.getfixturevalue("redis_url"),
            "prefix": request.getfixturevalue("redis_prefix"),
        }
    store = open_store(spec)
    _fill(store, 1500)
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.contract.test_views_contract", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        for child in children:  # both start at once
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        reports = [json.loads(child.communicate(timeout=120)[0]) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.communicate()  # closes the pipes even when the race went wrong
    views = open_views(spec)
    try:
        times, total = _applied(views)
    finally:
        views.close()
        store.close()
    assert times == [1] * 1500
    assert total == 1500
    assert sum(r["applied"] for r in reports) == 1500, reports
    raced = sum(r["refused"] for r in reports) > 0 or all(r["applied"] for r in reports)
    assert raced, f"the two processes did not overlap: {reports}"


def test_rebuild_gives_catch_up_bytes_on_every_backend(deployment: Deployment) -> None:
    log = Log()
    log.run(scheduled(), invitation(engagement_id=EngagementId("liaoning-expo-2024")))
    for event in log.store.read_all(0, 100):
        deployment.store.append(
            event.stream,
            [NewEvent(event.type, event.data, event.schema_version, event.event_id)],
            None,
        )
    before: dict[str, str] = {}
    for projection in default_projections():
        catch_up(projection, deployment.store, deployment.views, page_size=1)
        before[projection.name] = digest(deployment.views, projection.name)
        rebuild(projection, deployment.store, deployment.views)
        assert digest(deployment.views, projection.name) == before[projection.name]
    assert before["calendar"] != digest(MemoryViewStore(), CalendarProjection.name)


def _race_child(spec: dict[str, str]) -> None:
    """Child process of the two-process race: catch up without a lease until the head."""
    store, views = open_store(spec), open_views(spec)
    refused = 0

    class Counted(NoLease):
        def commit(self, *args: Any) -> bool:
            nonlocal refused
            done = bool(self._views.commit(*args))
            refused += not done
            return done

    print("ready", flush=True)
    sys.stdin.readline()
    applied = 0
    head = store.head()
    while views.checkpoint(NAME) < head:
        result = catch_up(CountingProjection(), store, Counted(views), page_size=5)
        applied += result.applied
    print(json.dumps({"applied": applied, "refused": refused}), flush=True)


if __name__ == "__main__":
    _race_child(json.loads(sys.argv[1]))

"""Catch-up mechanics: rows and checkpoint commit together, single flight, compare-and-set,
rebuild beside the live projection, and a log the views do not belong to."""

from __future__ import annotations

import gc
import json
import time

import pytest

from calendar_service.domain import AddNote
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import (
    CalendarProjection,
    Generation,
    MemoryViewStore,
    ViewsAhead,
    catch_up,
    digest,
    rebuild,
)
from calendar_service.projections.base import BATCH_GC_THRESHOLD, batch_collector
from calendar_service.projections.views import Changes
from tests.unit.domain.builders import DAVOS, scheduled
from tests.unit.projections.counting import NAME, CountingProjection
from tests.unit.projections.helpers import Log, project


def _log(notes: int) -> Log:
    log = Log()
    log.run(scheduled(), *(AddNote(engagement_id=DAVOS, text=f"note {n}") for n in range(notes)))
    return log


def _times(views: MemoryViewStore) -> list[int]:
    return [json.loads(doc)["times"] for _, _, _, doc in views.rows(NAME, "applied")]


def test_catch_up_applies_every_event_once_in_pages_and_stops_at_the_head() -> None:
    log, views = _log(24), MemoryViewStore()
    result = catch_up(CountingProjection(), log.store, views, page_size=7)

    assert (result.state, result.applied, result.checkpoint) == ("caught_up", 25, 25)
    assert _times(views) == [1] * 25
    again = catch_up(CountingProjection(), log.store, views, page_size=7)
    assert (again.state, again.applied) == ("caught_up", 0)
    assert _times(views) == [1] * 25


class _Recording(MemoryViewStore):
    def __init__(self) -> None:
        super().__init__()
        self.commits: list[tuple[int, int]] = []

    def commit(self, generation: Generation, expected: int, new: int, changes: Changes) -> bool:
        self.commits.append((expected, new))
        return super().commit(generation, expected, new, changes)


def test_each_page_commits_its_rows_with_the_checkpoint_it_reached() -> None:
    log, views = _log(9), _Recording()
    catch_up(CountingProjection(), log.store, views, page_size=4)

    assert views.commits == [(0, 4), (4, 8), (8, 10)]


def test_a_large_backlog_is_caught_up_in_bulk_pages_with_the_same_rows() -> None:
    log, small, bulk = _log(24), _Recording(), _Recording()
    catch_up(CalendarProjection(), log.store, small, page_size=4)
    catch_up(CalendarProjection(), log.store, bulk, page_size=4, bulk_page_size=10, bulk_backlog=20)

    assert bulk.commits == [(0, 10), (10, 20), (20, 25)]
    assert digest(bulk, "calendar") == digest(small, "calendar")
    log.run(*(AddNote(engagement_id=DAVOS, text=f"later {n}") for n in range(5)))
    catch_up(CalendarProjection(), log.store, bulk, page_size=4, bulk_page_size=10, bulk_backlog=20)
    assert bulk.commits[3:] == [(25, 29), (29, 30)]  # a small backlog keeps small pages


class _Racing(MemoryViewStore):
    """No lease (every catch-up may run), and a rival catch-up lands just before our commit."""

    def __init__(self, store: MemoryEventStore) -> None:
        super().__init__()
        self.store, self.raced = store, False

    def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        return True

    def commit(self, generation: Generation, expected: int, new: int, changes: Changes) -> bool:
        if not self.raced:
            self.raced = True
            catch_up(CountingProjection(), self.store, self, page_size=3)
        return super().commit(generation, expected, new, changes)


def test_a_batch_whose_checkpoint_moved_meanwhile_is_discarded_not_applied_twice() -> None:
    log = _log(9)
    views = _Racing(log.store)
    result = catch_up(CountingProjection(), log.store, views, page_size=5)

    assert views.raced
    assert result.checkpoint == 10
    assert _times(views) == [1] * 10, "the stale batch was refused, nothing applied twice"
    assert json.loads(next(views.rows(NAME, "total"))[3])["events"] == 10


def test_a_second_catch_up_returns_at_once_while_the_lease_is_held() -> None:
    log, views = _log(3), MemoryViewStore()
    assert views.try_lock(NAME, "someone-else", ttl=60)

    busy = catch_up(CountingProjection(), log.store, views)
    assert (busy.state, busy.applied, busy.checkpoint) == ("busy", 0, 0)

    views.unlock(NAME, "someone-else")
    assert catch_up(CountingProjection(), log.store, views).checkpoint == 4


def test_an_expired_lease_is_taken_over() -> None:
    log, views = _log(3), MemoryViewStore()
    assert views.try_lock(NAME, "crashed-worker", ttl=0.001)
    time.sleep(0.01)
    assert catch_up(CountingProjection(), log.store, views).state == "caught_up"


def test_events_appended_while_the_lease_was_held_are_picked_up_before_returning() -> None:
    log, views = _log(0), MemoryViewStore()

    class LateWriter(CountingProjection):
        appended = False

        def flush(self, batch: object) -> None:
            if not self.appended:  # another request appends and its nudge finds us busy
                self.appended = True
                log.run(AddNote(engagement_id=DAVOS, text="late"))
                assert catch_up(CountingProjection(), log.store, views).state == "busy"

    result = catch_up(LateWriter(), log.store, views, page_size=1000)
    assert result.checkpoint == log.store.head() == 2


def test_views_ahead_of_their_log_are_refused_with_the_fix() -> None:
    views = project(_log(5), [CountingProjection()])
    with pytest.raises(ViewsAhead, match="rebuild"):
        catch_up(CountingProjection(), _log(1).store, views)


def test_rebuild_swaps_in_a_complete_projection_and_readers_never_see_it_half_built() -> None:
    log = _log(30)
    views = project(log, [CalendarProjection()])
    before = digest(views, "calendar")
    seen_during: list[str] = []

    result = rebuild(
        CalendarProjection(),
        log.store,
        views,
        page_size=4,
        on_progress=lambda checkpoint, head: seen_during.append(digest(views, "calendar")),
    )

    assert len(seen_during) > 3
    assert set(seen_during) == {before}, "the live projection did not change while rebuilding"
    assert result.checkpoint == 31
    assert digest(views, "calendar") == before, "a rebuild gives what catch-up gave"
    assert views.live("calendar").number == result.generation


def test_a_failed_rebuild_leaves_the_live_projection_alone() -> None:
    log = _log(5)
    views = project(log, [CalendarProjection()])
    before = digest(views, "calendar")

    class Broken(CalendarProjection):
        def flush(self, batch: object) -> None:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        rebuild(Broken(), log.store, views)
    assert digest(views, "calendar") == before
    assert views.live("calendar").checkpoint == 6
    assert len(views._generations) == 1, "the shadow generation was dropped"


def test_overlapping_bulk_folds_leave_the_collector_as_they_found_it() -> None:
    before = gc.get_threshold()
    first, second = batch_collector(), batch_collector()
    first.__enter__()
    second.__enter__()  # another thread's catch-up starts while the first runs
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] >= BATCH_GC_THRESHOLD  # the second one is still folding
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before

"""An event applied twice would show in the calendar's rows: what the e2e worker tests rely on
to prove that racing workers apply each event once (`assert_each_event_applied_once`)."""

from __future__ import annotations

import json
from typing import Any

from calendar_service.domain import AddNote, Engagement
from calendar_service.eventstore import StoredEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import CalendarProjection, MemoryViewStore, replay_into
from tests.unit.domain.builders import DAVOS, scheduled
from tests.unit.projections.helpers import Log


class _Stuttering:
    """A log that hands every event over twice, as a broken checkpoint would."""

    def __init__(self, store: MemoryEventStore) -> None:
        self._store = store

    def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        return [twice for event in self._store.read_all(after, limit) for twice in (event, event)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _calendar(store: Any) -> MemoryViewStore:
    views = MemoryViewStore()
    replay_into(CalendarProjection(), store, views)
    return views


def test_a_creating_event_applied_twice_leaves_a_problem_row() -> None:
    log = Log()
    log.run(scheduled())

    assert list(_calendar(log.store).rows("calendar", "problems")) == []
    assert list(_calendar(_Stuttering(log.store)).rows("calendar", "problems")) != []


def test_a_note_applied_twice_is_a_second_note() -> None:
    log = Log()
    log.run(scheduled(), AddNote(engagement_id=DAVOS, text="interpreter booked"))

    def notes(views: MemoryViewStore) -> tuple[str, ...]:
        [(_, _, _, doc)] = views.rows("calendar", "engagements")
        return Engagement.from_json(json.loads(doc)["engagement"]).notes

    assert notes(_calendar(log.store)) == ("interpreter booked",)
    assert len(notes(_calendar(_Stuttering(log.store)))) == 2

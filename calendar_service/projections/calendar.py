"""The calendar projection: the current state of every engagement and its derived deadlines, and
the agenda queries the API, the feed and the CLI read.

Tables (projection name `calendar`)::

    engagements   key engagement id    sort: start instant (UTC)   the state, its when in UTC,
                                                                   log coordinates, deadline ids
    deadlines     key deadline id      sort: due date              one calendar item per deadline
    observances   key engagement id    (no sort)                   recurring engagements, expanded
                                                                   into yearly items by `agenda`
    problems      key position                                     events that could not apply

Deadlines are derived by `derive_deadlines` with the rule set and working-day calendar given
to the projection, and rewritten only when something they depend on changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    Audience,
    Deadline,
    Engagement,
    EventStatus,
    LocalizedText,
)
from calendar_service.domain.engagement.when import MAX_SPAN_DAYS, MAX_YEAR, MIN_YEAR, When
from calendar_service.eventstore import StoredEvent
from calendar_service.projections._folding import (
    EngagementProjection,
    Entry,
    entry_from_doc,
    fold_engagement,
    instant_key,
)
from calendar_service.projections.base import Batch
from calendar_service.projections.views import Doc, ViewStore

NAME = "calendar"
ENGAGEMENTS, DEADLINES, OBSERVANCES = "engagements", "deadlines", "observances"
_LOOKBACK = timedelta(days=MAX_SPAN_DAYS + 1)
"""No when is longer, so an engagement overlapping a window starts at most this long before it."""


@dataclass
class _Derived:
    """What the calendar last derived from an engagement: the inputs of its deadline items,
    their ids, and (when known in this run) their documents, and the sort keys of its when."""

    basis: tuple[object, ...]
    ids: list[str]
    docs: dict[str, Doc] | None = None
    timed: tuple[When, str, str, str] | None = None

    def when_keys(self, when: When) -> tuple[str, str, str]:
        """The row's start and end (instant keys) and precision for `when`: computed again
        only when the when is not the one of the last write."""
        if self.timed is None or self.timed[0] is not when:
            start, end = when.bounds()
            precision = when.precision.name.lower()
            self.timed = (when, instant_key(start), instant_key(end), precision)
        return self.timed[1], self.timed[2], self.timed[3]


class CalendarProjection(EngagementProjection):
    """Engagements and their deadlines, as of the last applied event."""

    name = NAME
    table = ENGAGEMENTS

    def apply(self, event: StoredEvent, batch: Batch) -> None:
        fold_engagement(event, batch, self._load)

    def write(self, batch: Batch, entry: Entry, state: Engagement) -> None:
        derived: _Derived | None = entry.extra
        basis = self._basis(state)
        if derived is None or derived.basis != basis:
            entry.extra = derived = self._write_deadlines(batch, entry, state, basis, derived)
        start, end, precision = derived.when_keys(state.when)
        doc = {
            "id": entry.id,
            "engagement": entry.state_json(state),
            **entry.coordinates(),
            "cancelled_at": None if entry.cancelled_at is None else instant_key(entry.cancelled_at),
            "start": start,
            "end": end,
            "precision": precision,
            "deadline_ids": derived.ids,
        }
        batch.put(ENGAGEMENTS, entry.id, doc, doc["start"])
        if state.recurrence is not None:  # no event takes a recurrence away
            batch.put(OBSERVANCES, entry.id, {"id": entry.id})

    def _basis(self, state: Engagement) -> tuple[object, ...]:
        """Everything the deadline items are computed from: equal bases give equal items."""
        applicable = tuple(rule.name for rule in self._rules.rules if rule.applies_to(state))
        cancelled = state.status is EventStatus.CANCELLED  # drops hand-set deadlines too
        return (applicable, cancelled, state.when, state.title, state.deadlines, state.audience)

    def _write_deadlines(
        self,
        batch: Batch,
        entry: Entry,
        state: Engagement,
        basis: tuple[object, ...],
        before: _Derived | None,
    ) -> _Derived:
        deadlines = self.deadlines(entry, state)
        docs = {deadline.id: deadline_doc(deadline, state) for deadline in deadlines}
        old_ids = [] if before is None else before.ids
        old_docs = None if before is None else before.docs
        for stale in set(old_ids) - set(docs):
            batch.delete(DEADLINES, stale)
        for deadline_id, doc in docs.items():
            if old_docs is None or old_docs.get(deadline_id) != doc:
                batch.put(DEADLINES, deadline_id, doc, doc["due"])
        derived = _Derived(basis, list(docs), docs)
        if before is not None:  # what was written stays as it was
            derived.timed = before.timed
        return derived

    def _load(self, batch: Batch, engagement_id: str) -> Entry:
        doc = batch.get(ENGAGEMENTS, engagement_id)
        entry = entry_from_doc(engagement_id, doc)
        if doc is not None and entry.state is not None:
            entry.extra = _Derived(self._basis(entry.state), list(doc["deadline_ids"]))
        return entry


def deadline_doc(deadline: Deadline, state: Engagement) -> Doc:
    return {
        "id": deadline.id,
        "engagement_id": str(deadline.engagement_id),
        "rule": deadline.rule,
        "title": deadline.title.to_json(),
        "due": deadline.due.isoformat(),
        "tz": deadline.tz,
        "derived": deadline.derived,
        "rule_text": deadline.rule_text,
        "unadjusted": deadline.unadjusted.isoformat(),
        "tentative": deadline.tentative,
        "audience": state.audience.value,
    }


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaItem:
    """One line of an agenda: an engagement, one year's observance, or a deadline."""

    kind: str
    """'engagement', 'observance' or 'deadline'."""
    id: str
    engagement_id: str
    title: LocalizedText
    start: datetime
    end: datetime
    audience: Audience
    status: str
    """The engagement's status; for a deadline, 'tentative' (counted from an imprecise when)
    or 'due'."""
    doc: Doc


def engagement(views: ViewStore, engagement_id: str) -> Engagement | None:
    """The engagement's current state, or None if the calendar has no such engagement."""
    doc = engagement_doc(views, engagement_id)
    return None if doc is None else Engagement.from_json(doc["engagement"])


def engagement_doc(views: ViewStore, engagement_id: str) -> Doc | None:
    """The engagement's calendar row: state, UTC start/end, log coordinates, deadline ids."""
    found = views.get(NAME, ENGAGEMENTS, [engagement_id]).get(engagement_id)
    return None if found is None else dict(json.loads(found))


def deadlines_of(views: ViewStore, engagement_id: str) -> list[Doc]:
    """The engagement's deadline items, by due date."""
    doc = engagement_doc(views, engagement_id)
    if doc is None:
        return []
    found = views.get(NAME, DEADLINES, doc["deadline_ids"])
    items = [json.loads(found[key]) for key in doc["deadline_ids"] if key in found]
    return sorted(items, key=lambda item: (item["due"], item["id"]))


def agenda(
    views: ViewStore,
    start: datetime,
    end: datetime,
    *,
    audience: Audience = Audience.RESTRICTED,
    include_cancelled: bool = True,
    include_deadlines: bool = True,
) -> list[AgendaItem]:
    """What overlaps [start, end): engagements, yearly observances and deadlines that
    `audience` may see, by start then id."""
    items = _engagements(views, start, end) + _observances(views, start, end)
    if include_deadlines:
        items += _deadlines(views, start, end)
    return sorted(
        (
            item
            for item in items
            if audience.admits(item.audience)
            and (include_cancelled or item.status != EventStatus.CANCELLED.value)
        ),
        key=lambda item: (item.start, item.id),
    )


def _engagements(views: ViewStore, start: datetime, end: datetime) -> list[AgendaItem]:
    found = views.range(NAME, ENGAGEMENTS, instant_key(start - _LOOKBACK), instant_key(end))
    items = []
    for _, _, text in found:
        doc = json.loads(text)
        state = Engagement.from_json(doc["engagement"])
        if state.recurrence is not None:
            continue
        item = _item("engagement", doc["id"], state, state.when, doc)
        if item.end > start:
            items.append(item)
    return items


def _observances(views: ViewStore, start: datetime, end: datetime) -> list[AgendaItem]:
    ids = [key for _, key, _, _ in views.rows(NAME, OBSERVANCES)]
    found = views.get(NAME, ENGAGEMENTS, ids)
    items = []
    for engagement_id in ids:
        doc = json.loads(found[engagement_id]) if engagement_id in found else None
        if doc is None:
            continue
        state = Engagement.from_json(doc["engagement"])
        recurrence = state.recurrence
        if recurrence is None:
            continue
        first = max(recurrence.since_year, start.year - 1, MIN_YEAR)
        for year in range(first, min(end.year + 1, MAX_YEAR) + 1):
            when = recurrence.occurrence(year)
            item = _item("observance", f"{engagement_id}@{year}", state, when, doc)
            if item.start < end and item.end > start:
                items.append(item)
    return items


def _deadlines(views: ViewStore, start: datetime, end: datetime) -> list[AgendaItem]:
    low = (start.date() - timedelta(days=2)).isoformat()
    high = (end.date() + timedelta(days=2)).isoformat()
    items = []
    for _, key, text in views.range(NAME, DEADLINES, low, high):
        doc = json.loads(text)
        day_start, day_end = _day(date.fromisoformat(doc["due"]), doc["tz"])
        if day_start < end and day_end > start:
            items.append(
                AgendaItem(
                    kind="deadline",
                    id=key,
                    engagement_id=doc["engagement_id"],
                    title=LocalizedText.from_json(doc["title"], "title"),
                    start=day_start,
                    end=day_end,
                    audience=Audience(doc["audience"]),
                    status="tentative" if doc["tentative"] else "due",
                    doc=doc,
                )
            )
    return items


def _item(kind: str, item_id: str, state: Engagement, when: When, doc: Doc) -> AgendaItem:
    start, end = when.bounds()
    return AgendaItem(
        kind=kind,
        id=item_id,
        engagement_id=str(state.id),
        title=state.title,
        start=start,
        end=end,
        audience=state.audience,
        status=state.status.value,
        doc=doc,
    )


def _day(day: date, tz: str) -> tuple[datetime, datetime]:
    midnight = datetime.combine(day, time(), ZoneInfo(tz))
    following = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(tz))
    return midnight, following

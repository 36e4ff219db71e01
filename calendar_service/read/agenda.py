"""The agenda: what is on in a window, for an audience, in a viewer's zone and language.

The one agenda of the service: `calendar-service agenda`, `GET /api/agenda` and the feed's page
(`/c/{token}`) all list `agenda_view`'s items, in its order (start instant, then id), so they
agree item for item. It reads the calendar projection (`projections.calendar.agenda`): its live
views, or private views of the calendar as of a past moment on either time axis
(`calendar_at`). Each item is worded here once (`wording`): its when in its own zone, its
instants in the viewer's zone, and a second clock when a timed item is in another zone
("09:00 Dalian, 10:00 Seoul"). The edges only lay the items out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_service.domain import (
    AllDayWhen,
    Audience,
    Engagement,
    InvalidValue,
    LocalizedText,
    Participation,
    Precision,
    When,
)
from calendar_service.domain.engagement.when import MAX_YEAR, MIN_YEAR
from calendar_service.eventstore import EventStore
from calendar_service.projections import Axis, ViewStore, agenda, calendar_as_of
from calendar_service.projections.calendar import engagement as engagement_of
from calendar_service.read.wording import (
    anniversary,
    deadline_explanation,
    deadline_titles,
    describe_participation,
    describe_place,
    describe_when,
    viewer_clock,
)

MAX_WINDOW_DAYS = 3 * 3660
"""The widest agenda window a request may ask for (about thirty years)."""
YEARS_BACK, YEARS_AHEAD = 3, 2
"""The page's window around today, which the decisions waiting share: as far back as a feed
reaches by default (three years), and two years ahead."""


@dataclass(frozen=True)
class ItemView:
    """One agenda line, ready to show. `engagement` is None for a deadline item."""

    kind: str
    id: str
    engagement_id: str
    title: str
    titles: LocalizedText
    start: datetime
    end: datetime
    own_tz: str
    when: When
    when_text: str
    viewer_time: str | None
    tentative: bool
    status: str
    participation: Participation | None
    participation_text: str
    place_text: str
    """Where, in the viewer's language; '' for a deadline or an unknown place."""
    audience: Audience
    engagement_kind: str
    engagement: Engagement | None
    deadline: dict[str, Any] | None
    """The deadline's calendar row (rule, derived, due, tentative, ...) for a deadline item."""
    explanation: str = ""
    """For a deadline item, why it falls when it does, in the viewer's language."""


def viewer_zone(name: str, field: str = "tz") -> ZoneInfo:
    """The viewer's IANA zone; InvalidValue naming `field` if it is not one."""
    try:
        if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValue(field, name, "give an IANA time zone such as Asia/Seoul") from None


def window(
    first: date | None, last: date | None, reference: date, before: int = 30, after: int = 180
) -> tuple[date, date]:
    """[first, last] days, defaulting around `reference`; InvalidValue for a bad window."""
    for name, day in (("from", first), ("to", last)):
        if day is not None and not MIN_YEAR + 1 <= day.year <= MAX_YEAR - 1:
            raise InvalidValue(
                name, day.isoformat(), f"give a year from {MIN_YEAR + 1} to {MAX_YEAR - 1}"
            )
    start = first or ((last or reference) - timedelta(days=before + (after if last else 0)))
    end = last or (start + timedelta(days=before + after))
    if end < start:
        raise InvalidValue(
            "to", end.isoformat(), f"it is before from {start.isoformat()}; swap them"
        )
    if (end - start).days > MAX_WINDOW_DAYS:
        raise InvalidValue(
            "to", end.isoformat(), f"the window is over {MAX_WINDOW_DAYS} days; ask for less"
        )
    return start, end


def years_around(today: date) -> tuple[date, date]:
    """From the first of this month YEARS_BACK years ago to the last day of the year
    YEARS_AHEAD years on."""
    first = today.replace(year=today.year - YEARS_BACK, day=1)  # the 1st: no 29 February
    return first, date(today.year + YEARS_AHEAD, 12, 31)


def calendar_at(
    live: ViewStore, store: EventStore, moment: datetime | None, axis: Axis = Axis.KNOWN
) -> ViewStore:
    """The calendar to read: `live`, the projection's own views (the caller keeps them caught
    up), when `moment` is None; else private views of it as of `moment` on `axis`."""
    return live if moment is None else calendar_as_of(store, moment, axis)


def agenda_view(
    views: ViewStore,
    first: date,
    last: date,
    *,
    audience: Audience,
    viewer: ZoneInfo,
    lang: str,
    include_deadlines: bool = True,
) -> list[ItemView]:
    """The items `audience` may see that overlap days `first`..`last` in the viewer's zone,
    by start instant then id: engagements, yearly observances and (unless left out)
    deadlines, each worded in `lang`."""
    start = datetime.combine(first, time(), viewer)
    end = datetime.combine(last + timedelta(days=1), time(), viewer)
    items = agenda(views, start, end, audience=audience, include_deadlines=include_deadlines)
    states: dict[str, Engagement] = {}
    shown = []
    for item in items:
        if item.kind == "deadline":
            if item.engagement_id not in states:
                found = engagement_of(views, item.engagement_id)
                if found is not None:
                    states[item.engagement_id] = found
            state = states.get(item.engagement_id)
            titles = item.title if state is None else deadline_titles(item.doc, state.title)
            shown.append(_deadline(item.id, item.doc, titles, viewer, lang, item.audience))
            continue
        state = states.get(item.engagement_id)
        if state is None:
            stored = Engagement.from_json(item.doc["engagement"])
            state = states[item.engagement_id] = stored.seen_by(audience)
        shown.append(_engagement(item.kind, item.id, state, viewer, lang))
    return shown


def _engagement(
    kind: str, item_id: str, state: Engagement, viewer: ZoneInfo, lang: str
) -> ItemView:
    when, title = state.when, state.title.best(lang)
    observance = kind == "observance" and state.recurrence is not None
    if observance:
        assert state.recurrence is not None
        year = int(item_id.rsplit("@", 1)[1])
        when = state.recurrence.occurrence(year)
        title = f"{title} ({anniversary(state.recurrence.ordinal(year), lang)})"
    start, end = when.bounds()
    day_unknown = observance and when.precision is Precision.MONTH
    return ItemView(
        kind=kind,
        id=item_id,
        engagement_id=str(state.id),
        title=title,
        titles=state.title,
        start=start.astimezone(viewer),
        end=end.astimezone(viewer),
        own_tz=when.tz,
        when=when,
        when_text=describe_when(when, lang, day_unknown=day_unknown),
        viewer_time=viewer_clock(when, viewer.key, lang),
        tentative=kind == "engagement" and when.precision <= Precision.RANGE_TBC,
        status=state.status.value,
        participation=state.participation,
        participation_text=describe_participation(state, lang),
        place_text=describe_place(state.place, lang),
        audience=state.audience,
        engagement_kind=state.kind.value,
        engagement=state,
        deadline=None,
    )


def _deadline(
    item_id: str,
    doc: dict[str, Any],
    titles: LocalizedText,
    viewer: ZoneInfo,
    lang: str,
    audience: Audience,
) -> ItemView:
    when = AllDayWhen.on(date.fromisoformat(doc["due"]), doc["tz"])
    start, end = when.bounds()
    return ItemView(
        kind="deadline",
        id=item_id,
        engagement_id=doc["engagement_id"],
        title=titles.best(lang),
        titles=titles,
        start=start.astimezone(viewer),
        end=end.astimezone(viewer),
        own_tz=when.tz,
        when=when,
        when_text=describe_when(when, lang),
        viewer_time=None,
        tentative=bool(doc["tentative"]),
        status="tentative" if doc["tentative"] else "due",
        participation=None,
        participation_text="",
        place_text="",
        audience=audience,
        engagement_kind="deadline",
        engagement=None,
        deadline=doc,
        explanation=deadline_explanation(doc, lang),
    )

"""What the JSON queries and the page show: agenda items seen from a viewer's zone and language.

`agenda_view` turns the calendar projection's agenda (`projections.engagements.agenda`) into
`ItemView`s: the item in its own zone and words (`wording`), its instants in the viewer's zone,
and a second clock when a timed item is in another zone ("09:00 Dalian, 10:00 Seoul"). Both
`api/queries.py` (JSON) and `api/page.py` (HTML) read these, so they say the same things.
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
from calendar_service.projections import ViewStore, agenda
from calendar_service.read.wording import (
    describe_participation,
    describe_when,
    ordinal,
    viewer_clock,
)

MAX_WINDOW_DAYS = 3 * 3660
"""The widest agenda window a request may ask for (about thirty years)."""


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
    audience: Audience
    engagement_kind: str
    engagement: Engagement | None
    deadline: dict[str, Any] | None

    @property
    def undecided(self) -> bool:
        """An open invitation the province has not answered, to an engagement still on."""
        return (
            self.kind == "engagement"
            and self.engagement is not None
            and self.engagement.has_open_invitation
            and self.engagement.is_active
        )


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
    """The items that overlap days `first`..`last` (in the viewer's zone), by start."""
    start = datetime.combine(first, time(), viewer)
    end = datetime.combine(last + timedelta(days=1), time(), viewer)
    items = agenda(views, start, end, audience=audience, include_deadlines=include_deadlines)
    states: dict[str, Engagement] = {}
    shown = []
    for item in items:
        if item.kind == "deadline":
            shown.append(_deadline(item.id, item.doc, item.title, viewer, lang, item.audience))
            continue
        state = states.get(item.engagement_id)
        if state is None:
            state = states[item.engagement_id] = Engagement.from_json(item.doc["engagement"])
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
        audience=audience,
        engagement_kind="deadline",
        engagement=None,
        deadline=doc,
    )


def anniversary(number: int, lang: str) -> str:
    """'31st anniversary', '31주년', '31周年'."""
    if lang == "ko":
        return f"{number}주년"
    if lang == "zh":
        return f"{number}周年"
    return f"{ordinal(number)} anniversary"

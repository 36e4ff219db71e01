"""Which items a feed shows: engagements and their deadlines, picked for an audience and a window.

Pure: no clock, no IO. `feed_items` turns an engagement into its items (the engagement and its
derived deadlines); `select_for_feed(items, window, audience)` keeps those a feed shows: never
one above the audience, within a rolling window around the as-of moment (`WindowSettings.at`),
a cancelled engagement for a while so that clients remove it, a past deadline for a while, and
no engagement known only by year (a year-long bar in every calendar is noise, and any single
day would be made up), and a declined engagement (with its deadlines) only if the feed's
settings mark it rather than leave it out (`WindowSettings.declined`). How the chosen items
are rendered is `feed.ical`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    Audience,
    Deadline,
    DeadlineRules,
    Engagement,
    EventStatus,
    Participation,
    Precision,
    WorkingDayPredicate,
    derive_deadlines,
)

_ONE_DAY = timedelta(days=1)
DECISION_RULE = "decision"
"""The deadline rule whose due day is an invitation's decide-by (as `read.decisions` reads it
from the calendar projection, which derives the same deadlines)."""
DeclinedShown = Literal["mark", "omit"]


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} {value.isoformat()}: give an aware time (with a UTC offset)")


@dataclass(frozen=True, kw_only=True)
class _Item:
    """What every item has: its engagement, and `last_modified`, the engagement's last change
    of any kind (the store's recorded_at): it becomes DTSTAMP and LAST-MODIFIED."""

    engagement: Engagement
    last_modified: datetime

    def __post_init__(self) -> None:
        _aware("last_modified", self.last_modified)


@dataclass(frozen=True, kw_only=True)
class EngagementItem(_Item):
    """An engagement as the feed shows it. `cancelled_at` is when it was cancelled (defaults to
    `last_modified`); `decide_by`, the due day of its decision deadline, if it has one."""

    created: datetime | None = None
    cancelled_at: datetime | None = None
    decide_by: date | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _aware("created", self.created)
        _aware("cancelled_at", self.cancelled_at)


@dataclass(frozen=True, kw_only=True)
class DeadlineItem(_Item):
    """A deadline of `engagement`. `sequence` defaults to the engagement's: a due date set by
    hand does not bump the engagement's sequence, so a projection that counts those passes it."""

    deadline: Deadline
    sequence: int | None = None


FeedItem = EngagementItem | DeadlineItem


def feed_items(
    engagement: Engagement,
    last_modified: datetime,
    rules: DeadlineRules,
    is_working_day: WorkingDayPredicate,
    *,
    created: datetime | None = None,
    cancelled_at: datetime | None = None,
) -> list[FeedItem]:
    """The engagement's item followed by its derived deadlines (none once cancelled); the
    engagement's item knows the due day of its decision deadline (its decide-by)."""
    deadlines = derive_deadlines(engagement, rules, is_working_day)
    decide_by = next((d.due for d in deadlines if d.rule == DECISION_RULE), None)
    items: list[FeedItem] = [
        EngagementItem(
            engagement=engagement,
            last_modified=last_modified,
            created=created,
            cancelled_at=cancelled_at,
            decide_by=decide_by,
        )
    ]
    for deadline in deadlines:
        items.append(
            DeadlineItem(deadline=deadline, engagement=engagement, last_modified=last_modified)
        )
    return items


@dataclass(frozen=True, kw_only=True)
class WindowSettings:
    """How far a feed reaches around its as-of moment; how long a cancelled engagement stays
    (as CANCELLED) after its cancellation; how long a deadline stays after its day (None: as
    long as the window). Deadlines are to-dos: past ones fill a feed (several per engagement,
    against Google's 1 MB) and help no one; the engagement itself stays. `declined`: "mark"
    shows a declined engagement with a marked title, "omit" leaves it and its deadlines out
    (CALENDAR_FEED_DECLINED)."""

    years_back: int = 3
    years_ahead: int = 2
    keep_cancelled: timedelta = timedelta(days=30)
    keep_past_deadlines: timedelta | None = timedelta(days=30)
    declined: DeclinedShown = "mark"

    def __post_init__(self) -> None:
        if self.years_back < 0 or self.years_ahead < 0:
            raise ValueError("feed window: give years_back and years_ahead of 0 or more")
        if self.declined not in ("mark", "omit"):
            raise ValueError(f"feed declined {self.declined!r}: use mark or omit")

    def at(self, moment: datetime) -> FeedWindow:
        """The window these settings give around `moment`."""
        return FeedWindow(as_of=moment, reach=self)


@dataclass(frozen=True)
class FeedWindow:
    """The span a feed shows: `reach` around its as-of moment (`start` to `end`)."""

    as_of: datetime
    reach: WindowSettings = field(default_factory=WindowSettings)

    def __post_init__(self) -> None:
        _aware("as_of", self.as_of)

    @property
    def start(self) -> datetime:
        return _years_later(self.as_of, -self.reach.years_back)

    @property
    def end(self) -> datetime:
        return _years_later(self.as_of, self.reach.years_ahead)


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def select_for_feed(
    items: Iterable[FeedItem], window: FeedWindow, audience: Audience
) -> list[FeedItem]:
    """The items a feed for `audience` shows as of `window.as_of`, in the order given.

    Never an engagement (or its deadline) above the audience. An engagement known only by
    year is left out (its deadlines, counted from the year's bounds and marked to be
    confirmed, stay); a cancelled one stays for `keep_cancelled` after its cancellation; a
    recurring observance stays once its first year has begun.
    """
    return [item for item in items if _shown(item, window, audience)]


def _shown(item: FeedItem, window: FeedWindow, audience: Audience) -> bool:
    engagement = item.engagement
    if not audience.admits(engagement.audience):
        return False
    if window.reach.declined == "omit" and engagement.participation is Participation.DECLINED:
        return False
    if isinstance(item, DeadlineItem):
        start = datetime.combine(item.deadline.due, datetime.min.time(), ZoneInfo(item.deadline.tz))
        end = start + _ONE_DAY
        kept = window.reach.keep_past_deadlines
        if kept is not None and window.as_of - end > kept:
            return False
        return window.start < end and start < window.end
    if engagement.when.precision is Precision.YEAR:
        return False
    if engagement.status is EventStatus.CANCELLED:
        cancelled = item.cancelled_at or item.last_modified
        if window.as_of - cancelled > window.reach.keep_cancelled:
            return False
    start, end = engagement.when.bounds()
    if engagement.recurrence is not None:
        return start < window.end
    return window.start < end and start < window.end


__all__ = [
    "DECISION_RULE",
    "DeadlineItem",
    "DeclinedShown",
    "EngagementItem",
    "FeedItem",
    "FeedWindow",
    "WindowSettings",
    "feed_items",
    "select_for_feed",
]

"""The decisions waiting: invitations the province has not answered, each with its decide-by.

An invitation waits while it is open (invited, or a decision pending) and its engagement is
still on (neither held nor cancelled). Its decide-by is the due day of the engagement's
`decision` deadline: the inviter's date when one was set by hand, else the rule's in
`domain/engagement/rules.py`; None when it has neither. The decisions are picked out of an
agenda (`agenda_view`), so they keep its order and its audience.

`decision_board` is the one decisions model of the service: the invitations still to decide
(`pending`, soonest decide-by first, each with its days left, negative once overdue) and
those that lapsed (`lapsed`: the engagement ended with no decision recorded), kept apart. The
page's first section, `calendar-service decisions`, `GET /api/decisions` and the daily reminder
text all show it; `decisions_now` builds it over the page's window (three years back, two
ahead).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from calendar_service.domain import Audience, EventStatus
from calendar_service.projections import ViewStore
from calendar_service.projections.calendar import deadlines_of
from calendar_service.read.agenda import ItemView, agenda_view, years_around
from calendar_service.read.wording import format_day
from calendar_service.words import format_relative_days, words_for

DECISION_RULE = "decision"
"""The deadline rule whose due day is an invitation's decide-by."""


@dataclass(frozen=True)
class Decision:
    """An invitation waiting for the province's answer: the engagement's agenda item, and the
    day the answer is due (None if no decision deadline applies)."""

    item: ItemView
    decide_by: date | None

    def overdue(self, today: date) -> bool:
        """The decide-by has passed (`today` in the office's zone, where deadlines fall)."""
        return self.decide_by is not None and self.decide_by < today

    def lapsed(self, now: datetime) -> bool:
        """The engagement is over and the invitation was never answered."""
        return self.item.end <= now

    def days_left(self, today: date) -> int | None:
        """Days from `today` to the decide-by: 0 on the day, negative once overdue; None
        without a decide-by."""
        return None if self.decide_by is None else (self.decide_by - today).days

    def decide_by_text(self, lang: str, today: date) -> str:
        """'Decide by May 10, 2024 (in 3 days)', '… (overdue, 2 days ago)', 'No decide-by date',
        in `lang`."""
        return decide_by_text(self.decide_by, today, lang)


def decide_by_text(decide_by: date | None, today: date, lang: str) -> str:
    """'Decide by May 10, 2024 (in 3 days)', '… (today)', '… (overdue, 2 days ago)', 'No
    decide-by date', in `lang`, counted from `today` (in the office's zone)."""
    t = words_for(lang)
    if decide_by is None:
        return t.gettext("No decide-by date")
    days = (decide_by - today).days
    day = format_day(decide_by, lang)
    if days < 0:
        return t.gettext(
            "Decide by %(day)s (overdue, %(relative)s)",
            day=day,
            relative=format_relative_days(days, lang),
        )
    if days == 0:
        return t.gettext("Decide by %(day)s (today)", day=day)
    return t.gettext(
        "Decide by %(day)s (%(relative)s)", day=day, relative=format_relative_days(days, lang)
    )


@dataclass(frozen=True)
class DecisionBoard:
    """The decisions model: invitations still to decide and those that lapsed, as of `now`
    (`today` is its day in the viewer's zone)."""

    pending: list[Decision]
    """Open invitations to engagements not yet over, soonest decide-by first (none last)."""
    lapsed: list[Decision]
    """Open invitations whose engagement ended with no decision recorded, latest first."""
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def overdue(self) -> list[Decision]:
        """The pending ones whose decide-by has passed."""
        return [decision for decision in self.pending if decision.overdue(self.today)]


def decision_board(views: ViewStore, items: Iterable[ItemView], now: datetime) -> DecisionBoard:
    """Every open invitation among `items` (an agenda from `views`), pending or lapsed at
    `now` (aware; its date in its zone is `today`)."""
    pending, lapsed = [], []
    for item in items:
        if not _open(item):
            continue
        decision = Decision(item, decide_by(views, item.engagement_id))
        if decision.lapsed(now):
            lapsed.append(decision)
        elif waiting(item):
            pending.append(decision)
    pending.sort(key=lambda d: (d.decide_by is None, d.decide_by or date.max, d.item.start))
    lapsed.sort(key=lambda d: d.item.end, reverse=True)
    return DecisionBoard(pending, lapsed, now)


def decisions_now(
    views: ViewStore, *, audience: Audience, viewer: ZoneInfo, lang: str, now: datetime
) -> DecisionBoard:
    """The decision board over the page's window around `now` (three years back, two ahead),
    for `audience`, worded in `lang`, on the viewer's clock."""
    local = now.astimezone(viewer)
    first, last = years_around(local.date())
    items = agenda_view(
        views, first, last, audience=audience, viewer=viewer, lang=lang, include_deadlines=False
    )
    return decision_board(views, items, local)


def _open(item: ItemView) -> bool:
    state = item.engagement
    return (
        item.kind == "engagement"
        and state is not None
        and state.has_open_invitation
        and state.status is not EventStatus.CANCELLED
    )


def waiting(item: ItemView) -> bool:
    """An open invitation the province has not answered, to an engagement still on."""
    state = item.engagement
    return (
        item.kind == "engagement"
        and state is not None
        and state.has_open_invitation
        and state.is_active
    )


def decisions(views: ViewStore, items: Iterable[ItemView]) -> list[Decision]:
    """The invitations waiting among `items`, in their order, each with its decide-by read
    from the same calendar `views` the items came from."""
    return [Decision(item, decide_by(views, item.engagement_id)) for item in items if waiting(item)]


def decide_by(views: ViewStore, engagement_id: str) -> date | None:
    """The due day of the engagement's decision deadline, or None if it has none."""
    for doc in deadlines_of(views, engagement_id):
        if doc["rule"] == DECISION_RULE:
            return date.fromisoformat(doc["due"])
    return None


def decision_json(decision: Decision, board: DecisionBoard, lang: str) -> dict[str, Any]:
    """One decision as JSON (the API's and `decisions --json`'s), worded in `lang`."""
    item = decision.item
    lapsed = decision.lapsed(board.now)
    return {
        "engagement_id": item.engagement_id,
        "title": item.title,
        "when_text": item.when_text,
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
        "tz": item.own_tz,
        "place_text": item.place_text,
        "participation": None if item.participation is None else item.participation.value,
        "participation_text": item.participation_text,
        "audience": item.audience.value,
        "decide_by": None if decision.decide_by is None else decision.decide_by.isoformat(),
        "decide_by_text": (
            words_for(lang).gettext("Lapsed: no decision recorded")
            if lapsed
            else decision.decide_by_text(lang, board.today)
        ),
        "days_left": decision.days_left(board.today),
        "overdue": not lapsed and decision.overdue(board.today),
        "lapsed": lapsed,
    }


def board_json(board: DecisionBoard, lang: str) -> dict[str, Any]:
    """The whole board as JSON: `today`, `pending` (soonest first) and `lapsed`."""
    return {
        "today": board.today.isoformat(),
        "lang": lang,
        "pending": [decision_json(d, board, lang) for d in board.pending],
        "lapsed": [decision_json(d, board, lang) for d in board.lapsed],
    }

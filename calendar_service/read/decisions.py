"""The decisions waiting: invitations the province has not answered, each with its decide-by.

An invitation waits while it is open (invited, or a decision pending) and its engagement is
still on (neither held nor cancelled). Its decide-by is the due day of the engagement's
`decision` deadline: the inviter's date when one was set by hand, else the rule's in
`domain/engagement/rules.py`; None when it has neither. The decisions are picked out of an
agenda (`agenda_view`), so they keep its order and its audience: the page's first section and
`calendar-service decisions` list them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from calendar_service.projections import ViewStore
from calendar_service.projections.calendar import deadlines_of
from calendar_service.read.agenda import ItemView

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

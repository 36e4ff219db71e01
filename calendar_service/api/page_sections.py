"""The feed page's sections, decisions first (DESIGN.md section 10), from one agenda.

`sections(items, waiting, now, today)` lays the agenda's items out in the order a protocol
officer works through them on a phone:

1. `pending`: invitations waiting for a decision, each with its decide-by and the days left
   (negative: overdue), the nearest decide-by first. An invitation whose engagement is over
   undecided is not pending: it is `lapsed`, and shows so in the past list.
2. `next`: the next engagements (or the ones under way);
3. `deadline_groups`: the deadlines to come, grouped per engagement, in the order of each
   group's first due day; the first few groups open, the rest folded;
4. `coming`, then `past` (most recent first).

Pure: no words here (the templates word everything through the catalogue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from calendar_service.read import Decision, ItemView

NEXT_ENGAGEMENTS = 2
OPEN_DEADLINE_GROUPS = 3
MAX_PAST_ITEMS = 60


@dataclass(frozen=True)
class Pending:
    """An invitation waiting for the province's answer."""

    item: ItemView
    decide_by: date | None
    days_left: int | None
    """Days from today to the decide-by; negative once it has passed."""

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass
class DeadlineGroup:
    """The deadlines to come of one engagement."""

    engagement_id: str
    items: list[ItemView] = field(default_factory=list)
    open: bool = False


@dataclass(frozen=True)
class Sections:
    pending: list[Pending]
    next: list[ItemView]
    deadline_groups: list[DeadlineGroup]
    coming: list[ItemView]
    past: list[ItemView]
    lapsed: frozenset[str]
    """Ids of the engagements whose invitation lapsed (over, never answered)."""


def sections(
    items: list[ItemView], waiting: list[Decision], now: datetime, today: date
) -> Sections:
    pending = [_pending(d, today) for d in waiting if not d.lapsed(now)]
    pending.sort(key=lambda p: (p.decide_by is None, p.decide_by or today, p.item.start))
    lapsed = frozenset(d.item.engagement_id for d in waiting if d.lapsed(now))
    events = [item for item in items if item.kind != "deadline"]
    upcoming = [item for item in events if item.end > now]
    return Sections(
        pending=pending,
        next=upcoming[:NEXT_ENGAGEMENTS],
        deadline_groups=_grouped([i for i in items if i.kind == "deadline" and i.end > now]),
        coming=upcoming[NEXT_ENGAGEMENTS:],
        past=[item for item in reversed(events) if item.end <= now][:MAX_PAST_ITEMS],
        lapsed=lapsed,
    )


def _pending(decision: Decision, today: date) -> Pending:
    due = decision.decide_by
    days_left = None if due is None else (due - today).days
    return Pending(decision.item, due, days_left)


def _grouped(deadlines: list[ItemView]) -> list[DeadlineGroup]:
    groups: dict[str, DeadlineGroup] = {}
    for item in deadlines:  # in due order: each group's place is its first due day
        groups.setdefault(item.engagement_id, DeadlineGroup(item.engagement_id)).items.append(item)
    found = list(groups.values())
    for group in found[:OPEN_DEADLINE_GROUPS]:
        group.open = True
    return found

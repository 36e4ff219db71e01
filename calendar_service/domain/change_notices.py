"""Change notices, pure: what changed in an engagement between two states, and whether a fact
is worth telling anyone about.

Subscribed feeds refresh slowly (Google every 8-24 hours), so a change is pushed to the people
who may see the engagement: a **change notice** (email, webhook) or, for a subscriber who takes
invitations, an iTIP message (`reminders.notify.invitation`). A burst of edits to one engagement
inside the coalescing window (`CALENDAR_CHANGE_WINDOW`, two minutes by default) makes one
notice: the reminder schedule projection keeps one notice row per engagement and window, due
when the window closes, holding the state before the first edit and after the last
(`projections.reminders_due`), and the reminders' delivery sends it, exactly once, recording
`ReminderSent` / `ReminderFailed` like a reminder's, under the label `change`.

- `notice_basis(state, deadlines)`: everything a notice is about (when, status, participation,
  audience, the deadline items' dates). A fact that leaves it as it was (a note, a source, a
  participant) opens no notice.
- `changes_between(before, after, ...)`: `Changes`, what a notice says changed: created, the
  when (rescheduled or refined), the status (confirmed, held, cancelled), the province's
  decision, the audience, and each deadline item that appeared, moved or went.
- `is_backfill(recorded_at, known_at)`: a fact the office knew long before it was recorded (the
  seed, a backfill of history) tells nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from calendar_service.domain.engagement.deadlines import Deadline
from calendar_service.domain.engagement.evolve import Engagement
from calendar_service.domain.engagement.values import Audience, EventStatus, Participation
from calendar_service.domain.engagement.when import When

NOTICE_LABEL = "change"
"""The label of a change notice's id: `{engagement}|change|v{n}`, n counting the notices."""
DEFAULT_WINDOW = timedelta(minutes=2)
"""Edits to one engagement this close together make one notice."""
BACKFILL_TOLERANCE = timedelta(minutes=1)
"""A fact whose `known_at` is earlier than its recording by more than this is history being
filled in, not news: it opens no notice."""

T = TypeVar("T")

__all__ = [
    "BACKFILL_TOLERANCE",
    "DEFAULT_WINDOW",
    "NOTICE_LABEL",
    "Changes",
    "DeadlineChange",
    "changes_between",
    "is_backfill",
    "notice_basis",
]


def is_backfill(recorded_at: datetime, known_at: datetime | None) -> bool:
    """Whether a fact recorded at `recorded_at` was known to the office well before."""
    return known_at is not None and known_at < recorded_at - BACKFILL_TOLERANCE


def notice_basis(state: Engagement, deadlines: list[Deadline]) -> tuple[object, ...]:
    """What a change notice is about: equal bases, no notice."""
    return (
        state.when,
        state.status,
        state.participation,
        state.audience,
        tuple((deadline.rule, deadline.due) for deadline in deadlines),
    )


@dataclass(frozen=True)
class DeadlineChange:
    """A deadline item that appeared (`before` None), moved, or went (`after` None)."""

    rule: str
    deadline: Deadline
    """The item as it is now, or as it was if it went."""
    before: date | None
    after: date | None


@dataclass(frozen=True)
class Changes:
    """What changed between the state a subscriber last heard of and the state now."""

    created: bool = False
    when: tuple[When, When] | None = None
    status: tuple[EventStatus, EventStatus] | None = None
    participation: tuple[Participation, Participation] | None = None
    audience: tuple[Audience, Audience] | None = None
    deadlines: tuple[DeadlineChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.created
            or self.when
            or self.status
            or self.participation
            or self.audience
            or self.deadlines
        )

    @property
    def cancelled(self) -> bool:
        return self.status is not None and self.status[1] is EventStatus.CANCELLED

    @property
    def kinds(self) -> tuple[str, ...]:
        """Short names of what changed, for programs: 'created', 'when', 'status', ..."""
        found = [
            name
            for name in ("created", "when", "status", "participation", "audience", "deadlines")
            if getattr(self, name)
        ]
        return tuple(found)


def changes_between(
    before: Engagement | None,
    after: Engagement,
    before_deadlines: list[Deadline],
    after_deadlines: list[Deadline],
) -> Changes:
    """What changed from `before` (None: the reader never heard of it) to `after`. Deadline
    changes are left out of a creation and a cancellation: every item is new, or gone, with it."""
    if before is None:
        return Changes(created=True)

    status = _pair(before.status, after.status)
    moved: list[DeadlineChange] = []
    if after.status is not EventStatus.CANCELLED:
        old = {deadline.rule: deadline for deadline in before_deadlines}
        new = {deadline.rule: deadline for deadline in after_deadlines}
        for rule in sorted(old.keys() | new.keys()):
            was, now = old.get(rule), new.get(rule)
            if was is not None and now is not None and was.due == now.due:
                continue
            shown = now or was
            assert shown is not None
            moved.append(
                DeadlineChange(
                    rule,
                    shown,
                    None if was is None else was.due,
                    None if now is None else now.due,
                )
            )
        moved.sort(key=lambda change: (change.after or change.before or date.min, change.rule))
    return Changes(
        when=_pair(before.when, after.when),
        status=status,
        participation=_pair(before.participation, after.participation),
        audience=_pair(before.audience, after.audience),
        deadlines=tuple(moved),
    )


def _pair(old: T, new: T) -> tuple[T, T] | None:
    return None if old == new else (old, new)

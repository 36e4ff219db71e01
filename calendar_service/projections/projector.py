"""The projector: every projection of a deployment, over one log and one views store.

`Projector` is what the composition root builds and what the entry points call into: a worker's
`calendar.project` task is `projector.catch_up(name)`, the CLI's `projections status` is
`projector.status()`, and `projections rebuild` is `projector.rebuild(name)`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from calendar_service.domain import DEFAULT_RULES, DeadlineRules, WorkingDayPredicate
from calendar_service.domain.reminder_plan import DEFAULT_OFFSETS
from calendar_service.eventstore import EventStore
from calendar_service.projections.base import (
    BULK_PAGE_SIZE,
    DEFAULT_LOCK_TTL,
    DEFAULT_PAGE_SIZE,
    CatchUpResult,
    Progress,
    Projection,
    ProjectionError,
    RebuildResult,
    UnknownProjection,
    catch_up,
    rebuild,
)
from calendar_service.projections.calendar import CalendarProjection
from calendar_service.projections.feeds import FeedsProjection
from calendar_service.projections.reminders_due import DEFAULT_WINDOW, RemindersDueProjection
from calendar_service.projections.staff_tokens import StaffTokensProjection
from calendar_service.projections.subscriptions import SubscriptionsProjection
from calendar_service.projections.views import ViewStore, digest

PROJECTION_NAMES = ("calendar", "reminders_due", "feeds", "staff_tokens", "subscriptions")
"""Every projection, in the order they are caught up and listed."""
REBUILD_PAGE_SIZE = BULK_PAGE_SIZE
"""Events per commit of a rebuild, and of a catch-up with a large backlog: larger than
catch-up's, since nobody reads the shadow and fewer, larger pages fold each engagement's rows
fewer times."""
SETTLE_MARGIN = 5.0
"""Seconds `wait_for` waits beyond a catch-up lease's lifetime before giving up."""


def default_projections(
    rules: DeadlineRules = DEFAULT_RULES,
    is_working_day: WorkingDayPredicate | None = None,
    reminder_offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS,
    notice_window: timedelta = DEFAULT_WINDOW,
    office_timezone: str = "Asia/Seoul",
) -> list[Projection]:
    """One of each projection in `PROJECTION_NAMES`, deriving deadlines with `rules`;
    `reminder_offsets` are the reminders of engagements without a policy of their own,
    `notice_window` the coalescing window of change notices, `office_timezone` the clock of
    digests for subscribers who gave none."""
    return [
        CalendarProjection(rules, is_working_day),
        RemindersDueProjection(
            rules, is_working_day, reminder_offsets, notice_window, office_timezone
        ),
        FeedsProjection(),
        StaffTokensProjection(),
        SubscriptionsProjection(),
    ]


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    checkpoint: int
    head: int

    @property
    def lag(self) -> int:
        """Events in the log the projection has not applied yet (negative: views ahead)."""
        return self.head - self.checkpoint


class NotSettled(ProjectionError):
    """An event is in the log, but projection `name` had not applied it when `wait_for` gave
    up: what was recorded holds, and takes effect once the projection catches up."""

    def __init__(self, name: str, position: int, checkpoint: int, waited: float) -> None:
        self.name, self.position, self.checkpoint, self.waited = name, position, checkpoint, waited
        super().__init__(
            f"the change is recorded (log position {position}), but the "
            f"{name.replace('_', ' ')} projection is still at {checkpoint} after {waited:.0f} s, "
            "so it takes effect only once that projection catches up: "
            f"run `calendar-service projections catch-up {name}`"
        )


class Projector:
    def __init__(
        self,
        store: EventStore,
        views: ViewStore,
        projections: Sequence[Projection],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        lock_ttl: float = DEFAULT_LOCK_TTL,
        rebuild_page_size: int = REBUILD_PAGE_SIZE,
    ) -> None:
        self.store, self.views = store, views
        self._projections = {projection.name: projection for projection in projections}
        self.page_size, self.lock_ttl = page_size, lock_ttl
        self.rebuild_page_size = rebuild_page_size

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._projections)

    def projection(self, name: str) -> Projection:
        found = self._projections.get(name)
        if found is None:
            raise UnknownProjection(name, self.names)
        return found

    def catch_up(self, name: str, on_progress: Progress | None = None) -> CatchUpResult:
        """Bring `name` to the head of the log (or return at once if another run is at it);
        a large backlog is read in pages of `rebuild_page_size` (see `base.catch_up`)."""
        return catch_up(
            self.projection(name),
            self.store,
            self.views,
            page_size=self.page_size,
            lock_ttl=self.lock_ttl,
            on_progress=on_progress,
            bulk_page_size=self.rebuild_page_size,
        )

    def wait_for(self, name: str, position: int, timeout: float | None = None) -> None:
        """Return once `name` has applied the event at `position` (read your own writes).

        Catches up in this process; when another process holds the catch-up lease it waits
        for that one, which applies the same events. After `timeout` seconds (default: the
        lease's lifetime plus SETTLE_MARGIN) raises `NotSettled`.
        """
        limit = self.lock_ttl + SETTLE_MARGIN if timeout is None else timeout
        started = time.monotonic()
        while True:
            checkpoint = self.catch_up(name).checkpoint
            if checkpoint >= position:
                return
            waited = time.monotonic() - started
            if waited > limit:
                raise NotSettled(name, position, checkpoint, waited)
            time.sleep(0.01)

    def catch_up_all(self) -> list[CatchUpResult]:
        return [self.catch_up(name) for name in self.names]

    def rebuild(self, name: str, on_progress: Progress | None = None) -> RebuildResult:
        """Rebuild `name` from zero beside the live one and swap it in when complete."""
        return rebuild(
            self.projection(name),
            self.store,
            self.views,
            page_size=self.rebuild_page_size,
            on_progress=on_progress,
        )

    def status(self) -> list[ProjectionStatus]:
        head = self.store.head()
        return [ProjectionStatus(name, self.views.checkpoint(name), head) for name in self.names]

    def digest(self, name: str) -> str:
        """SHA-256 of the projection's canonical dump (see `views.dump`)."""
        self.projection(name)
        return digest(self.views, name)

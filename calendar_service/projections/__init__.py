"""The read side: projections folded from the event log, kept exactly in step with it.

- how a projection follows the log: `base` (`Projection`, `Batch`, `catch_up`, `rebuild`)
- where rows live: the port `views.ViewStore` with its memory twin; the SQLite and Redis
  adapters (`views_sqlite`, `views_redis`) are chosen by `calendar_service.bootstrap` only
- the projections: `calendar` (the engagements, their deadlines and the agenda query),
  `reminders_due`, `feeds`, `staff_tokens`, `subscriptions`; `projector.Projector` holds a
  deployment's set. An engagement's history is not a projection: `read.history` folds it
  from the streams on each read.
- `asof`: the calendar as of a past moment (on the known_at or recorded_at `Axis`), in
  private views
- `nudge`: how the write path wakes the projector up (`Nudger`, `ThreadNudger`)
"""

from calendar_service.projections.asof import Axis, calendar_as_of, log_as_of, views_as_of
from calendar_service.projections.base import (
    Batch,
    CatchUpResult,
    Projection,
    ProjectionError,
    RebuildResult,
    UnknownProjection,
    ViewsAhead,
    catch_up,
    rebuild,
    replay_into,
)
from calendar_service.projections.calendar import AgendaItem, CalendarProjection, agenda
from calendar_service.projections.nudge import Nudger, NullNudger, ThreadNudger
from calendar_service.projections.projector import (
    PROJECTION_NAMES,
    ProjectionStatus,
    Projector,
    default_projections,
)
from calendar_service.projections.views import (
    Generation,
    MemoryViewStore,
    ViewStore,
    ViewStoreError,
    ViewsUnavailable,
    digest,
    dump,
)

__all__ = [
    "PROJECTION_NAMES",
    "AgendaItem",
    "Axis",
    "Batch",
    "CalendarProjection",
    "CatchUpResult",
    "Generation",
    "MemoryViewStore",
    "Nudger",
    "NullNudger",
    "Projection",
    "ProjectionError",
    "ProjectionStatus",
    "Projector",
    "RebuildResult",
    "ThreadNudger",
    "UnknownProjection",
    "ViewStore",
    "ViewStoreError",
    "ViewsAhead",
    "ViewsUnavailable",
    "agenda",
    "calendar_as_of",
    "catch_up",
    "default_projections",
    "digest",
    "dump",
    "log_as_of",
    "rebuild",
    "replay_into",
    "views_as_of",
]

"""The views people read, each assembled once: the agenda, an engagement's history, the
decisions waiting. The CLI, the JSON API, the page and the message texts all use these.

- `agenda`: what is on in a window, for an audience, in a viewer's zone and language
  (`agenda_view`), over the live calendar or the calendar as of a moment (`calendar_at`)
- `history`: an engagement's timeline, folded from its streams (`engagement_history`)
- `decisions`: the invitations waiting for an answer, with their decide-by (`decisions`)
- `wording`: how dates, whens, places, statuses and sources read in en, ko and zh (the feed
  and the reminder messages word things with it too)
"""

from calendar_service.read.agenda import (
    MAX_WINDOW_DAYS,
    ItemView,
    agenda_view,
    calendar_at,
    viewer_zone,
    window,
    years_around,
)
from calendar_service.read.decisions import Decision, decide_by, decisions, waiting
from calendar_service.read.history import (
    ENGAGEMENT_STREAM_PREFIX,
    History,
    HistoryRow,
    engagement_events,
    engagement_history,
    history_rows,
)

__all__ = [
    "ENGAGEMENT_STREAM_PREFIX",
    "MAX_WINDOW_DAYS",
    "Decision",
    "History",
    "HistoryRow",
    "ItemView",
    "agenda_view",
    "calendar_at",
    "decide_by",
    "decisions",
    "engagement_events",
    "engagement_history",
    "history_rows",
    "viewer_zone",
    "waiting",
    "window",
    "years_around",
]

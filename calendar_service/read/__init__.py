"""The views people read, each assembled once: the agenda, an engagement's history, the
decisions waiting. The CLI, the JSON API, the page and the message texts all use these.

- `agenda`: what is on in a window, for an audience, in a viewer's zone and language
  (`agenda_view`), over the live calendar or the calendar as of a moment (`calendar_at`)
- `history`: an engagement's timeline, folded from its streams (`engagement_history`)
- `decisions`: the invitations waiting for an answer, with their decide-by, and those that
  lapsed (`decision_board`, `decisions_now`)
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
from calendar_service.read.decisions import (
    Decision,
    DecisionBoard,
    board_json,
    decide_by,
    decision_board,
    decision_json,
    decisions,
    decisions_now,
    waiting,
)
from calendar_service.read.history import (
    ENGAGEMENT_STREAM_PREFIX,
    History,
    HistoryRow,
    engagement_events,
    engagement_history,
    history_rows,
    invitation_lapsed,
)

__all__ = [
    "ENGAGEMENT_STREAM_PREFIX",
    "MAX_WINDOW_DAYS",
    "Decision",
    "DecisionBoard",
    "History",
    "HistoryRow",
    "ItemView",
    "agenda_view",
    "board_json",
    "calendar_at",
    "decide_by",
    "decision_board",
    "decision_json",
    "decisions",
    "decisions_now",
    "engagement_events",
    "engagement_history",
    "history_rows",
    "invitation_lapsed",
    "viewer_zone",
    "waiting",
    "window",
    "years_around",
]

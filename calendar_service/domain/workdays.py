"""The default working-day calendar: Monday to Friday, minus Korean public holidays.

Holidays come from the maintained `holidays` package (substitute holidays and election days
included); this is the one domain module that imports a third-party library, and only
`derive_deadlines` callers use it, through the `is_working_day` they pass in. `decide` and
`evolve` never see it.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from threading import Lock

import holidays

from calendar_service.domain.engagement.deadlines import WorkingDayPredicate

_LOCK = Lock()


@cache
def korean_working_days() -> WorkingDayPredicate:
    """A predicate: True for Monday-Friday dates that are not Korean public holidays."""
    calendar = holidays.country_holidays("KR")

    def is_working_day(day: date) -> bool:
        if day.weekday() >= 5:
            return False
        # The holiday table fills in a year on first lookup; the lock keeps that single-flight.
        with _LOCK:
            return day not in calendar

    return is_working_day

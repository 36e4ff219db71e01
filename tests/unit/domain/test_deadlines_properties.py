"""Derived deadlines' property: no due date that rolls falls on a weekend or a Korean holiday.

A property test, so the whole module is slow (see tests/conftest.py); the examples are in
test_deadlines.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calendar_service.domain import (
    DEFAULT_RULES,
    AllDayWhen,
    Direction,
    Participation,
    Roll,
    derive_deadlines,
)
from tests.unit.domain.builders import run, scheduled
from tests.unit.domain.test_deadlines import IS_WORKING_DAY

pytestmark = pytest.mark.slow

KOREAN_HOLIDAYS = holidays.country_holidays("KR", years=range(2024, 2029))


@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=1, max_value=6),
    st.sampled_from([Direction.OUTBOUND, Direction.INBOUND]),
    st.sampled_from([Participation.INVITED, Participation.ATTENDING, Participation.DELEGATED]),
)
def test_no_derived_due_date_falls_on_a_weekend_or_korean_public_holiday(
    start: date, days: int, direction: Direction, participation: Participation
) -> None:
    when = AllDayWhen(start, start + timedelta(days=days), "Asia/Seoul")
    state, _ = run([scheduled(when, direction=direction)])
    state = replace(state, participation=participation)
    for deadline in derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY):
        rule = DEFAULT_RULES.get(deadline.rule)
        assert rule is not None
        if rule.roll is Roll.NONE:
            assert deadline.due == deadline.unadjusted  # travel days stay on the trip's days
            continue
        assert deadline.due.weekday() < 5, deadline
        assert deadline.due not in KOREAN_HOLIDAYS, deadline
        assert timedelta(0) <= deadline.unadjusted - deadline.due < timedelta(days=10)

"""The feed renderer's property: no feed ever shows an engagement above its audience.

A property test, so the whole module is slow (see tests/conftest.py); the examples are in
test_ical.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calendar_service.domain import (
    Audience,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    LocalizedText,
    ScheduleEngagement,
)
from calendar_service.feed.ical import render_calendar
from calendar_service.feed.select import FeedWindow, select_for_feed
from tests.fixtures.ical_samples import items_of, meta
from tests.unit.domain.builders import run
from tests.unit.domain.strategies import whens
from tests.unit.test_ical import events, uid

pytestmark = pytest.mark.slow

AUDIENCES = st.sampled_from(list(Audience))


@given(
    engagements=st.lists(st.tuples(whens(), AUDIENCES), min_size=1, max_size=6),
    feed_audience=AUDIENCES,
)
def test_no_feed_ever_contains_an_engagement_above_its_audience(
    engagements: list[tuple[object, Audience]], feed_audience: Audience
) -> None:
    items = []
    for index, (when, audience) in enumerate(engagements):
        details = EngagementDetails(
            kind=EngagementKind.MEETING,
            direction=Direction.OUTBOUND,
            title=LocalizedText(en=f"Engagement {index}"),
            when=when,  # type: ignore[arg-type]
            audience=audience,
        )
        state, _ = run(
            [ScheduleEngagement(engagement_id=EngagementId(f"e-{index}"), details=details)]
        )
        items += items_of(state)
    window = FeedWindow(as_of=datetime(2025, 6, 1, tzinfo=UTC))
    chosen = select_for_feed(items, window, feed_audience)
    assert all(feed_audience.admits(item.engagement.audience) for item in chosen)
    shown = events(render_calendar(chosen, meta()))
    allowed = {
        uid(item.engagement.id) for item in items if feed_audience.admits(item.engagement.audience)
    }
    engagement_uids = {key for key in shown if "--" not in key}
    assert engagement_uids <= allowed


@given(
    st.text(
        alphabet=st.sampled_from(["a", "Z", " ", "\\", "^", ",", "é", "다", "大", "😀", "~"]),
        max_size=400,
    )
)
def test_a_line_is_folded_exactly_as_icalendar_folds_it(line: str) -> None:
    """Filling a feed's token refolds its lines with the project's fast folder: the bytes must
    be icalendar's own, or a filled feed would differ from one rendered with its token."""
    from icalendar.parser import Contentline

    from calendar_service.feed.ical import _folded

    assert _folded(line) == Contentline(line).to_ical()


@given(
    st.text(alphabet=st.sampled_from(["a", " ", "é", "다", "\\", ","]), max_size=120),
    st.text(alphabet=st.sampled_from(["a", " ", "다"]), max_size=60),
    st.text(alphabet=st.sampled_from([*"abcXYZ019", "-", "_"]), min_size=43, max_size=43),
)
def test_a_token_fills_its_slot_as_if_the_line_had_been_rendered_with_it(
    before: str, after: str, token: str
) -> None:
    """Wherever a fold falls, inside the slot or not, the filled line is the line icalendar
    writes with the token in it."""
    from calendar_service.feed.ical import _folded, with_token
    from calendar_service.feed.links import TOKEN_SLOT

    line = f"DESCRIPTION:{before}https://cal.example/c/{TOKEN_SLOT}/e/x{after}"
    body = b"BEGIN:VEVENT\r\n" + _folded(line) + b"\r\nEND:VEVENT\r\n"
    expected = (
        b"BEGIN:VEVENT\r\n" + _folded(line.replace(TOKEN_SLOT, token)) + b"\r\nEND:VEVENT\r\n"
    )
    assert with_token(body, token) == expected

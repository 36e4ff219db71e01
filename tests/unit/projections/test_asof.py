"""The calendar as of a past moment: as the office knew it (known_at), or as the log stood
(recorded_at), from the log into private views, never touching the live projections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calendar_service.domain import Reschedule
from calendar_service.projections import (
    Axis,
    CalendarProjection,
    agenda,
    calendar_as_of,
    digest,
)
from calendar_service.projections.calendar import engagement
from tests.unit.domain.builders import DAVOS, DAVOS_DATES, invitation
from tests.unit.projections.helpers import Log, project

ARTICLE_DAY = datetime(2024, 4, 24, 9, 0, tzinfo=UTC)
SEEDED = datetime(2024, 11, 1, 9, 0, tzinfo=UTC)
REFINED = SEEDED + timedelta(days=30)


def _history() -> Log:
    """The invitation, known from the article but recorded at seeding; then a refinement."""
    log = Log(now=SEEDED)
    log.run(invitation(), known_at=ARTICLE_DAY)
    log.now = REFINED
    log.run(Reschedule(engagement_id=DAVOS, when=DAVOS_DATES), step=timedelta(0))
    return log


def test_as_the_office_knew_it_the_invitation_exists_from_the_day_of_the_article() -> None:
    log = _history()

    before = calendar_as_of(log.store, ARTICLE_DAY - timedelta(days=1))
    assert engagement(before, str(DAVOS)) is None
    then = calendar_as_of(log.store, ARTICLE_DAY)
    state = engagement(then, str(DAVOS))
    assert state is not None
    assert state.when.precision.name == "MONTH"
    later = calendar_as_of(log.store, REFINED)
    state = engagement(later, str(DAVOS))
    assert state is not None
    assert state.when == DAVOS_DATES


def test_as_the_log_stood_the_invitation_exists_only_from_when_it_was_recorded() -> None:
    log = _history()

    assert engagement(calendar_as_of(log.store, ARTICLE_DAY, Axis.RECORDED), str(DAVOS)) is None
    state = engagement(
        calendar_as_of(log.store, SEEDED + timedelta(hours=1), Axis.RECORDED),
        "summer-davos-2024-dalian",
    )
    assert state is not None
    assert state.when.precision.name == "MONTH"


def test_as_of_now_equals_the_live_projection_and_leaves_it_untouched() -> None:
    log = _history()
    live = project(log, [CalendarProjection()])
    before = digest(live, "calendar")

    now = calendar_as_of(log.store, REFINED + timedelta(days=1))
    assert digest(now, "calendar") == before
    assert digest(live, "calendar") == before
    window = (datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC))
    assert [i.id for i in agenda(now, *window)] == [i.id for i in agenda(live, *window)]

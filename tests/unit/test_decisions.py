"""The decisions waiting: open invitations to engagements still on, in the agenda's order, each
with the due day of its decision deadline (derived by the rule, or set by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    Accept,
    Audience,
    Cancel,
    Command,
    EngagementId,
    EngagementKind,
    ExplicitDeadline,
    ImpreciseWhen,
    ReviewInvitation,
    SetDeadline,
)
from calendar_service.projections import CalendarProjection
from calendar_service.read import Decision, agenda_view, decisions
from tests.unit.domain.builders import DAVOS, DAVOS_DATES, invitation, scheduled, weekdays_only
from tests.unit.projections.helpers import Log, project

SEOUL = ZoneInfo("Asia/Seoul")
EXPO = EngagementId("liaoning-expo-2024")
SEPTEMBER = ImpreciseWhen.month("2024-09", "Asia/Shanghai")


def _waiting(*commands: Command) -> list[Decision]:
    log = Log()
    log.run(*commands)
    views = project(log, [CalendarProjection(is_working_day=weekdays_only)])
    items = agenda_view(
        views,
        date(2024, 1, 1),
        date(2024, 12, 31),
        audience=Audience.RESTRICTED,
        viewer=SEOUL,
        lang="en",
    )
    return decisions(views, items)


def test_an_open_invitation_waits_with_the_rules_decide_by() -> None:
    [waiting] = _waiting(invitation(DAVOS_DATES))

    assert waiting.item.engagement_id == str(DAVOS)
    assert waiting.item.kind == "engagement"
    # 45 days before 25 June is Saturday 11 May: the working day before it.
    assert waiting.decide_by == date(2024, 5, 10)


def test_an_invitation_under_review_still_waits() -> None:
    [waiting] = _waiting(invitation(DAVOS_DATES), ReviewInvitation(engagement_id=DAVOS))
    assert waiting.decide_by == date(2024, 5, 10)


def test_the_inviters_date_set_by_hand_is_the_decide_by() -> None:
    rsvp = ExplicitDeadline(key="decision", due=date(2024, 5, 20), basis="The WEF letter.")
    [waiting] = _waiting(invitation(DAVOS_DATES), SetDeadline(engagement_id=DAVOS, deadline=rsvp))
    assert waiting.decide_by == date(2024, 5, 20)


def test_answered_cancelled_and_uninvited_engagements_wait_for_nothing() -> None:
    accepted = _waiting(invitation(DAVOS_DATES), Accept(engagement_id=DAVOS))
    cancelled = _waiting(invitation(DAVOS_DATES), Cancel(engagement_id=DAVOS, reason="off"))
    attending = _waiting(scheduled())
    assert (accepted, cancelled, attending) == ([], [], [])


def test_an_invitation_no_decision_rule_applies_to_has_no_decide_by() -> None:
    [waiting] = _waiting(invitation(DAVOS_DATES, kind=EngagementKind.ANNIVERSARY))
    assert waiting.decide_by is None


def test_decisions_keep_the_agendas_order() -> None:
    expo = invitation(SEPTEMBER, engagement_id=EXPO, title="Liaoning Expo 2024")
    waiting = _waiting(expo, invitation(DAVOS_DATES))

    assert [d.item.engagement_id for d in waiting] == [str(DAVOS), str(EXPO)]
    # the expo's month starts 1 September: 45 days before is Thursday 18 July
    assert [d.decide_by for d in waiting] == [date(2024, 5, 10), date(2024, 7, 18)]


def test_a_decision_is_overdue_after_its_decide_by_and_lapsed_once_its_engagement_is_over() -> None:
    [waiting] = _waiting(invitation(DAVOS_DATES))

    assert not waiting.overdue(date(2024, 5, 10))
    assert waiting.overdue(date(2024, 5, 11))
    assert not waiting.lapsed(datetime(2024, 6, 27, 12, tzinfo=UTC))
    assert waiting.lapsed(datetime(2024, 6, 28, tzinfo=ZoneInfo("Asia/Shanghai")))


def _board(now: datetime, *commands: Command):
    from calendar_service.read import decision_board

    log = Log()
    log.run(*commands)
    views = project(log, [CalendarProjection(is_working_day=weekdays_only)])
    items = agenda_view(
        views,
        date(2024, 1, 1),
        date(2024, 12, 31),
        audience=Audience.RESTRICTED,
        viewer=SEOUL,
        lang="en",
    )
    return decision_board(views, items, now)


def test_a_2024_invitation_left_undecided_is_lapsed_not_pending() -> None:
    board = _board(datetime(2026, 3, 1, tzinfo=UTC), invitation(DAVOS_DATES))
    assert board.pending == []
    [lapsed] = board.lapsed
    assert lapsed.item.engagement_id == str(DAVOS)


def test_an_overdue_decision_is_marked_with_its_decide_by() -> None:
    board = _board(datetime(2024, 5, 20, tzinfo=UTC), invitation(DAVOS_DATES))
    [pending] = board.pending
    assert board.overdue == [pending]
    assert pending.days_left(board.today) == -10
    assert pending.decide_by_text("en", board.today).startswith("Decide by May 10, 2024 (overdue")
    assert "기한 경과" in pending.decide_by_text("ko", board.today)

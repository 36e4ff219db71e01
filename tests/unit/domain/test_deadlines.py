"""Derived deadlines: stated rules, working days, and they follow the engagement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from calendar_service.domain import (
    DEFAULT_RULES,
    Accept,
    AllDayWhen,
    Anchor,
    Cancel,
    Deadline,
    DeadlineRule,
    DeadlineRules,
    Direction,
    EngagementKind,
    ExplicitDeadline,
    ImpreciseWhen,
    InvalidValue,
    LocalizedText,
    Participation,
    Reschedule,
    SetDeadline,
    derive_deadlines,
    previous_working_day,
)
from calendar_service.domain.workdays import korean_working_days
from tests.unit.domain.builders import (
    DAVOS,
    DAVOS_DATES,
    invitation,
    run,
    scheduled,
    weekdays_only,
)

IS_WORKING_DAY = korean_working_days()


def _due(deadlines: list[Deadline], rule: str) -> date:
    return next(d.due for d in deadlines if d.rule == rule)


def test_the_summer_davos_decision_is_due_on_the_friday_before_a_saturday() -> None:
    state, _ = run([invitation(DAVOS_DATES)])
    deadlines = derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY)
    assert [d.rule for d in deadlines] == ["decision"]
    decision = deadlines[0]
    assert decision.id == "summer-davos-2024-dalian--decision"
    assert decision.unadjusted == date(2024, 5, 11)
    assert decision.due == date(2024, 5, 10)
    assert decision.derived
    assert decision.tz == "Asia/Seoul"
    assert decision.rule_text.startswith("45 days before the engagement starts; moved back")
    assert decision.title.en == "Decide: attend Summer Davos 2024, Dalian?"
    assert decision.title.ko == "결정: 2024 하계 다보스포럼 (다롄) 참석 여부"


def test_a_month_precise_engagement_counts_from_its_earliest_possible_start() -> None:
    fair = ImpreciseWhen.month("2024-09", "Asia/Shanghai")
    state, _ = run([invitation(fair, kind=EngagementKind.EXPO)])
    (decision,) = derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY)
    assert decision.due == date(2024, 7, 18)
    assert decision.tentative
    assert "earliest possible start, 2024-09-01" in decision.rule_text


def test_an_overseas_trip_gets_the_whole_chain_once_accepted() -> None:
    state, _ = run([invitation(DAVOS_DATES), Accept(engagement_id=DAVOS)])
    deadlines = derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY)
    assert [(d.rule, d.due) for d in deadlines] == [
        ("visa-check", date(2024, 5, 16)),
        ("trip-review", date(2024, 5, 24)),
        ("gifts-and-interpreter", date(2024, 6, 14)),
        ("briefing-book", date(2024, 6, 18)),
        ("departure", date(2024, 6, 25)),
        ("return", date(2024, 6, 27)),
        ("thank-you", date(2024, 7, 11)),
        ("result-report", date(2024, 7, 12)),
    ]
    assert not any(d.tentative for d in deadlines)


def test_a_hosted_visit_gets_a_thank_you_letter_and_no_visa_check() -> None:
    meeting = AllDayWhen.on(date(2024, 4, 24), "Asia/Seoul")
    state, _ = run([scheduled(meeting, kind=EngagementKind.MEETING, direction=Direction.INBOUND)])
    deadlines = derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY)
    assert [d.rule for d in deadlines] == ["gifts-and-interpreter", "briefing-book", "thank-you"]
    assert _due(deadlines, "thank-you") == date(2024, 5, 8)


def test_rescheduling_moves_the_derived_deadlines() -> None:
    state, _ = run([invitation(DAVOS_DATES), Accept(engagement_id=DAVOS)])
    later = AllDayWhen(date(2024, 7, 9), date(2024, 7, 12), "Asia/Shanghai")
    moved, _ = run([Reschedule(engagement_id=DAVOS, when=later)], start=state)
    before = {d.id: d for d in derive_deadlines(state, DEFAULT_RULES, weekdays_only)}
    after = {d.id: d for d in derive_deadlines(moved, DEFAULT_RULES, weekdays_only)}
    assert before.keys() == after.keys()
    for key, item in after.items():
        assert item.unadjusted - before[key].unadjusted == timedelta(days=14), key


def test_cancelling_removes_every_deadline_even_one_set_by_hand() -> None:
    rsvp = ExplicitDeadline(key="rsvp-form", due=date(2024, 5, 3), basis="The letter asks for it.")
    state, _ = run([invitation(DAVOS_DATES), SetDeadline(engagement_id=DAVOS, deadline=rsvp)])
    assert len(derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY)) == 2
    cancelled, _ = run([Cancel(engagement_id=DAVOS, reason="Called off")], start=state)
    assert derive_deadlines(cancelled, DEFAULT_RULES, IS_WORKING_DAY) == []


def test_a_deadline_set_by_hand_replaces_the_derived_one_and_stays_put() -> None:
    rsvp = ExplicitDeadline(key="decision", due=date(2024, 5, 20), basis="The WEF letter.")
    state, _ = run([invitation(), SetDeadline(engagement_id=DAVOS, deadline=rsvp)])
    (decision,) = derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY)
    assert (decision.due, decision.derived) == (date(2024, 5, 20), False)
    assert decision.rule_text == "Set by hand: The WEF letter."
    assert decision.title.en == "Decide: attend Summer Davos 2024, Dalian?"
    moved, _ = run([Reschedule(engagement_id=DAVOS, when=DAVOS_DATES)], start=state)
    assert derive_deadlines(moved, DEFAULT_RULES, IS_WORKING_DAY)[0].due == date(2024, 5, 20)


def test_the_decision_deadline_goes_once_the_province_has_decided() -> None:
    state, _ = run([invitation(DAVOS_DATES), Accept(engagement_id=DAVOS)])
    rules = [d.rule for d in derive_deadlines(state, DEFAULT_RULES, IS_WORKING_DAY)]
    assert "decision" not in rules


def test_a_rule_set_can_be_configured_from_json() -> None:
    rules = DeadlineRules(
        (
            DeadlineRule(
                name="press-release",
                title=LocalizedText(en="Press release: {title}"),
                anchor=Anchor.START,
                offset_days=-2,
                kinds=frozenset(EngagementKind),
                directions=frozenset(Direction),
                participations=frozenset(Participation),
                basis="The press office asks two days ahead.",
            ),
        ),
        office_tz="Asia/Seoul",
    )
    assert DeadlineRules.from_json(rules.to_json()) == rules
    assert DeadlineRules.from_json(DEFAULT_RULES.to_json()) == DEFAULT_RULES
    with pytest.raises(InvalidValue, match=r"rule.name 'decision'"):
        DeadlineRules((DEFAULT_RULES.rules[0], DEFAULT_RULES.rules[0]))
    data = DEFAULT_RULES.to_json()
    data["rules"][0]["offset_days"] = "soon"
    with pytest.raises(InvalidValue, match=r"rules.rules\[0\].offset_days 'soon'"):
        DeadlineRules.from_json(data)


def test_a_working_day_predicate_that_refuses_every_day_fails_loudly() -> None:
    with pytest.raises(InvalidValue, match=r"no working day"):
        previous_working_day(date(2024, 5, 11), lambda _: False)


def test_korean_public_holidays_and_substitute_days_are_not_working_days() -> None:
    assert not IS_WORKING_DAY(date(2024, 5, 6))  # substitute holiday for Children's Day
    assert not IS_WORKING_DAY(date(2024, 4, 10))  # National Assembly election day
    assert not IS_WORKING_DAY(date(2024, 9, 17))  # Chuseok
    assert not IS_WORKING_DAY(date(2024, 5, 11))  # Saturday
    assert IS_WORKING_DAY(date(2024, 5, 10))

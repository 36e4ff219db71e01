"""The default deadline rule set: what a Korean provincial protocol office tracks per engagement.

Offsets marked [assumed] are our rules of thumb, not published requirements; each rule's basis
says so. With them, Summer Davos (25 June 2024) gets its decision on Friday 10 May (45 days
before is Saturday 11 May), and the September 2024 fair, known only by month, on Thursday
18 July (45 days before 1 September).
"""

from __future__ import annotations

from calendar_service.domain.engagement.deadlines import Anchor, DeadlineRule, DeadlineRules, Roll
from calendar_service.domain.engagement.evolve import OPEN_INVITATION
from calendar_service.domain.engagement.values import (
    Direction,
    EngagementKind,
    LocalizedText,
    Participation,
)

PREPARED_KINDS = frozenset(
    {
        EngagementKind.MEETING,
        EngagementKind.VISIT,
        EngagementKind.FORUM,
        EngagementKind.EXPO,
        EngagementKind.SIGNING,
    }
)
"""Kinds that need preparation; anniversaries and deadline items do not."""
GOING = frozenset({Participation.ATTENDING, Participation.DELEGATED})
OVERSEAS = frozenset({Direction.OUTBOUND})
VISITS = frozenset({Direction.INBOUND, Direction.OUTBOUND})


def _rule(
    name: str,
    en: str,
    ko: str,
    anchor: Anchor,
    offset_days: int,
    directions: frozenset[Direction],
    basis: str,
    *,
    participations: frozenset[Participation] = GOING,
    roll: Roll = Roll.PREVIOUS_WORKING_DAY,
) -> DeadlineRule:
    return DeadlineRule(
        name=name,
        title=LocalizedText(en=en, ko=ko, label="rule.title"),
        anchor=anchor,
        offset_days=offset_days,
        kinds=PREPARED_KINDS,
        directions=directions,
        participations=participations,
        basis=basis,
        roll=roll,
    )


DEFAULT_RULES = DeadlineRules(
    (
        _rule(
            "decision",
            "Decide: attend {title}?",
            "결정: {title} 참석 여부",
            Anchor.START,
            -45,
            frozenset(Direction),
            "[assumed] No RSVP date was published. 45 days leaves room for one monthly "
            "overseas-trip review cycle. Set the inviter's date by hand when it is known.",
            participations=OPEN_INVITATION,
        ),
        _rule(
            "visa-check",
            "Check passports and visas: {title}",
            "여권·비자 확인: {title}",
            Anchor.START,
            -40,
            OVERSEAS,
            "[assumed] Official passports enter China visa-free for up to 30 days (Korea-China "
            "agreement, in force 2014-12-25); members on ordinary passports need a visa, so "
            "check every member's passport right after the decision.",
        ),
        _rule(
            "trip-review",
            "File the overseas-trip review: {title}",
            "공무국외출장 심사 신청: {title}",
            Anchor.START,
            -30,
            OVERSEAS,
            "[assumed] Every official overseas trip of a Korean local government is reviewed "
            "before approval; Gyeonggi's lead time is not published, so allow a month "
            "(Seoul reviews monthly).",
        ),
        _rule(
            "gifts-and-interpreter",
            "Gifts and interpreter materials ready: {title}",
            "기념품·통역 자료 준비: {title}",
            Anchor.START,
            -10,
            VISITS,
            "[assumed] Gifts are ready at least a week ahead and checked against rank; "
            "interpreters get speeches, names and titles before the briefing book "
            "(US Chief of Protocol guide).",
        ),
        _rule(
            "briefing-book",
            "Briefing book due: {title}",
            "브리핑 자료 완료: {title}",
            Anchor.START,
            -7,
            VISITS,
            "Background material goes to the principal and the hosts about a week before "
            "(CSU Chico, hosting international delegations).",
        ),
        _rule(
            "departure",
            "Departure: {title}",
            "출국: {title}",
            Anchor.START,
            0,
            OVERSEAS,
            "The engagement's first day; a travel day is not moved.",
            roll=Roll.NONE,
        ),
        _rule(
            "return",
            "Return: {title}",
            "귀국: {title}",
            Anchor.END,
            0,
            OVERSEAS,
            "The engagement's last day; a travel day is not moved.",
            roll=Roll.NONE,
        ),
        _rule(
            "thank-you",
            "Send thank-you letters: {title}",
            "감사 서한 발송: {title}",
            Anchor.END,
            14,
            VISITS,
            "[assumed] Thank-you letters are a standard step after a visit either way "
            "(US Chief of Protocol guide); two weeks is our rule of thumb.",
        ),
        _rule(
            "result-report",
            "Result report due: {title}",
            "결과 보고서 제출: {title}",
            Anchor.END,
            15,
            OVERSEAS,
            "The result report of an overseas trip is due within 15 days of return (MOIS "
            "standard for local councils; [assumed] applied to the executive's trips too).",
        ),
    )
)
"""The rules the service uses unless configured otherwise."""

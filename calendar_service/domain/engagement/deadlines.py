"""Deadlines derived from an engagement by a stated, configurable rule set.

Each `DeadlineRule` counts days from the engagement's start or end and says which kinds,
directions and participations it applies to. `derive_deadlines` is a pure function of the
engagement's state, so its deadlines move when the engagement moves and vanish when it is
cancelled. Each item is its own calendar entry with a stable id `{engagement_id}--{rule}`,
marked derived, with the rule's name and text.

Working days: a due date that falls on a day `is_working_day` refuses (weekend, Korean public
holiday: see `workdays.py`) moves back to the previous working day, since finishing early is
always safe. Departure and return are travel days, not due dates: they stay on the engagement's
own days (Roll.NONE). While the when is imprecise (e.g. "June 2024"), rules count from the
earliest possible start and the latest possible end, and items are marked tentative.

A deadline set by hand (`DeadlineSet`, e.g. the inviter's RSVP date) replaces the derived item
of the rule with the same name, and is kept as given. To change the defaults, build a
`DeadlineRules` (or load one with `DeadlineRules.from_json`) and pass it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

from calendar_service.domain._checks import check_slug, check_text, check_zone
from calendar_service.domain._codec import decode_fields, encode
from calendar_service.domain.engagement.evolve import Engagement
from calendar_service.domain.engagement.records import ExplicitDeadline
from calendar_service.domain.engagement.values import (
    LANGUAGES,
    MAX_LONG_TEXT_CHARS,
    MAX_TEXT_CHARS,
    Direction,
    EngagementId,
    EngagementKind,
    EventStatus,
    LocalizedText,
    Participation,
)
from calendar_service.domain.engagement.when import Precision
from calendar_service.domain.errors import InvalidValue

WorkingDayPredicate = Callable[[date], bool]
"""True if a date is a working day of the office."""

MAX_OFFSET_DAYS = 400
MAX_ROLL_DAYS = 366
"""Search limit for a working day, so a predicate that refuses every day fails loudly."""
TITLE_PLACEHOLDER = "{title}"


class Anchor(StrEnum):
    START = "start"
    END = "end"


class Roll(StrEnum):
    """What to do with a date that is not a working day."""

    PREVIOUS_WORKING_DAY = "previous_working_day"
    NONE = "none"


@dataclass(frozen=True, kw_only=True)
class DeadlineRule:
    """`offset_days` from the engagement's `anchor` (negative: before), for the engagements
    whose kind, direction and participation are listed. `title` holds per-language templates
    in which '{title}' stands for the engagement's title; `basis` says why the rule exists."""

    name: str
    title: LocalizedText
    anchor: Anchor
    offset_days: int
    kinds: frozenset[EngagementKind]
    directions: frozenset[Direction]
    participations: frozenset[Participation]
    basis: str
    roll: Roll = Roll.PREVIOUS_WORKING_DAY

    def __post_init__(self) -> None:
        check_slug("rule.name", self.name, max_chars=40)
        offset = self.offset_days
        if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > MAX_OFFSET_DAYS:
            raise InvalidValue(
                "rule.offset_days",
                offset,
                f"give whole days from -{MAX_OFFSET_DAYS} to {MAX_OFFSET_DAYS}",
            )
        check_text("rule.basis", self.basis, max_chars=MAX_LONG_TEXT_CHARS)
        for field, value in (("kinds", self.kinds), ("directions", self.directions)):
            if not value:
                raise InvalidValue(f"rule.{field}", [], "list at least one")

    @cached_property
    def text(self) -> str:
        """The rule in words, e.g. '45 days before the engagement starts; ... Basis: ...'
        (worked out once per rule: every derived item quotes it)."""
        side = "starts" if self.anchor is Anchor.START else "ends"
        days = abs(self.offset_days)
        if days == 0:
            when = f"on the day the engagement {side}"
        else:
            relation = "before" if self.offset_days < 0 else "after"
            when = f"{days} day{'s' if days != 1 else ''} {relation} the engagement {side}"
        roll = (
            "; moved back to the previous working day when that is a weekend or public holiday"
            if self.roll is Roll.PREVIOUS_WORKING_DAY
            else ""
        )
        return f"{when[0].upper()}{when[1:]}{roll}. Basis: {self.basis}"

    def applies_to(self, engagement: Engagement) -> bool:
        return (
            engagement.status is not EventStatus.CANCELLED
            and engagement.kind in self.kinds
            and engagement.direction in self.directions
            and engagement.participation in self.participations
        )


@dataclass(frozen=True)
class DeadlineRules:
    """A rule set: rules with distinct names, and the office's zone the due dates are in."""

    rules: tuple[DeadlineRule, ...]
    office_tz: str = "Asia/Seoul"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        check_zone("rules.office_tz", self.office_tz)
        names = [rule.name for rule in self.rules]
        for name in names:
            if names.count(name) > 1:
                raise InvalidValue("rule.name", name, "two rules share this name")

    def get(self, name: str) -> DeadlineRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {"rules": encode(self.rules), "office_tz": self.office_tz}

    @classmethod
    def from_json(cls, raw: object, field: str = "rules") -> DeadlineRules:
        """A rule set from configuration, validated like any input."""
        return cls(**decode_fields(cls, raw, field))


@dataclass(frozen=True, kw_only=True)
class Deadline:
    """One deadline item: due on `due` (a date in zone `tz`), for `engagement_id`.

    `derived` is False for a deadline set by hand. `unadjusted` is the date before moving to a
    working day. `tentative` marks a date counted from an imprecise when.
    """

    id: str
    engagement_id: EngagementId
    rule: str
    title: LocalizedText
    due: date
    tz: str
    derived: bool
    rule_text: str
    unadjusted: date
    tentative: bool


def derive_deadlines(
    engagement: Engagement, rules: DeadlineRules, is_working_day: WorkingDayPredicate
) -> list[Deadline]:
    """The engagement's deadline items, by due date; none once it is cancelled."""
    if engagement.status is EventStatus.CANCELLED:
        return []
    by_hand = {deadline.key: deadline for deadline in engagement.deadlines}
    items: list[Deadline] = []
    for rule in rules.rules:
        if rule.applies_to(engagement):
            given = by_hand.get(rule.name)
            items.append(
                _derived(engagement, rule, rules.office_tz, is_working_day)
                if given is None
                else _set_by_hand(engagement, rule.name, given, rules, rule)
            )
    items.extend(
        _set_by_hand(engagement, key, deadline, rules, None)
        for key, deadline in by_hand.items()
        if rules.get(key) is None
    )
    return sorted(items, key=lambda item: (item.due, item.id))


def previous_working_day(day: date, is_working_day: WorkingDayPredicate) -> date:
    """`day` if it is a working day, else the closest working day before it."""
    for back in range(MAX_ROLL_DAYS + 1):
        candidate = day - timedelta(days=back)
        if is_working_day(candidate):
            return candidate
    raise InvalidValue(
        "is_working_day", day.isoformat(), f"no working day in the {MAX_ROLL_DAYS} days before"
    )


def _derived(
    engagement: Engagement,
    rule: DeadlineRule,
    office_tz: str,
    is_working_day: WorkingDayPredicate,
) -> Deadline:
    when = engagement.when
    anchor = when.first_day if rule.anchor is Anchor.START else when.last_day
    unadjusted = anchor + timedelta(days=rule.offset_days)
    due = (
        previous_working_day(unadjusted, is_working_day)
        if rule.roll is Roll.PREVIOUS_WORKING_DAY
        else unadjusted
    )
    tentative = when.precision <= Precision.RANGE_TBC
    counted = _counted_from(rule.anchor, anchor, tentative)
    return Deadline(
        id=deadline_id(engagement.id, rule.name),
        engagement_id=engagement.id,
        rule=rule.name,
        title=_title(rule.title, engagement.title),
        due=due,
        tz=office_tz,
        derived=True,
        rule_text=f"{rule.text} Counted from {counted}.",
        unadjusted=unadjusted,
        tentative=tentative,
    )


def _counted_from(anchor: Anchor, day: date, tentative: bool) -> str:
    if not tentative:
        return f"the {'first' if anchor is Anchor.START else 'last'} day, {day.isoformat()}"
    which = "earliest possible start" if anchor is Anchor.START else "latest possible end"
    return f"the {which}, {day.isoformat()}, while the dates are to be confirmed"


def _set_by_hand(
    engagement: Engagement,
    key: str,
    deadline: ExplicitDeadline,
    rules: DeadlineRules,
    rule: DeadlineRule | None,
) -> Deadline:
    if deadline.title is not None:
        title = deadline.title
    elif rule is not None:
        title = _title(rule.title, engagement.title)
    else:
        title = _title(_GENERIC_TITLE, engagement.title)
    return Deadline(
        id=deadline_id(engagement.id, key),
        engagement_id=engagement.id,
        rule=key,
        title=title,
        due=deadline.due,
        tz=rules.office_tz,
        derived=False,
        rule_text=f"Set by hand: {deadline.basis}",
        unadjusted=deadline.due,
        tentative=False,
    )


def deadline_id(engagement_id: EngagementId, rule: str) -> str:
    """The stable id of an engagement's deadline item for `rule`."""
    return f"{engagement_id}--{rule}"


def _title(template: LocalizedText, title: LocalizedText) -> LocalizedText:
    """The template's texts with the title put in. Built without LocalizedText's checks: each
    text is a checked template around a checked title, cut to fit (`_fill`), so it passes them;
    a derivation makes several, and the checks cost more than the rest of it."""
    filled = {
        lang: _fill(text, title.best(lang))
        for lang in LANGUAGES
        if (text := template.get(lang)) is not None
    }
    made = object.__new__(LocalizedText)
    made.__dict__.update({**dict.fromkeys(LANGUAGES), **filled, "label": "deadline.title"})
    return made


def _fill(template: str, title: str) -> str:
    room = MAX_TEXT_CHARS - len(template) + len(TITLE_PLACEHOLDER)
    if len(title) > room:
        title = title[: max(room - 1, 0)] + "…"
    return template.replace(TITLE_PLACEHOLDER, title)


_GENERIC_TITLE = LocalizedText(en="Deadline: {title}", ko="마감: {title}")

"""The records an engagement is made of: its details, agreements, recurrence, explicit deadlines.

Like everything in `values.py`, each constructor validates, so an instance is always valid.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from calendar_service.domain._checks import check_slug, check_text, check_type, check_zone
from calendar_service.domain.engagement.values import (
    MAX_LONG_TEXT_CHARS,
    MAX_TEXT_CHARS,
    Audience,
    Direction,
    EngagementKind,
    LocalizedText,
    Participant,
    Place,
)
from calendar_service.domain.engagement.when import (
    MAX_YEAR,
    MIN_YEAR,
    WHEN_TYPES,
    AllDayWhen,
    ImpreciseWhen,
    When,
)
from calendar_service.domain.errors import InvalidValue

MAX_PARTICIPANTS = 200
MAX_ALIASES = 20
MAX_AREAS = 20


def check_participants(field: str, participants: tuple[Participant, ...]) -> None:
    """At most MAX_PARTICIPANTS, each a Participant, no (party_id, role) twice."""
    if len(participants) > MAX_PARTICIPANTS:
        raise InvalidValue(field, len(participants), f"give at most {MAX_PARTICIPANTS}")
    seen: set[tuple[str, str]] = set()
    for participant in participants:
        check_type(field, participant, Participant, "a Participant")
        key = (participant.party_id, participant.role)
        if key in seen:
            raise InvalidValue(
                f"{field}.party_id",
                participant.party_id,
                f"it is listed twice with role {participant.role!r}",
            )
        seen.add(key)


@dataclass(frozen=True, kw_only=True)
class Description:
    """What an engagement is: kind, direction, titles, when and so on. The fields only: the
    details it is recorded with (validated) and its state (`evolve.Engagement`) both have them.

    `aliases` are other names the same engagement goes by ("Summer Davos", "AMNC"), used for
    search and deduplication.
    """

    kind: EngagementKind
    direction: Direction
    title: LocalizedText
    when: When
    place: Place | None = None
    participants: tuple[Participant, ...] = ()
    audience: Audience = Audience.STAFF
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class EngagementDetails(Description):
    """What an engagement is when first recorded, each field checked."""

    def __post_init__(self) -> None:
        check_type("details.kind", self.kind, EngagementKind, "a kind such as 'meeting'")
        check_type("details.direction", self.direction, Direction, "inbound, outbound or local")
        check_type("details.title", self.title, LocalizedText, "titles in en, ko and/or zh")
        if not isinstance(self.when, WHEN_TYPES):
            raise InvalidValue(
                "details.when", self.when, "give an exact, all-day or imprecise when"
            )
        if self.place is not None:
            check_type("details.place", self.place, Place, "a place")
        check_type("details.audience", self.audience, Audience, "public, staff or restricted")
        if type(self.participants) is not tuple:  # tuple() of a tuple is that very tuple
            object.__setattr__(self, "participants", tuple(self.participants))
        if type(self.aliases) is not tuple:
            object.__setattr__(self, "aliases", tuple(self.aliases))
        check_participants("details.participants", self.participants)
        check_aliases("details.aliases", self.aliases)


def check_aliases(field: str, aliases: tuple[str, ...]) -> None:
    if len(aliases) > MAX_ALIASES:
        raise InvalidValue(field, len(aliases), f"give at most {MAX_ALIASES}")
    for alias in aliases:
        check_text(field, alias, max_chars=MAX_TEXT_CHARS)


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """A signed agreement: its id, names, areas it covers, signatories' party ids, date."""

    agreement_id: str
    name: LocalizedText
    areas: tuple[str, ...] = ()
    signatories: tuple[str, ...] = ()
    signed_on: date | None = None

    def __post_init__(self) -> None:
        check_slug("agreement.agreement_id", self.agreement_id)
        check_type("agreement.name", self.name, LocalizedText, "names in en, ko and/or zh")
        object.__setattr__(self, "areas", tuple(self.areas))
        object.__setattr__(self, "signatories", tuple(self.signatories))
        if len(self.areas) > MAX_AREAS:
            raise InvalidValue("agreement.areas", len(self.areas), f"give at most {MAX_AREAS}")
        for area in self.areas:
            check_text("agreement.areas", area, max_chars=MAX_TEXT_CHARS)
        for party_id in self.signatories:
            check_slug("agreement.signatories", party_id)
        if self.signed_on is not None:
            check_date("agreement.signed_on", self.signed_on)


@dataclass(frozen=True, kw_only=True)
class Recurrence:
    """A yearly observance since `since_year`, in `month` and, when known, on `day`.

    With no `day` (the 1993 sisterhood's day is unknown), each occurrence is month-precise:
    the domain never makes up a day. A 29 February falls on the 28th in other years.
    """

    month: int
    day: int | None = None
    since_year: int
    tz: str

    def __post_init__(self) -> None:
        _check_int("recurrence.month", self.month, 1, 12)
        _check_int("recurrence.since_year", self.since_year, MIN_YEAR, MAX_YEAR)
        if self.day is not None:
            _check_int("recurrence.day", self.day, 1, calendar.monthrange(2024, self.month)[1])
        check_zone("recurrence.tz", self.tz)

    def occurrence(self, year: int) -> When:
        """The observance in `year` (which must not be before `since_year`)."""
        if not self.since_year <= year <= MAX_YEAR:
            raise InvalidValue(
                "recurrence.year", year, f"give a year from {self.since_year} to {MAX_YEAR}"
            )
        if self.day is None:
            return ImpreciseWhen.month(f"{year:04d}-{self.month:02d}", self.tz)
        day = min(self.day, calendar.monthrange(year, self.month)[1])
        return AllDayWhen.on(date(year, self.month, day), self.tz)

    def first(self) -> When:
        return self.occurrence(self.since_year)

    def ordinal(self, year: int) -> int:
        """Which anniversary falls in `year`: 31 for 2024 since 1993."""
        return year - self.since_year


def check_date(field: str, value: object) -> date:
    """A plain calendar date (not a datetime) within MIN_YEAR..MAX_YEAR."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValue(field, value, "give a date such as 2024-05-10")
    _check_int(field, value.year, MIN_YEAR, MAX_YEAR)
    return value


def _check_int(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(field, value, f"give a whole number from {low} to {high}")
    return value


@dataclass(frozen=True, kw_only=True)
class ExplicitDeadline:
    """A deadline someone set by hand (an inviter's RSVP date), due on `due` in the office zone.

    A `key` equal to a deadline rule's name replaces that rule's derived item; any other key
    adds an item. `basis` says where the date comes from.
    """

    key: str
    due: date
    basis: str
    title: LocalizedText | None = None

    def __post_init__(self) -> None:
        check_slug("deadline.key", self.key, max_chars=60)
        check_date("deadline.due", self.due)
        check_text("deadline.basis", self.basis, max_chars=MAX_LONG_TEXT_CHARS, newlines=True)
        if self.title is not None:
            check_type("deadline.title", self.title, LocalizedText, "titles in en, ko, zh")

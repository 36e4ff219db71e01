"""Value objects of the engagement domain. Constructors validate; an instance is always valid.

Ids and text: `EngagementId`, `LocalizedText`. Classifications: `EngagementKind`, `Direction`,
`Audience`, `EventStatus`, `Participation`, `Channel`, `Origin`, `Confidence`. Compound values:
`Place`, `Participant`, `Source`, `ReminderPolicy`. Whens live in `when.py`; the records an
engagement is made of (details, agreements, recurrences, explicit deadlines) in `records.py`.
Every value serialises through `calendar_service.domain._codec` (plain JSON dicts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, ClassVar

from calendar_service.domain._checks import check_code, check_slug, check_text, check_zone
from calendar_service.domain.durations import format_duration, parse_duration
from calendar_service.domain.errors import InvalidValue

MAX_TEXT_CHARS = 300
"""Longest title, name or alias in any one language."""
MAX_QUOTE_CHARS = 300
"""Longest quote of a source: a sentence, never the whole article."""
MAX_LONG_TEXT_CHARS = 4000
"""Longest note, claim or reason."""
MAX_REMINDER_OFFSETS = 10
MAX_REMINDER_OFFSET = timedelta(days=366)
LANGUAGES = ("en", "ko", "zh")
"""The calendar's languages, in the order its word tables give them: the one definition."""
_LANGUAGE_SET = frozenset(LANGUAGES)
_COUNTRY = re.compile(r"[A-Z]{2}")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]{1,2000}")


@dataclass(frozen=True, order=True)
class EngagementId:
    """An engagement's stable id: a slug such as 'summer-davos-2024-dalian' (no '--')."""

    value: str

    def __post_init__(self) -> None:
        check_slug("engagement_id", self.value)

    def __str__(self) -> str:
        return self.value

    def to_json(self) -> str:
        return self.value

    @classmethod
    def from_json(cls, raw: object, field: str = "engagement_id") -> EngagementId:
        return cls(raw)  # type: ignore[arg-type]  # the constructor checks the type


@dataclass(frozen=True)
class LocalizedText:
    """A text in English, Korean and Chinese; any may be missing, but not all.

    Each present text has 1 to MAX_TEXT_CHARS characters and no control character other than
    newline. `label` names the field in error messages ("title" gives "title.en").
    """

    en: str | None = None
    ko: str | None = None
    zh: str | None = None
    label: str = field(default="text", compare=False, repr=False)

    def __post_init__(self) -> None:
        en, ko, zh = self.en, self.ko, self.zh
        if en is None and ko is None and zh is None:
            raise InvalidValue(self.label, {}, "give it in at least one of en, ko, zh")
        if en is not None:
            check_text(f"{self.label}.en", en, max_chars=MAX_TEXT_CHARS, newlines=True)
        if ko is not None:
            check_text(f"{self.label}.ko", ko, max_chars=MAX_TEXT_CHARS, newlines=True)
        if zh is not None:
            check_text(f"{self.label}.zh", zh, max_chars=MAX_TEXT_CHARS, newlines=True)

    def get(self, lang: str) -> str | None:
        """The text in `lang`, or None if it is missing (or `lang` is not en, ko or zh)."""
        return getattr(self, lang) if lang in _LANGUAGE_SET else None

    def best(self, lang: str) -> str:
        """The text in `lang`, else the first present of en, ko, zh."""
        wanted = self.get(lang)
        if wanted is not None:
            return wanted
        return next(text for text in (self.en, self.ko, self.zh) if text is not None)

    def texts(self) -> tuple[str, ...]:
        """Every present text, in en, ko, zh order."""
        return tuple(text for text in (self.en, self.ko, self.zh) if text is not None)

    def to_json(self) -> dict[str, str]:
        data = {}
        if self.en is not None:
            data["en"] = self.en
        if self.ko is not None:
            data["ko"] = self.ko
        if self.zh is not None:
            data["zh"] = self.zh
        return data

    @classmethod
    def from_json(cls, raw: object, field: str = "text") -> LocalizedText:
        if not isinstance(raw, dict):
            raise InvalidValue(field, raw, "give an object with en, ko and/or zh texts")
        unknown = set(raw) - set(LANGUAGES)
        if unknown:
            raise InvalidValue(f"{field}.{sorted(map(str, unknown))[0]}", raw, "use en, ko or zh")
        return cls(en=raw.get("en"), ko=raw.get("ko"), zh=raw.get("zh"), label=field)


class EngagementKind(StrEnum):
    MEETING = "meeting"
    VISIT = "visit"
    FORUM = "forum"
    EXPO = "expo"
    SIGNING = "signing"
    ANNIVERSARY = "anniversary"
    DEADLINE = "deadline"


class Direction(StrEnum):
    """Who travels: OUTBOUND is an overseas trip, INBOUND a foreign visit hosted at home."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    LOCAL = "local"


class Audience(StrEnum):
    """Who may see an engagement, widest first: public < staff < restricted."""

    PUBLIC = "public"
    STAFF = "staff"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return _AUDIENCE_RANK[self]

    def admits(self, item: Audience) -> bool:
        """True if a feed for this audience may show an item meant for `item`."""
        return item.rank <= self.rank


_AUDIENCE_RANK = {Audience.PUBLIC: 0, Audience.STAFF: 1, Audience.RESTRICTED: 2}


class Visibility(StrEnum):
    """Who may read a note or a history entry: the office's staff only (internal, the
    default), or anyone who may see its engagement (public: marked so when written)."""

    INTERNAL = "internal"
    PUBLIC = "public"


class EventStatus(StrEnum):
    """The engagement's own status, whatever the province does (Davos happens regardless)."""

    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    HELD = "held"
    CANCELLED = "cancelled"


class Participation(StrEnum):
    """The province's part in the engagement, kept apart from its EventStatus."""

    NOT_APPLICABLE = "not_applicable"
    INVITED = "invited"
    DECISION_PENDING = "decision_pending"
    ATTENDING = "attending"
    DECLINED = "declined"
    DELEGATED = "delegated"


class Channel(StrEnum):
    """How a subscriber is reached: email, the team's chat webhook, or calendar invitations by
    email (`invite`, a subscriber's channel only: reminders go by email or webhook)."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    INVITE = "invite"


REMINDER_CHANNELS = frozenset({Channel.EMAIL, Channel.WEBHOOK})


class Origin(StrEnum):
    """Where a fact comes from: the seed article, another public source, or our assumption."""

    ARTICLE = "article"
    EXTERNAL = "external"
    ASSUMED = "assumed"


class Confidence(StrEnum):
    CONFIRMED = "confirmed"
    PROBABLE = "probable"
    UNCONFIRMED = "unconfirmed"


def check_optional_slug(field: str, value: str | None) -> None:
    if value is not None:
        check_slug(field, value)


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where: a named place and/or a city, with its country (ISO 3166 alpha-2) and IANA zone.

    `confidence` is PROBABLE when inferred (the Expo's city from earlier years); `basis` says
    why. `place_id` points into the names directory when the place is registered there.
    """

    name: LocalizedText | None = None
    city: LocalizedText | None = None
    country: str
    tz: str
    confidence: Confidence = Confidence.CONFIRMED
    basis: str | None = None
    place_id: str | None = None

    def __post_init__(self) -> None:
        if self.name is None and self.city is None:
            raise InvalidValue("place", None, "give a name, a city, or both")
        if not isinstance(self.country, str) or _COUNTRY.fullmatch(self.country) is None:
            raise InvalidValue(
                "place.country", self.country, "use an ISO 3166 alpha-2 code such as 'KR'"
            )
        check_zone("place.tz", self.tz)
        if self.basis is not None:
            check_text("place.basis", self.basis, max_chars=MAX_LONG_TEXT_CHARS)
        check_optional_slug("place.place_id", self.place_id)


@dataclass(frozen=True, kw_only=True)
class Participant:
    """Someone taking part: a directory id (person or organisation), a role, optionally a name."""

    party_id: str
    role: str
    name: LocalizedText | None = None
    organization_id: str | None = None

    def __post_init__(self) -> None:
        check_slug("participant.party_id", self.party_id)
        check_code("participant.role", self.role)
        check_optional_slug("participant.organization_id", self.organization_id)


@dataclass(frozen=True, kw_only=True)
class Source:
    """Provenance of a fact: where it comes from and what supports it.

    An ARTICLE source quotes the supporting sentence (at most MAX_QUOTE_CHARS); an EXTERNAL one
    names its reference or URL and paraphrases it as a `claim`; an ASSUMED one states the claim
    we made. Every source has a quote or a claim.
    """

    origin: Origin
    ref: str | None = None
    quote: str | None = None
    claim: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.origin, Origin):
            raise InvalidValue("source.origin", self.origin, "use article, external or assumed")
        if self.quote is not None:
            check_text("source.quote", self.quote, max_chars=MAX_QUOTE_CHARS)
        if self.claim is not None:
            check_text("source.claim", self.claim, max_chars=MAX_LONG_TEXT_CHARS, newlines=True)
        if self.ref is not None:
            check_text("source.ref", self.ref, max_chars=MAX_TEXT_CHARS)
        if self.url is not None and (
            not isinstance(self.url, str) or _URL.fullmatch(self.url) is None
        ):
            raise InvalidValue("source.url", self.url, "give an http or https URL")
        self._check_support()

    def _check_support(self) -> None:
        if self.quote is None and self.claim is None:
            raise InvalidValue("source.quote", None, "give a quote or a claim")
        if self.origin is Origin.ARTICLE and self.quote is None:
            raise InvalidValue("source.quote", None, "an article source quotes its sentence")
        if self.origin is Origin.EXTERNAL and self.ref is None and self.url is None:
            raise InvalidValue("source.ref", None, "an external source needs a ref or a URL")


@dataclass(frozen=True)
class ReminderPolicy:
    """When to remind before an engagement starts, and through which channels.

    `offsets` are non-negative durations before the start (at most MAX_REMINDER_OFFSETS, each
    up to MAX_REMINDER_OFFSET), kept sorted longest first without repeats. With no channels,
    reminders only appear as feed alarms.
    """

    offsets: tuple[timedelta, ...]
    channels: frozenset[Channel] = frozenset()
    FIELD: ClassVar[str] = "reminder_policy"

    def __post_init__(self) -> None:
        offsets = tuple(self.offsets)
        if not offsets or len(offsets) > MAX_REMINDER_OFFSETS:
            raise InvalidValue(
                f"{self.FIELD}.offsets",
                [_format_offset(offset) for offset in offsets],
                f"give 1 to {MAX_REMINDER_OFFSETS} offsets",
            )
        for offset in offsets:
            _check_offset(offset)
        for channel in self.channels:
            if channel not in REMINDER_CHANNELS:
                raise InvalidValue(f"{self.FIELD}.channels", channel, "use email or webhook")
        object.__setattr__(self, "offsets", tuple(sorted(set(offsets), reverse=True)))
        object.__setattr__(self, "channels", frozenset(self.channels))

    @classmethod
    def parse(cls, offsets: Iterable[str], channels: Iterable[str] = ()) -> ReminderPolicy:
        """A policy from ISO 8601 texts such as ["P30D", "PT2H"] and channel names."""
        parsed = tuple(parse_duration(f"{cls.FIELD}.offsets", text) for text in offsets)
        return cls(parsed, frozenset(_channel(name) for name in channels))

    def describe(self) -> str:
        names = ", ".join(sorted(self.channels)) or "feed alarms only"
        return f"{' '.join(map(format_duration, self.offsets))} before ({names})"


def _format_offset(offset: Any) -> Any:
    return format_duration(offset) if isinstance(offset, timedelta) else offset


def _check_offset(offset: object) -> None:
    field = f"{ReminderPolicy.FIELD}.offsets"
    if not isinstance(offset, timedelta):
        raise InvalidValue(field, offset, "give durations such as P30D or PT2H")
    if offset < timedelta(0) or offset > MAX_REMINDER_OFFSET or offset.microseconds:
        raise InvalidValue(
            field,
            str(offset),
            f"give a whole number of seconds from PT0S to P{MAX_REMINDER_OFFSET.days}D before "
            "the start",
        )


def _channel(name: str) -> Channel:
    try:
        channel = Channel(name)
        if channel not in REMINDER_CHANNELS:
            raise ValueError(name)
        return channel
    except ValueError:
        raise InvalidValue(
            f"{ReminderPolicy.FIELD}.channels", name, "use email or webhook"
        ) from None

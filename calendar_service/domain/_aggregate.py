"""What the small aggregates share: feeds, staff tokens, staff subscriptions, reminder outcomes.

Each of them writes its facts as frozen dataclasses derived from `Fact`, a `_codec.StoredFact`
as the engagement's events are (the type name is the class name, the data is the fields),
registers them in a type map made by `event_types`, and decodes stored data with a function made
by `decoder`. The checks here are the ones two or more of them apply to the same field. The
engagement's events (`engagement/events.py`) derive from `DomainEvent` instead: theirs carry
the engagement and the sources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from calendar_service.domain._checks import check_text, check_type
from calendar_service.domain._codec import StoredFact
from calendar_service.domain.engagement.values import LANGUAGES
from calendar_service.domain.errors import InvalidValue

MAX_REASON_CHARS = 500
"""Longest reason a revocation or an unsubscription may give."""
_TOKEN_HASH = re.compile(r"[0-9a-f]{64}")

F = TypeVar("F", bound="Fact")


@dataclass(frozen=True, kw_only=True)
class Fact(StoredFact):
    """A fact of a small aggregate: stored under its class name, as its encoded fields."""

    def __post_init__(self) -> None:
        """Where a fact checks its fields: nothing to check here. `Ended` calls it through
        super(), so the id its other base checks is checked before the reason."""


@dataclass(frozen=True, kw_only=True)
class Ended(Fact):
    """A fact that ends something for good (a feed, a staff token, a subscription), with the
    reason given, if any. Listed first among the bases (`FeedRevoked(Ended, FeedEvent)`), so
    `reason` follows the id in the stored data."""

    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_reason(self.reason)


def event_types(union: object) -> Mapping[str, type[Any]]:
    """Type name (as stored) -> class, for each class of the union type `union`."""
    return {cls.__name__: cls for cls in get_args(union)}


def decoder(types: Mapping[str, type[F]], what: str) -> Callable[[str, Mapping[str, Any]], F]:
    """The function that rebuilds a fact of `types` from its stored type name and data;
    InvalidValue for a type name that is not one of `what` event types."""

    def decode(event_type: str, data: Mapping[str, Any]) -> F:
        cls = types.get(event_type)
        if cls is None:
            raise InvalidValue("type", event_type, f"it is not a known {what} type")
        return cls.from_data(data)

    return decode


def check_token_hash(value: object) -> str:
    """64 lowercase hex digits: the SHA-256 of a secret (`feeds.hash_token`)."""
    text = check_type("token_hash", value, str, "the SHA-256 of the token in hex")
    if _TOKEN_HASH.fullmatch(text) is None:
        raise InvalidValue("token_hash", value, "give 64 lowercase hex digits (hash_token)")
    return text


def check_lang(value: object) -> str:
    """One of the languages the calendar is written in."""
    if value not in LANGUAGES:
        raise InvalidValue("lang", value, "use one of en, ko, zh")
    return str(value)


def check_reason(value: str | None) -> None:
    """None, or a non-blank text of at most MAX_REASON_CHARS (newlines allowed)."""
    if value is not None:
        check_text("reason", value, max_chars=MAX_REASON_CHARS, newlines=True)

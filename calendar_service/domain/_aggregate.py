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
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Generic, Protocol, TypeVar, get_args

from calendar_service.domain._checks import check_text, check_type
from calendar_service.domain._codec import StoredFact, field_values
from calendar_service.domain.engagement.values import LANGUAGES
from calendar_service.domain.errors import AlreadyExists, InvalidValue, NotFound

MAX_REASON_CHARS = 500
"""Longest reason a revocation or an unsubscription may give."""
_TOKEN_HASH = re.compile(r"[0-9a-f]{64}")

F = TypeVar("F", bound="Fact")
S = TypeVar("S", bound="Revocable")
C = TypeVar("C", bound="_Command")
E = TypeVar("E", bound="Fact")


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


class _Command(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]
    VERB: ClassVar[str]


@dataclass(frozen=True, kw_only=True)
class Revocable:
    """What the state of something created once and revoked for good holds besides its own
    fields (which come after these)."""

    revoked: bool = False
    revoke_reason: str | None = None


@dataclass(frozen=True)
class CreatedOnce(Generic[S, C, E]):
    """The life of a feed and of a staff token: created once under an id that must be free,
    revoked for good (revoking it again decides nothing: it already is what was asked).

    Given as the `state` class, the (create, revoke) `commands`, their (created, revoked)
    `facts` and the (not found, already exists) `errors`. The creating command's fields are
    its fact's, and the fact's the state's; the revoking command's fields are its `Ended`
    fact's, whose reason the state keeps. Each command names the id first.
    """

    state: type[S]
    commands: tuple[type[C], type[C]]
    facts: tuple[type[E], type[E]]
    errors: tuple[type[NotFound], type[AlreadyExists]]

    def decide(self, state: S | None, command: C) -> list[E]:
        """The events `command` produces against `state` (None: no such thing yet)."""
        create, _ = self.commands
        created, revoked = self.facts
        not_found, already_exists = self.errors
        if isinstance(command, create):
            if state is not None:
                raise already_exists(self._id(command), command.VERB)
            return [created(**field_values(command))]
        if state is None:
            raise not_found(self._id(command), command.VERB)
        return [] if state.revoked else [revoked(**field_values(command))]

    def evolve(self, state: S | None, event: E) -> S:
        """The state after `event`; the not-found error for a revocation of nothing."""
        if not isinstance(event, Ended):
            return self.state(**field_values(event))
        if state is None:
            raise self.missing(event)
        return replace(state, revoked=True, revoke_reason=event.reason)

    def missing(self, revoked: E) -> NotFound:
        """The error for the revocation `revoked` of nothing."""
        return self.errors[0](self._id(revoked), self.commands[1].VERB)

    def _id(self, record: object) -> str:
        id_field = fields(self.commands[0])[0].name
        return str(getattr(record, id_field))


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

"""Staff bearer tokens: who may write to the calendar through the API, and who administers it.

A staff token names an `actor` (a person or an office: what every event the token causes will
carry), whether it is an administrator's, and its `clearance`: the widest audience it may read
(public, staff or restricted; an administrator's is restricted). A token issued before
clearances existed has none in its event and reads as `default_clearance(admin)`: restricted
if it was an administrator's, else staff. The token itself is drawn outside the domain (the
domain draws no random numbers); only its SHA-256 (`hash_token`, shared with the feeds) enters
an event, so the log, its backups and the views never hold a usable token. A token lives in its
own stream, `token:{token_id}` (`token_stream`).

Facts: `StaffTokenIssued`, `StaffTokenRevoked`; intents: `IssueStaffToken`, `RevokeStaffToken`.
`decide_token(state, command)` returns the events (revoking a revoked token decides nothing: it
already is what was asked) and `evolve_token(state, event)` folds one into `StaffToken`.
`TOKEN_EVENT_TYPES` is the registry readers decode with (`token_event_from_data`).

Errors::

    DomainError
    ├── StaffTokenNotFound        a command for a token id that was never issued
    └── StaffTokenAlreadyExists   issuing under a token id that is taken
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from calendar_service.domain._aggregate import (
    CreatedOnce,
    Ended,
    Fact,
    Revocable,
    check_token_hash,
    decoder,
    event_types,
)
from calendar_service.domain._checks import check_slug, check_text, check_type
from calendar_service.domain.engagement.values import Audience
from calendar_service.domain.errors import AlreadyExists, InvalidValue, NotFound

TOKEN_STREAM_PREFIX = "token:"  # noqa: S105  # a stream name, not a secret
MAX_ACTOR_CHARS = 100


def token_stream(token_id: str) -> str:
    """The event stream that holds one staff token's history."""
    return f"{TOKEN_STREAM_PREFIX}{token_id}"


class StaffTokenNotFound(NotFound):
    MESSAGE = (
        "cannot {command}: token_id {id!r} names no staff token; "
        "list them with `calendar-service tokens list`"
    )


class StaffTokenAlreadyExists(AlreadyExists):
    MESSAGE = "cannot issue staff token {id!r}: the id is taken; choose another"


def default_clearance(admin: bool) -> Audience:
    """The clearance of a token whose event names none (issued before clearances existed):
    restricted for an administrator's, staff for any other."""
    return Audience.RESTRICTED if admin else Audience.STAFF


def check_clearance(admin: bool, clearance: Audience) -> None:
    """An administrator reads everything: an admin token's clearance is restricted."""
    if admin and clearance is not Audience.RESTRICTED:
        raise InvalidValue(
            "clearance", clearance.value, "an administrator's token is cleared for restricted"
        )


def check_token_id(value: object) -> str:
    return check_slug("token_id", value, max_chars=64)


def check_actor(value: object) -> str:
    """A name for the log: visible text of 1 to MAX_ACTOR_CHARS characters on one line."""
    return check_text("actor", value, max_chars=MAX_ACTOR_CHARS)


@dataclass(frozen=True, kw_only=True)
class TokenEvent(Fact):
    """What every staff-token event has: the token it belongs to."""

    token_id: str

    def __post_init__(self) -> None:
        check_token_id(self.token_id)


@dataclass(frozen=True, kw_only=True)
class StaffTokenIssued(TokenEvent):
    """A token was issued: requests bearing it act as `actor`, with admin rights if `admin`,
    and read what `clearance` admits (None, in events from before clearances: see
    `default_clearance`; it is filled in on reading, so the state always has one)."""

    actor: str
    admin: bool
    token_hash: str
    clearance: Audience | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_actor(self.actor)
        check_type("admin", self.admin, bool, "true or false")
        check_token_hash(self.token_hash)
        clearance = default_clearance(self.admin) if self.clearance is None else self.clearance
        check_type("clearance", clearance, Audience, "public, staff or restricted")
        check_clearance(self.admin, clearance)
        object.__setattr__(self, "clearance", clearance)


@dataclass(frozen=True, kw_only=True)
class StaffTokenRevoked(Ended, TokenEvent):
    """The token no longer works, for good."""


TokenEventType = StaffTokenIssued | StaffTokenRevoked
TOKEN_EVENT_TYPES: Mapping[str, type[TokenEventType]] = event_types(TokenEventType)
"""Staff-token event type name (as stored) -> class."""
token_event_from_data = decoder(TOKEN_EVENT_TYPES, "staff token event")
"""The staff-token event of a stored type name and data."""


@dataclass(frozen=True, kw_only=True)
class IssueStaffToken:
    token_id: str
    actor: str
    admin: bool
    token_hash: str
    clearance: Audience | None = None
    VERB: ClassVar[str] = "issue the staff token"


@dataclass(frozen=True, kw_only=True)
class RevokeStaffToken:
    token_id: str
    reason: str | None = None
    VERB: ClassVar[str] = "revoke the staff token"


TokenCommand = IssueStaffToken | RevokeStaffToken


@dataclass(frozen=True, kw_only=True)
class StaffToken(Revocable):
    token_id: str
    actor: str
    admin: bool
    token_hash: str
    clearance: Audience | None = None


TOKEN_LIFE: CreatedOnce[StaffToken, TokenCommand, TokenEventType] = CreatedOnce(
    StaffToken,
    (IssueStaffToken, RevokeStaffToken),
    (StaffTokenIssued, StaffTokenRevoked),
    (StaffTokenNotFound, StaffTokenAlreadyExists),
)
"""A staff token's life: created once, revoked for good."""
decide_token = TOKEN_LIFE.decide
evolve_token = TOKEN_LIFE.evolve

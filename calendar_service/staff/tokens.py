"""Staff bearer tokens: issue, revoke, list, and authenticate a request's token.

The write path of a token is its own stream, `token:{token_id}`: load it, `decide_token`,
append with the version it was read at. The secret is drawn here (`secrets.token_urlsafe`, 256
bits), handed back once and never stored: the log keeps its SHA-256 only.

Revocation takes effect at once: `revoke_token` (and `issue_token`, so a new token works on the
first request) returns only after the staff tokens projection has applied its event (`settle`).
`authenticate` reads the token's row on every request; on an unknown hash it catches the
projection up once before refusing, so a token issued by another process (the CLI) works
even if no worker has projected it yet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from calendar_service.domain import hash_token
from calendar_service.domain.staff_tokens import (
    IssueStaffToken,
    RevokeStaffToken,
    StaffToken,
    StaffTokenNotFound,
    TokenEventType,
    check_actor,
    decide_token,
    evolve_token,
    token_event_from_data,
    token_stream,
)
from calendar_service.eventstore import ConcurrencyError, EventStore, NewEvent
from calendar_service.projections import ProjectionError, Projector
from calendar_service.projections.staff_tokens import (
    NAME,
    StaffTokenRow,
    all_tokens,
    token_by_id,
    token_for_secret,
)

MAX_ATTEMPTS = 3
TOKEN_BYTES = 32
"""Random bytes per token: 256 bits, 43 URL-safe characters."""
MAX_TOKEN_CHARS = 256
"""A presented token longer than this is refused without hashing it."""
AUTH_SETTLE_SECONDS = 5.0
"""Longest a request with an unknown token waits for the projection before it is refused."""
"""Seconds `settle` waits beyond the catch-up lease (after which a crashed holder's lease has
expired and this process takes the projection over)."""


class TokensNotSettled(ProjectionError):
    """The event is in the log, but the staff tokens projection did not apply it in time."""

    def __init__(self, position: int, checkpoint: int, waited: float) -> None:
        super().__init__(
            f"the change is recorded (log position {position}), but the staff tokens projection "
            f"is still at {checkpoint} after {waited:.0f} s, so it takes effect only once that "
            "projection catches up: run `calendar-service projections catch-up staff_tokens`"
        )


@dataclass(frozen=True)
class IssuedToken:
    """A new staff token and its secret: the only time the secret exists outside a client."""

    row: StaffTokenRow
    token: str


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the actor recorded on its events, and whether an admin."""

    token_id: str
    actor: str
    admin: bool


def issue_token(
    store: EventStore, projector: Projector, *, actor: str, admin: bool = False, by: str
) -> IssuedToken:
    """Record a new token for `actor` and return it with its secret, once the API knows it."""
    check_actor(actor)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_id = secrets.token_hex(6)
    command = IssueStaffToken(
        token_id=token_id, actor=actor, admin=admin, token_hash=hash_token(token)
    )
    position = _append(store, token_id, decide_token(None, command), by, expected_version=0)
    settle(projector, position)
    row = token_by_id(projector.views, token_id)
    assert row is not None, "settled, so the projection has the token"
    return IssuedToken(row, token)


def revoke_token(
    store: EventStore,
    projector: Projector,
    token_id: str,
    *,
    reason: str | None = None,
    by: str,
) -> bool:
    """Revoke the token for good; True if this call revoked it, False if it already was.

    Returns once the projection has applied the revocation, so the next request bearing the
    token is refused, in any process. StaffTokenNotFound for an unknown id.
    """
    for attempt in range(MAX_ATTEMPTS):
        state, version = load_token(store, token_id)
        events = decide_token(state, RevokeStaffToken(token_id=token_id, reason=reason))
        if not events:
            return False
        try:
            position = _append(store, token_id, events, by, expected_version=version)
        except ConcurrencyError:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            continue
        settle(projector, position)
        return True
    raise AssertionError("unreachable")  # pragma: no cover


def load_token(store: EventStore, token_id: str) -> tuple[StaffToken | None, int]:
    """The token as its stream says now, and the stream version it was read at."""
    stored = store.read_stream(token_stream(token_id))
    state: StaffToken | None = None
    for event in stored:
        state = evolve_token(state, token_event_from_data(event.type, event.data))
    return state, len(stored)


def list_tokens(projector: Projector) -> list[StaffTokenRow]:
    """Every staff token (revoked ones too), oldest first, after catching the projection up."""
    projector.catch_up(NAME)
    return all_tokens(projector.views)


def authenticate(projector: Projector, token: str) -> Principal | None:
    """Who `token` acts as, or None if it is unknown or revoked.

    An unknown hash may be a token issued a moment ago by another process: the projection is
    caught up once (in this process, or by waiting for whoever holds the lease) and asked again.
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    row = token_for_secret(projector.views, token)
    if row is None:
        head = projector.store.head()
        if projector.views.checkpoint(NAME) < head:
            try:
                settle(projector, head, timeout=AUTH_SETTLE_SECONDS)
            except TokensNotSettled:
                return None
            row = token_for_secret(projector.views, token)
    if row is None or row.revoked:
        return None
    return Principal(row.token_id, row.actor, row.admin)


def settle(projector: Projector, position: int, timeout: float | None = None) -> None:
    """Return once the staff tokens projection has applied the event at `position`."""
    projector.wait_for(NAME, position, timeout, TokensNotSettled)


def _append(
    store: EventStore,
    token_id: str,
    events: list[TokenEventType],
    actor: str,
    *,
    expected_version: int,
) -> int:
    result = store.append(
        token_stream(token_id),
        [
            NewEvent(
                type=event.event_type,
                data=event.to_data(),
                schema_version=event.SCHEMA_VERSION,
                actor=actor,
            )
            for event in events
        ],
        expected_version=expected_version,
    )
    return result.positions[-1]


__all__ = [
    "IssuedToken",
    "Principal",
    "StaffTokenNotFound",
    "TokensNotSettled",
    "authenticate",
    "issue_token",
    "list_tokens",
    "load_token",
    "revoke_token",
    "settle",
]

"""Staff bearer tokens: issue, revoke, list, and authenticate a request's token.

A token's commands go through the one write path (`service.settle`, which handles them with
`service.STAFF_TOKEN`): its own stream, `token:{token_id}`. The secret is drawn here
(`secrets.token_urlsafe`, 256 bits), handed back once and never stored: the log keeps its
SHA-256 only.

Revocation takes effect at once: settling a `RevokeStaffToken` (and `issue_token`, so a new
token works on the first request) returns only after the staff tokens projection has applied
its event (`NotSettled` if it cannot in time). `authenticate` reads the
token's row on every request; on an unknown hash it catches the projection up once before
refusing, so a token issued by another process (the CLI) works even if no worker has
projected it yet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from calendar_service.domain import Audience, hash_token
from calendar_service.domain.staff_tokens import (
    IssueStaffToken,
    StaffTokenNotFound,
    check_actor,
    default_clearance,
)
from calendar_service.eventstore import EventStore
from calendar_service.eventstore.port import utc_now
from calendar_service.projections import Projector
from calendar_service.projections.projector import NotSettled
from calendar_service.projections.staff_tokens import (
    NAME,
    StaffTokenRow,
    all_tokens,
    token_by_id,
    token_for_secret,
)
from calendar_service.service import Clock, Envelope, settle

TOKEN_BYTES = 32
"""Random bytes per token: 256 bits, 43 URL-safe characters."""
MAX_TOKEN_CHARS = 256
"""A presented token longer than this is refused without hashing it."""
AUTH_SETTLE_SECONDS = 5.0
"""Longest a request with an unknown token waits for the projection before it is refused."""


@dataclass(frozen=True)
class IssuedToken:
    """A new staff token and its secret: the only time the secret exists outside a client."""

    row: StaffTokenRow
    token: str


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the actor recorded on its events, whether an admin, and the
    widest audience it may read (`clearance`)."""

    token_id: str
    actor: str
    admin: bool
    clearance: Audience = Audience.STAFF


def issue_token(
    store: EventStore,
    projector: Projector,
    *,
    actor: str,
    admin: bool = False,
    clearance: Audience | None = None,
    by: str,
    clock: Clock = utc_now,
) -> IssuedToken:
    """Record a new token for `actor` and return it with its secret, once the API knows it.
    Without a `clearance`, an admin token's is restricted and another's staff."""
    check_actor(actor)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_id = secrets.token_hex(6)
    command = IssueStaffToken(
        token_id=token_id,
        actor=actor,
        admin=admin,
        token_hash=hash_token(token),
        clearance=default_clearance(admin) if clearance is None else clearance,
    )
    settle(store, projector, command, Envelope(actor=by), clock)
    row = token_by_id(projector.views, token_id)
    assert row is not None, "settled, so the projection has the token"
    return IssuedToken(row, token)


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
                projector.wait_for(NAME, head, timeout=AUTH_SETTLE_SECONDS)
            except NotSettled:
                return None
            row = token_for_secret(projector.views, token)
    if row is None or row.revoked:
        return None
    return Principal(row.token_id, row.actor, row.admin, row.clearance_of)


__all__ = [
    "IssuedToken",
    "Principal",
    "StaffTokenNotFound",
    "authenticate",
    "issue_token",
    "list_tokens",
]

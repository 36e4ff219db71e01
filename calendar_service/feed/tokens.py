"""Feeds and their tokens: create and list them (a `RevokeFeed` is settled by its caller).

A feed's commands go through the one write path (`service.settle`, which handles them with
`service.FEED`): its own stream, `feed:{feed_id}`. The token is drawn here
(`secrets.token_urlsafe`, 256 bits), handed back once and never stored: the log keeps its
SHA-256 only.

Revocation takes effect at once: settling a `RevokeFeed` (and `create_feed`, so a new URL
works on the first click) returns only after the feeds projection has applied its event
(`NotSettled` if it cannot in time). The feed route reads the feed's row
on every request, from the views store every process shares, so the next request anywhere is
refused, whatever the mode (embedded SQLite or Redis).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from calendar_service.domain import Audience, CreateFeed, FeedNotFound, hash_token
from calendar_service.eventstore import EventStore
from calendar_service.eventstore.port import utc_now
from calendar_service.projections import Projector
from calendar_service.projections.feeds import NAME, FeedRow, all_feeds, feed_by_id
from calendar_service.service import Clock, Envelope, settle

TOKEN_BYTES = 32
"""Random bytes per token: 256 bits, 43 URL-safe characters."""


@dataclass(frozen=True)
class CreatedFeed:
    """A new feed and its token: the only time the token exists outside a client."""

    feed: FeedRow
    token: str


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def create_feed(
    store: EventStore,
    projector: Projector,
    *,
    name: str,
    audience: Audience,
    lang: str = "en",
    actor: str,
    clock: Clock = utc_now,
) -> CreatedFeed:
    """Record a new feed and return it with its token, once the feed route knows it."""
    token = new_token()
    feed_id = f"{audience.value}-{secrets.token_hex(4)}"
    command = CreateFeed(
        feed_id=feed_id, name=name, audience=audience, token_hash=hash_token(token), lang=lang
    )
    settle(store, projector, command, Envelope(actor=actor), clock)
    row = feed_by_id(projector.views, feed_id)
    assert row is not None, "settled, so the feeds projection has the feed"
    return CreatedFeed(row, token)


def list_feeds(projector: Projector) -> list[FeedRow]:
    """Every feed (revoked ones too), oldest first, after catching the projection up."""
    projector.catch_up(NAME)
    return all_feeds(projector.views)


__all__ = [
    "CreatedFeed",
    "FeedNotFound",
    "create_feed",
    "list_feeds",
    "new_token",
]

"""Feeds and their tokens: create, revoke, list, and settle the feeds projection.

The write path of a feed is its own stream, `feed:{feed_id}`: load it, `decide_feed`, append
with the version it was read at. The token is drawn here (`secrets.token_urlsafe`, 256 bits),
handed back once and never stored: the log keeps its SHA-256 only.

Revocation takes effect at once: `revoke_feed` (and `create_feed`, so a new URL works on the
first click) returns only after the feeds projection has applied its event (`settle`). The
feed route reads the feed's row on every request, from the views store every process shares,
so the next request anywhere is refused, whatever the mode (embedded SQLite or Redis).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from calendar_service.domain import (
    Audience,
    CreateFeed,
    Feed,
    FeedNotFound,
    RevokeFeed,
    decide_feed,
    evolve_feed,
    feed_event_from_data,
    feed_stream,
    hash_token,
)
from calendar_service.domain.feeds import FeedEventType
from calendar_service.eventstore import ConcurrencyError, EventStore, NewEvent
from calendar_service.projections import ProjectionError, Projector
from calendar_service.projections.feeds import NAME, FeedRow, all_feeds, feed_by_id

MAX_ATTEMPTS = 3
TOKEN_BYTES = 32
"""Random bytes per token: 256 bits, 43 URL-safe characters."""
"""Seconds `settle` waits beyond the catch-up lease, after which a crashed holder's lease has
expired and this process takes the projection over."""


class FeedsNotSettled(ProjectionError):
    """The event is in the log, but the feeds projection did not apply it in time."""

    def __init__(self, position: int, checkpoint: int, waited: float) -> None:
        super().__init__(
            f"the change is recorded (log position {position}), but the feeds projection is "
            f"still at {checkpoint} after {waited:.0f} s, so it takes effect only once that "
            "projection catches up: run `calendar-service projections catch-up feeds`"
        )


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
) -> CreatedFeed:
    """Record a new feed and return it with its token, once the feed route knows it."""
    token = new_token()
    feed_id = f"{audience.value}-{secrets.token_hex(4)}"
    command = CreateFeed(
        feed_id=feed_id, name=name, audience=audience, token_hash=hash_token(token), lang=lang
    )
    position = _append(store, feed_id, decide_feed(None, command), actor, expected_version=0)
    settle(projector, position)
    row = feed_by_id(projector.views, feed_id)
    assert row is not None, "settled, so the feeds projection has the feed"
    return CreatedFeed(row, token)


def revoke_feed(
    store: EventStore,
    projector: Projector,
    feed_id: str,
    *,
    reason: str | None = None,
    actor: str,
) -> bool:
    """Revoke the feed for good; True if this call revoked it, False if it already was.

    Returns once the feeds projection has applied the revocation, so the feed's URL answers
    410 from the next request on. FeedNotFound for an unknown id.
    """
    for attempt in range(MAX_ATTEMPTS):
        state, version = load_feed(store, feed_id)
        events = decide_feed(state, RevokeFeed(feed_id=feed_id, reason=reason))
        if not events:
            return False
        try:
            position = _append(store, feed_id, events, actor, expected_version=version)
        except ConcurrencyError:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            continue  # revoked by someone else meanwhile: decide again
        settle(projector, position)
        return True
    raise AssertionError("unreachable")  # pragma: no cover


def load_feed(store: EventStore, feed_id: str) -> tuple[Feed | None, int]:
    """The feed as its stream says now, and the stream version it was read at."""
    stored = store.read_stream(feed_stream(feed_id))
    state: Feed | None = None
    for event in stored:
        state = evolve_feed(state, feed_event_from_data(event.type, event.data))
    return state, len(stored)


def list_feeds(projector: Projector) -> list[FeedRow]:
    """Every feed (revoked ones too), oldest first, after catching the projection up."""
    projector.catch_up(NAME)
    return all_feeds(projector.views)


def settle(projector: Projector, position: int, timeout: float | None = None) -> None:
    """Return once the feeds projection has applied the event at `position`.

    Catches up in this process; when another process holds the catch-up lease, waits for it
    (it is applying the same events). FeedsNotSettled if that takes longer than the lease.
    """
    projector.wait_for(NAME, position, timeout, FeedsNotSettled)


def _append(
    store: EventStore,
    feed_id: str,
    events: list[FeedEventType],
    actor: str,
    *,
    expected_version: int,
) -> int:
    """Append `events` to the feed's stream; the global position of the last one."""
    result = store.append(
        feed_stream(feed_id),
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
    "CreatedFeed",
    "FeedNotFound",
    "FeedsNotSettled",
    "create_feed",
    "list_feeds",
    "load_feed",
    "new_token",
    "revoke_feed",
    "settle",
]

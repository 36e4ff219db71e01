"""Feeds and their secret tokens: who may subscribe to which audience's calendar.

A feed belongs to one audience (public, staff, restricted) and has one language by default. Its
secret token is made outside the domain (the domain draws no random numbers) and only its
SHA-256 (`hash_token`) ever enters an event, so the log, its backups and the views never hold
a usable token. A feed lives in its own stream, `feed:{feed_id}` (`feed_stream`).

Facts: `FeedCreated`, `FeedRevoked`; intents: `CreateFeed`, `RevokeFeed`; `decide_feed(state,
command)` returns the events (revoking a revoked feed decides nothing: it is already what was
asked) and `evolve_feed(state, event)` folds one into `Feed`. `FEED_EVENT_TYPES` is the
registry readers decode with (`feed_event_from_data`); it is separate from the engagements'
`EVENT_TYPES`, whose readers fold engagement streams only. Who created or revoked a feed, and
when, is in the store's envelope (actor, recorded_at), as for every event.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from calendar_service.domain._aggregate import (
    CreatedOnce,
    Ended,
    Fact,
    Revocable,
    check_lang,
    check_token_hash,
    decoder,
    event_types,
)
from calendar_service.domain._checks import check_slug, check_text, check_type
from calendar_service.domain.engagement.values import Audience
from calendar_service.domain.errors import AlreadyExists, NotFound

FEED_STREAM_PREFIX = "feed:"
MAX_FEED_NAME_CHARS = 120
MIN_TOKEN_CHARS = 22
"""A token shorter than this cannot carry 128 random bits (22 URL-safe base64 characters)."""


def feed_stream(feed_id: str) -> str:
    """The event stream that holds one feed's history."""
    return f"{FEED_STREAM_PREFIX}{feed_id}"


def hash_token(token: str) -> str:
    """The SHA-256 of `token`, as 64 lowercase hex digits: what the log and the views keep.

    A plain hash is enough (no salt, no stretching): a token is at least 128 random bits, so
    nothing can be guessed from its hash, and lookups by hash stay one indexed read.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Whether `token` hashes to `token_hash`, compared in constant time."""
    return hmac.compare_digest(hash_token(token).encode(), token_hash.encode())


class FeedNotFound(NotFound):
    MESSAGE = (
        "cannot {command}: feed_id {id!r} names no feed; "
        "list the feeds with `calendar-service feeds list`"
    )


class FeedAlreadyExists(AlreadyExists):
    MESSAGE = "cannot create feed {id!r}: the id is taken; choose another"


def _check_feed_id(value: object) -> str:
    return check_slug("feed_id", value, max_chars=64)


@dataclass(frozen=True, kw_only=True)
class FeedEvent(Fact):
    """What every feed event has: the feed it belongs to."""

    feed_id: str

    def __post_init__(self) -> None:
        _check_feed_id(self.feed_id)


@dataclass(frozen=True, kw_only=True)
class FeedCreated(FeedEvent):
    """A feed for `audience` was created; its calendar is in `lang` unless a request asks for
    another. `name` says whom it is for (an office, a person); it is not shown in the feed."""

    name: str
    audience: Audience
    token_hash: str
    lang: str = "en"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text("name", self.name, max_chars=MAX_FEED_NAME_CHARS)
        check_type("audience", self.audience, Audience, "public, staff or restricted")
        check_token_hash(self.token_hash)
        check_lang(self.lang)


@dataclass(frozen=True, kw_only=True)
class FeedRevoked(Ended, FeedEvent):
    """The feed's token no longer works, for good: its URL answers 410 Gone."""


FeedEventType = FeedCreated | FeedRevoked
FEED_EVENT_TYPES: Mapping[str, type[FeedEventType]] = event_types(FeedEventType)
"""Feed event type name (as stored) -> class."""
feed_event_from_data = decoder(FEED_EVENT_TYPES, "feed event")
"""The feed event of a stored type name and data."""


@dataclass(frozen=True, kw_only=True)
class CreateFeed:
    feed_id: str
    name: str
    audience: Audience
    token_hash: str
    lang: str = "en"
    VERB: ClassVar[str] = "create the feed"


@dataclass(frozen=True, kw_only=True)
class RevokeFeed:
    feed_id: str
    reason: str | None = None
    VERB: ClassVar[str] = "revoke the feed"


FeedCommand = CreateFeed | RevokeFeed


@dataclass(frozen=True, kw_only=True)
class Feed(Revocable):
    feed_id: str
    name: str
    audience: Audience
    token_hash: str
    lang: str = "en"


FEED_LIFE: CreatedOnce[Feed, FeedCommand, FeedEventType] = CreatedOnce(
    Feed, (CreateFeed, RevokeFeed), (FeedCreated, FeedRevoked), (FeedNotFound, FeedAlreadyExists)
)
"""A feed's life: created once, revoked for good."""
decide_feed = FEED_LIFE.decide
evolve_feed = FEED_LIFE.evolve

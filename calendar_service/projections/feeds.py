"""The feeds projection: every feed and its token hash, so the feed route finds a feed in one read.

Tables (projection name `feeds`)::

    tokens   key token hash (SHA-256 hex)   the feed row: id, name, audience, lang, revoked, when
    feeds    key feed id                    sort: created_at   the same row, to list feeds and to
                                                               find a feed's hash when it is revoked
    problems key position                   feed events that could not apply

Only hashes are kept: nothing here can be turned back into a working URL. Revocation must take
effect at once, so the write path catches this projection up itself before it returns (see
`calendar_service.feed.tokens`); the route then reads the row on every request.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from calendar_service.domain import (
    FEED_EVENT_TYPES,
    Audience,
    DomainError,
    FeedCreated,
    FeedNotFound,
    feed_event_from_data,
    hash_token,
)
from calendar_service.domain.feeds import FEED_STREAM_PREFIX
from calendar_service.eventstore import StoredEvent
from calendar_service.projections._folding import instant_key, record_problem
from calendar_service.projections.base import Batch
from calendar_service.projections.views import Doc, ViewStore

NAME = "feeds"
TOKENS, FEEDS = "tokens", "feeds"


class FeedsProjection:
    """Feeds by token hash and by id, as of the last applied event."""

    name = NAME

    def prepare(self, events: list[StoredEvent], batch: Batch) -> None:
        ids = {event.stream[len(FEED_STREAM_PREFIX) :] for event in events if _is_feed(event)}
        batch.load(FEEDS, sorted(ids))

    def apply(self, event: StoredEvent, batch: Batch) -> None:
        if not _is_feed(event):
            return
        try:
            fact = feed_event_from_data(event.type, event.data)
        except DomainError as error:
            record_problem(batch, event, error)
            return
        if isinstance(fact, FeedCreated):
            doc: Doc = {
                "feed_id": fact.feed_id,
                "name": fact.name,
                "audience": fact.audience.value,
                "lang": fact.lang,
                "token_hash": fact.token_hash,
                "revoked": False,
                "created_at": instant_key(event.recorded_at),
                "created_by": event.actor,
                "revoked_at": None,
                "revoked_by": None,
                "reason": None,
            }
        else:
            found = batch.get(FEEDS, fact.feed_id)
            if found is None:
                record_problem(batch, event, FeedNotFound(fact.feed_id, "revoke the feed"))
                return
            doc = found | {
                "revoked": True,
                "revoked_at": instant_key(event.recorded_at),
                "revoked_by": event.actor,
                "reason": fact.reason,
            }
        batch.put(FEEDS, doc["feed_id"], doc, doc["created_at"])
        batch.put(TOKENS, doc["token_hash"], doc)

    def flush(self, batch: Batch) -> None:
        pass


def _is_feed(event: StoredEvent) -> bool:
    return event.stream.startswith(FEED_STREAM_PREFIX) and event.type in FEED_EVENT_TYPES


@dataclass(frozen=True)
class FeedRow:
    """A feed as the feeds projection holds it (never its token)."""

    feed_id: str
    name: str
    audience: Audience
    lang: str
    token_hash: str
    revoked: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    reason: str | None = None

    @classmethod
    def from_doc(cls, doc: Doc) -> FeedRow:
        return cls(
            feed_id=doc["feed_id"],
            name=doc["name"],
            audience=Audience(doc["audience"]),
            lang=doc["lang"],
            token_hash=doc["token_hash"],
            revoked=doc["revoked"],
            created_at=_moment(doc["created_at"]),
            created_by=doc["created_by"],
            revoked_at=None if doc["revoked_at"] is None else _moment(doc["revoked_at"]),
            reason=doc["reason"],
        )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def feed_for_token(views: ViewStore, token: str) -> FeedRow | None:
    """The feed whose token is `token` (revoked or not), or None. One read, by hash; the
    stored hash is then compared with `hmac.compare_digest`."""
    token_hash = hash_token(token)
    found = views.get(NAME, TOKENS, [token_hash]).get(token_hash)
    if found is None:
        return None
    row = _row(found)
    return row if hmac.compare_digest(token_hash, row.token_hash) else None


@lru_cache(maxsize=1024)
def _row(text: str) -> FeedRow:
    """The row a document describes; cached by its text (the feed route reads one per
    request, and a changed row is another text)."""
    return FeedRow.from_doc(json.loads(text))


def feed_by_id(views: ViewStore, feed_id: str) -> FeedRow | None:
    found = views.get(NAME, FEEDS, [feed_id]).get(feed_id)
    return None if found is None else FeedRow.from_doc(json.loads(found))


def all_feeds(views: ViewStore) -> list[FeedRow]:
    """Every feed, oldest first."""
    rows = [FeedRow.from_doc(json.loads(doc)) for _, _, _, doc in views.rows(NAME, FEEDS)]
    return sorted(rows, key=lambda row: (row.created_at, row.feed_id))

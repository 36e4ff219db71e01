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
from functools import lru_cache

from calendar_service.domain import Audience, hash_token
from calendar_service.domain.feeds import FEED_LIFE, FEED_STREAM_PREFIX, FeedEventType
from calendar_service.projections import stream_rows
from calendar_service.projections.views import Doc, ViewStore

NAME = "feeds"
TOKENS, FEEDS = "tokens", "feeds"


class FeedsProjection(stream_rows.RevocableRows[FeedEventType]):
    """Feeds by token hash and by id, as of the last applied event."""

    def __init__(self) -> None:
        super().__init__(NAME, FEED_STREAM_PREFIX, FEED_LIFE, table=FEEDS, by_hash=TOKENS)


@dataclass(frozen=True)
class FeedRow(stream_rows.RevocableRow):
    """A feed as the feeds projection holds it (never its token)."""

    feed_id: str
    name: str
    audience: Audience
    lang: str
    token_hash: str

    @classmethod
    def from_doc(cls, doc: Doc) -> FeedRow:
        return super().from_doc(doc | {"audience": Audience(doc["audience"])})


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
    return stream_rows.revocable_row(views, NAME, FEEDS, feed_id, FeedRow)


def all_feeds(views: ViewStore) -> list[FeedRow]:
    """Every feed, oldest first."""
    return stream_rows.revocable_rows(views, NAME, FEEDS, FeedRow)

"""Feeds in the domain: tokens kept as hashes, created and revoked by decide/evolve."""

from __future__ import annotations

import hashlib

import pytest

from calendar_service.domain import (
    EVENT_TYPES,
    FEED_EVENT_TYPES,
    Audience,
    CreateFeed,
    FeedAlreadyExists,
    FeedCreated,
    FeedNotFound,
    FeedRevoked,
    InvalidValue,
    RevokeFeed,
    decide_feed,
    evolve_feed,
    feed_event_from_data,
    feed_stream,
    hash_token,
    token_matches,
)

TOKEN = "k9Qm0w3v-secret-token-of-forty-three-chars"
HASH = hashlib.sha256(TOKEN.encode()).hexdigest()


def create(**changes: object) -> CreateFeed:
    fields: dict[str, object] = {
        "feed_id": "staff-1a2b3c4d",
        "name": "Press office",
        "audience": Audience.STAFF,
        "token_hash": HASH,
        "lang": "ko",
    }
    return CreateFeed(**(fields | changes))  # type: ignore[arg-type]


def test_only_the_tokens_sha256_is_kept_and_it_is_compared_in_constant_time() -> None:
    assert hash_token(TOKEN) == HASH
    assert token_matches(TOKEN, HASH)
    assert not token_matches(TOKEN + "x", HASH)
    assert not token_matches(TOKEN, "0" * 64)
    [created] = decide_feed(None, create())
    assert TOKEN not in str(created.to_data())


def test_a_feed_is_created_then_revoked_once() -> None:
    [created] = decide_feed(None, create())
    assert created == FeedCreated(
        feed_id="staff-1a2b3c4d",
        name="Press office",
        audience=Audience.STAFF,
        token_hash=HASH,
        lang="ko",
    )
    feed = evolve_feed(None, created)
    assert (feed.audience, feed.lang, feed.revoked) == (Audience.STAFF, "ko", False)
    [revoked] = decide_feed(feed, RevokeFeed(feed_id=feed.feed_id, reason="phone lost"))
    assert revoked == FeedRevoked(feed_id="staff-1a2b3c4d", reason="phone lost")
    gone = evolve_feed(feed, revoked)
    assert (gone.revoked, gone.revoke_reason) == (True, "phone lost")
    assert decide_feed(gone, RevokeFeed(feed_id=feed.feed_id)) == [], "already what was asked"


def test_refusals_name_the_feed() -> None:
    with pytest.raises(FeedNotFound, match="'staff-00000000' names no feed"):
        decide_feed(None, RevokeFeed(feed_id="staff-00000000"))
    feed = evolve_feed(None, decide_feed(None, create())[0])
    with pytest.raises(FeedAlreadyExists, match="staff-1a2b3c4d"):
        decide_feed(feed, create())
    with pytest.raises(FeedNotFound):
        evolve_feed(None, FeedRevoked(feed_id="staff-1a2b3c4d"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"token_hash": "abc"}, "token_hash"),
        ({"token_hash": HASH.upper()}, "token_hash"),
        ({"lang": "fr"}, "lang"),
        ({"name": " "}, "name"),
        ({"name": "line\rbreak"}, "name"),
        ({"feed_id": "Staff 1"}, "feed_id"),
        ({"audience": "everyone"}, "audience"),
    ],
)
def test_malformed_facts_are_refused(changes: dict[str, object], field: str) -> None:
    data = FeedCreated(
        feed_id="staff-1a2b3c4d", name="Press", audience=Audience.STAFF, token_hash=HASH
    ).to_data()
    data |= changes
    with pytest.raises(InvalidValue, match=field):
        feed_event_from_data("FeedCreated", data)


def test_events_round_trip_and_live_in_a_registry_of_their_own() -> None:
    for event in (
        FeedCreated(
            feed_id="public-00aa11bb", name="Web", audience=Audience.PUBLIC, token_hash=HASH
        ),
        FeedRevoked(feed_id="public-00aa11bb"),
        FeedRevoked(feed_id="public-00aa11bb", reason="replaced\nby a new link"),
    ):
        assert feed_event_from_data(event.event_type, event.to_data()) == event
    assert set(FEED_EVENT_TYPES) == {"FeedCreated", "FeedRevoked"}
    assert not set(FEED_EVENT_TYPES) & set(EVENT_TYPES)
    with pytest.raises(InvalidValue, match="not a known feed event type"):
        feed_event_from_data("NoteAdded", {})
    assert feed_stream("staff-1a2b3c4d") == "feed:staff-1a2b3c4d"

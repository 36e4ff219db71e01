"""The write path: decide against the stored state, append with the version read, retry safely."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from calendar_service.domain import (
    AddNote,
    Audience,
    Cancel,
    CommandRefused,
    Confirm,
    CreateFeed,
    FeedNotFound,
    InvalidValue,
    Reschedule,
    RevokeFeed,
)
from calendar_service.eventstore import ConcurrencyError, NewEvent
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import MemoryViewStore, Projector, default_projections
from calendar_service.projections.feeds import NAME as FEEDS
from calendar_service.service import (
    ENGAGEMENT,
    FEED,
    Envelope,
    EventRef,
    handle,
    load,
    settle,
    stream_of,
)
from tests.unit.domain.builders import DAVOS, DAVOS_DATES, invitation

NOW = datetime(2024, 4, 25, 7, 17, tzinfo=UTC)
HASH = "0" * 64


def clock() -> datetime:
    return NOW


def test_handle_appends_the_decided_events_with_actor_and_known_at() -> None:
    store = MemoryEventStore()
    known = datetime(2024, 4, 24, 22, 17, tzinfo=UTC)
    outcome = handle(
        store, ENGAGEMENT, invitation(), Envelope(actor="officer.kim", known_at=known), clock
    )
    stored = store.read_stream(stream_of(str(DAVOS)))
    assert [event.type for event in stored] == ["InvitationReceived"]
    assert stored[0].actor == "officer.kim"
    assert stored[0].known_at == known
    assert outcome.version == 1
    assert outcome.state is not None
    assert outcome.state.id == DAVOS


def test_refused_command_appends_nothing_and_says_why() -> None:
    store = MemoryEventStore()
    envelope = Envelope(actor="officer.kim")
    handle(store, ENGAGEMENT, invitation(), envelope, clock)
    handle(
        store,
        ENGAGEMENT,
        Cancel(engagement_id=DAVOS, reason="postponed by the host"),
        envelope,
        clock,
    )
    head = store.head()
    with pytest.raises(
        CommandRefused, match="cannot confirm engagement 'summer-davos-2024-dalian'"
    ):
        handle(store, ENGAGEMENT, Confirm(engagement_id=DAVOS), envelope, clock)
    assert store.head() == head


def test_stale_if_match_version_is_refused_and_nothing_written() -> None:
    store = MemoryEventStore()
    envelope = Envelope(actor="officer.kim")
    handle(store, ENGAGEMENT, invitation(), envelope, clock)
    with pytest.raises(ConcurrencyError, match="at version 1, not the expected 0"):
        handle(
            store,
            ENGAGEMENT,
            Reschedule(engagement_id=DAVOS, when=DAVOS_DATES),
            envelope,
            clock,
            expected_version=0,
        )
    assert store.head() == 1


def test_same_command_id_twice_appends_once_and_returns_the_stored_result() -> None:
    store = MemoryEventStore()
    envelope = Envelope(actor="officer.kim", command_id=uuid4())
    first = handle(store, ENGAGEMENT, invitation(), envelope, clock)
    again = handle(store, ENGAGEMENT, invitation(), envelope, clock)
    assert store.head() == 1
    assert again.duplicate
    assert again.positions == first.positions
    assert again.version == first.version


@pytest.mark.slow  # real threads racing
def test_concurrent_writers_without_if_match_lose_no_update() -> None:
    store = MemoryEventStore()
    handle(store, ENGAGEMENT, invitation(), Envelope(actor="seed"), clock)
    notes = [f"note {n}" for n in range(40)]

    def add(text: str) -> None:
        handle(
            store, ENGAGEMENT, AddNote(engagement_id=DAVOS, text=text), Envelope(actor="w"), clock
        )

    threads = [threading.Thread(target=add, args=(text,)) for text in notes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state, version = load(store, ENGAGEMENT, str(DAVOS))
    assert version == 41
    assert state is not None
    assert sorted(state.notes) == sorted(notes)


def test_known_at_in_the_future_is_refused_and_nothing_written() -> None:
    store = MemoryEventStore()
    tomorrow = datetime(2024, 4, 26, tzinfo=UTC)
    refusal = r"known_at '2024-04-26T00:00:00\+00:00'.*cannot be in the future"
    with pytest.raises(InvalidValue, match=refusal):
        handle(
            store, ENGAGEMENT, invitation(), Envelope(actor="officer.kim", known_at=tomorrow), clock
        )
    assert store.head() == 0


def test_a_retried_command_answers_with_its_first_events_though_the_stream_moved_on() -> None:
    store = MemoryEventStore()
    envelope = Envelope(actor="officer.kim", command_id=uuid4())
    first = handle(store, ENGAGEMENT, invitation(), envelope, clock)
    handle(store, ENGAGEMENT, AddNote(engagement_id=DAVOS, text="later"), Envelope("w"), clock)
    again = handle(store, ENGAGEMENT, invitation(), envelope, clock)
    assert again.duplicate
    assert again.refs == first.refs == (EventRef("InvitationReceived", 1, 1),)
    assert again.version == first.version == 1
    assert store.stream_version(stream_of(str(DAVOS))) == 2
    assert again.state is not None
    assert again.state.notes == ("later",)


def test_each_event_ref_says_where_the_event_landed() -> None:
    store = MemoryEventStore()
    handle(store, ENGAGEMENT, invitation(), Envelope("seed"), clock)
    store.append("elsewhere:1", [NewEvent(type="Other", data={})], None)
    outcome = handle(
        store, ENGAGEMENT, Cancel(engagement_id=DAVOS, reason="x"), Envelope("w"), clock
    )
    assert outcome.refs == tuple(
        EventRef(e.type, e.position, e.version)
        for e in store.read_stream(stream_of(str(DAVOS)))[1:]
    )
    assert outcome.version == outcome.refs[-1].version == 2
    assert outcome.positions == (3,)


def test_a_feed_goes_through_the_same_write_path_and_a_second_revocation_records_nothing() -> None:
    store = MemoryEventStore()
    create = CreateFeed(feed_id="staff-1", name="Press", audience=Audience.STAFF, token_hash=HASH)
    created = handle(store, FEED, create, Envelope("admin"), clock)
    assert created.aggregate_id == "staff-1"
    assert [ref.type for ref in created.refs] == ["FeedCreated"]
    revoke = RevokeFeed(feed_id="staff-1", reason="leaked")
    assert [ref.type for ref in handle(store, FEED, revoke, Envelope("a"), clock).refs] == [
        "FeedRevoked"
    ]
    again = handle(store, FEED, revoke, Envelope("admin"), clock)
    assert (again.refs, again.version) == ((), 2)
    state, version = load(store, FEED, "staff-1")
    assert state is not None
    assert (state.revoked, state.revoke_reason, version) == (True, "leaked", 2)
    with pytest.raises(FeedNotFound):
        handle(store, FEED, RevokeFeed(feed_id="nothing"), Envelope("admin"), clock)


def test_settle_finds_the_aggregate_by_the_command_and_waits_for_its_projection() -> None:
    projector = Projector(MemoryEventStore(), MemoryViewStore(), default_projections())
    store = projector.store
    create = CreateFeed(feed_id="staff-1", name="Press", audience=Audience.STAFF, token_hash=HASH)
    assert settle(store, projector, create, Envelope("admin"), clock).changed
    assert projector.views.checkpoint(FEEDS) == store.head(), "settled before answering"
    revoke = RevokeFeed(feed_id="staff-1")
    assert settle(store, projector, revoke, Envelope("admin"), clock).changed
    again = settle(store, projector, revoke, Envelope("admin"), clock)
    assert not again.changed
    assert again.refs == ()
    with pytest.raises(TypeError, match="no projection settles a Confirm"):
        settle(store, projector, Confirm(engagement_id=DAVOS), Envelope("admin"), clock)
    with pytest.raises(TypeError, match="no projection settles a str"):
        settle(store, projector, "revoke it", Envelope("admin"), clock)

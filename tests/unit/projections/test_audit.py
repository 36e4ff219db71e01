"""The audit projection: each engagement's timeline, as staff read it in its history."""

from __future__ import annotations

from datetime import UTC, datetime

from calendar_service.domain import AddNote, Reschedule
from calendar_service.eventstore import NewEvent
from calendar_service.projections.audit import (
    AuditProjection,
    engagement_timeline,
    stream_counts,
    timeline,
)
from tests.unit.domain.builders import ARTICLE, DAVOS, DAVOS_DATES, invitation
from tests.unit.projections.helpers import Log, project


def test_timeline_shows_every_event_once_with_both_times_actor_summary_and_sources() -> None:
    log = Log(now=datetime(2024, 4, 25, 7, 17, tzinfo=UTC))
    learned = datetime(2024, 4, 24, 9, 0, tzinfo=UTC)
    log.run(invitation(), actor="seed", known_at=learned)
    log.run(
        Reschedule(engagement_id=DAVOS, when=DAVOS_DATES, reason="NDRC published the dates"),
        AddNote(engagement_id=DAVOS, text="Interpreter booked"),
        actor="park.jiwoo",
    )
    views = project(log, [AuditProjection()])

    rows = engagement_timeline(views, str(DAVOS))
    assert [row["version"] for row in rows] == [1, 2, 3]
    first, moved, note = rows
    assert first["known_at"] == "2024-04-24T09:00:00.000000Z"
    assert first["recorded_at"] != first["known_at"], "backfilled: learned before recorded"
    assert first["actor"] == "seed"
    assert first["type"] == "InvitationReceived"
    assert first["summary"].startswith("invitation received: Summer Davos 2024, Dalian")
    assert first["sources"][0]["quote"] == ARTICLE.quote
    assert moved["summary"].startswith("moved to 25–27 Jun 2024") or "NDRC" in moved["summary"]
    assert note["summary"] == "note: Interpreter booked"
    assert note["actor"] == "park.jiwoo"
    assert note["known_at"] == note["recorded_at"]


def test_every_stream_is_audited_and_counted_once_per_event() -> None:
    log = Log()
    log.run(invitation())
    log.store.append("feed:staff", [NewEvent("FeedCreated", {"audience": "staff"})], 0)
    log.store.append("feed:staff", [NewEvent("FeedRevoked", {"reason": "leaked"})], 1)
    views = project(log, [AuditProjection()], page_size=1)

    feed = timeline(views, "feed:staff")
    assert [row["summary"] for row in feed] == [
        'FeedCreated: audience="staff"',
        'FeedRevoked: reason="leaked"',
    ]
    counts = stream_counts(views)
    assert {s: c["events"] for s, c in counts.items()} == {
        f"engagement:{DAVOS}": 1,
        "feed:staff": 2,
    }
    assert all(c["events"] == c["last_version"] for c in counts.values())


def test_a_stream_whose_id_extends_another_does_not_leak_into_its_timeline() -> None:
    log = Log()
    log.store.append("feed:a", [NewEvent("FeedCreated", {})], 0)
    log.store.append("feed:a@b", [NewEvent("FeedCreated", {})], 0)
    views = project(log, [AuditProjection()])

    assert [row["stream"] for row in timeline(views, "feed:a")] == ["feed:a"]

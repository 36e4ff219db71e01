"""Staff subscriptions and reminder outcomes: pure domain facts, validated like any input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calendar_service.domain import (
    STAFF_EVENT_TYPES,
    Audience,
    Channel,
    DeliveryFailure,
    DeliveryRecord,
    EngagementId,
    InvalidValue,
    ReminderFailed,
    ReminderMissed,
    ReminderSent,
    StaffNotFound,
    StaffSubscribed,
    StaffUnsubscribed,
    SubscribeStaff,
    UnsubscribeStaff,
    decide_staff,
    evolve_staff,
    reminder_event_from_data,
    reminder_stream,
    staff_event_from_data,
    staff_stream,
)

DUE = datetime(2024, 6, 18, 1, 0, tzinfo=UTC)


def _subscribe(**changes: object) -> SubscribeStaff:
    fields: dict[str, object] = {
        "staff_id": "kim-minji",
        "name": "Kim Min-ji",
        "email": "kim.minji@gg.go.kr",
        "audience": Audience.STAFF,
        "channels": frozenset({Channel.EMAIL}),
        "lang": "ko",
    }
    fields.update(changes)
    return SubscribeStaff(**fields)  # type: ignore[arg-type]


def test_subscribing_records_one_fact_and_asking_again_records_nothing() -> None:
    events = decide_staff(None, _subscribe())
    assert [type(e) for e in events] == [StaffSubscribed]
    state = evolve_staff(None, events[0])
    assert state.active
    assert state.lang == "ko"
    assert staff_stream("kim-minji") == "staff:kim-minji"
    assert decide_staff(state, _subscribe()) == []

    changed = decide_staff(state, _subscribe(lang="en"))
    assert evolve_staff(state, changed[0]).lang == "en"


def test_unsubscribing_keeps_the_history_and_is_refused_for_a_stranger() -> None:
    state = evolve_staff(None, decide_staff(None, _subscribe())[0])
    events = decide_staff(state, UnsubscribeStaff(staff_id="kim-minji", reason="left"))
    assert [type(e) for e in events] == [StaffUnsubscribed]
    gone = evolve_staff(state, events[0])
    assert not gone.active
    assert not gone.admits(Audience.PUBLIC)
    assert decide_staff(gone, UnsubscribeStaff(staff_id="kim-minji")) == []
    with pytest.raises(StaffNotFound, match="staff list"):
        decide_staff(None, UnsubscribeStaff(staff_id="nobody"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": None}, "email"),
        ({"email": "Kim <kim@gg.go.kr>"}, "email"),
        ({"email": "kim@gg go.kr"}, "email"),
        ({"channels": frozenset()}, "channels"),
        ({"lang": "fr"}, "lang"),
        ({"staff_id": "Kim Minji"}, "staff_id"),
        ({"name": "Kim\x1b[31m"}, "name"),
    ],
)
def test_a_subscription_that_could_not_reach_anyone_is_refused(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        decide_staff(None, _subscribe(**changes))
    assert caught.value.field == field


def test_webhook_only_subscribers_need_no_address_and_events_round_trip() -> None:
    event = decide_staff(None, _subscribe(email=None, channels=frozenset({Channel.WEBHOOK})))[0]
    again = staff_event_from_data(event.event_type, event.to_data())
    assert again == event
    assert set(STAFF_EVENT_TYPES) == {"StaffSubscribed", "StaffUnsubscribed"}


def test_outcomes_name_their_reminder_and_round_trip_through_json() -> None:
    sent = ReminderSent(
        engagement_id=EngagementId("summer-davos-2024"),
        reminder_id="summer-davos-2024|start-P7D|v2",
        offset="start-P7D",
        due_at=DUE,
        deliveries=(
            DeliveryRecord(channel="email", to="kim@gg.go.kr", at=DUE, lang="ko"),
            DeliveryRecord(channel="webhook", to="webhook", at=DUE + timedelta(seconds=1)),
        ),
        late_ms=120,
    )
    data = sent.to_data()
    assert data["reminder_id"] == "summer-davos-2024|start-P7D|v2"
    assert reminder_event_from_data("ReminderSent", data) == sent
    assert reminder_stream("summer-davos-2024") == "reminders:summer-davos-2024"

    failed = ReminderFailed(
        engagement_id=EngagementId("summer-davos-2024"),
        reminder_id="summer-davos-2024|start-P7D|v2",
        offset="start-P7D",
        due_at=DUE,
        failures=(DeliveryFailure(channel="email", to="x@y.kr", error="550 no", permanent=True),),
        attempts=1,
    )
    assert reminder_event_from_data("ReminderFailed", failed.to_data()) == failed
    missed = ReminderMissed(
        engagement_id=EngagementId("summer-davos-2024"),
        reminder_id="summer-davos-2024|start-P7D|v2",
        offset="start-P7D",
        due_at=DUE,
        late_ms=3_600_000,
        grace=timedelta(minutes=15),
    )
    assert reminder_event_from_data("ReminderMissed", missed.to_data()) == missed


def test_an_outcome_cannot_name_another_engagement_or_reach_nobody() -> None:
    with pytest.raises(InvalidValue, match="another engagement"):
        ReminderSent(
            engagement_id=EngagementId("other"),
            reminder_id="summer-davos-2024|start-P7D|v2",
            offset="start-P7D",
            due_at=DUE,
            deliveries=(DeliveryRecord(channel="log", to="log", at=DUE),),
        )
    with pytest.raises(InvalidValue, match="reached someone"):
        ReminderSent(
            engagement_id=EngagementId("summer-davos-2024"),
            reminder_id="summer-davos-2024|start-P7D|v2",
            offset="start-P7D",
            due_at=DUE,
            deliveries=(),
        )

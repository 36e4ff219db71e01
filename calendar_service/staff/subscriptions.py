"""Staff notification subscriptions: subscribe, unsubscribe, list; what the CLI (`calendar-service
staff`) and the admin API call.

The write path of a subscription is its own stream, `staff:{staff_id}`: load it, `decide_staff`,
append with the version it was read at (a conflict is decided again). Each change returns only
once the subscriptions projection has applied it (`settle`), so the next reminder delivered,
in any process, already goes to the new recipient.
"""

from __future__ import annotations

from calendar_service.domain import (
    Audience,
    Channel,
    StaffNotFound,
    SubscribeStaff,
    Subscription,
    UnsubscribeStaff,
    decide_staff,
    evolve_staff,
    staff_event_from_data,
    staff_stream,
)
from calendar_service.domain.subscriptions import StaffCommand
from calendar_service.eventstore import ConcurrencyError, EventStore, NewEvent
from calendar_service.projections import ProjectionError, Projector
from calendar_service.projections.subscriptions import NAME, subscription_doc, subscription_docs
from calendar_service.projections.views import Doc

MAX_ATTEMPTS = 3

__all__ = [
    "StaffNotFound",
    "SubscriptionsNotSettled",
    "list_subscriptions",
    "load_subscription",
    "subscribe",
    "unsubscribe",
]


class SubscriptionsNotSettled(ProjectionError):
    """The change is in the log, but the subscriptions projection did not apply it in time."""

    def __init__(self, position: int, checkpoint: int, waited: float) -> None:
        super().__init__(
            f"the change is recorded (log position {position}), but the subscriptions projection "
            f"is still at {checkpoint} after {waited:.0f} s, so reminders use it only once that "
            "projection catches up: run `calendar-service projections catch-up subscriptions`"
        )


def subscribe(
    store: EventStore,
    projector: Projector,
    *,
    staff_id: str,
    name: str,
    email: str | None = None,
    audience: Audience = Audience.STAFF,
    channels: frozenset[Channel] = frozenset({Channel.EMAIL}),
    lang: str = "en",
    actor: str,
) -> Doc:
    """Subscribe `staff_id`, or change their subscription to exactly this; the stored row."""
    command = SubscribeStaff(
        staff_id=staff_id,
        name=name,
        email=email,
        audience=audience,
        channels=channels,
        lang=lang,
    )
    _execute(store, projector, command, actor)
    row = subscription_doc(projector.views, staff_id)
    assert row is not None, "settled, so the projection has the subscription"
    return row


def unsubscribe(
    store: EventStore,
    projector: Projector,
    staff_id: str,
    *,
    reason: str | None = None,
    actor: str,
) -> bool:
    """Stop reminders to `staff_id`; True if this call did, False if they were not subscribed
    any more. StaffNotFound if they never were."""
    return _execute(store, projector, UnsubscribeStaff(staff_id=staff_id, reason=reason), actor)


def list_subscriptions(projector: Projector, *, include_inactive: bool = False) -> list[Doc]:
    """Every subscription row (active ones only, unless asked), by staff id."""
    projector.catch_up(NAME)
    rows = subscription_docs(projector.views)
    return rows if include_inactive else [row for row in rows if row["active"]]


def load_subscription(store: EventStore, staff_id: str) -> tuple[Subscription | None, int]:
    """The subscription as its stream says now, and the stream version it was read at."""
    stored = store.read_stream(staff_stream(staff_id))
    state: Subscription | None = None
    for event in stored:
        state = evolve_staff(state, staff_event_from_data(event.type, event.data))
    return state, len(stored)


def _execute(store: EventStore, projector: Projector, command: StaffCommand, actor: str) -> bool:
    for attempt in range(MAX_ATTEMPTS):
        state, version = load_subscription(store, command.staff_id)
        events = decide_staff(state, command)
        if not events:
            return False
        new = [
            NewEvent(event.event_type, event.to_data(), event.SCHEMA_VERSION, actor=actor)
            for event in events
        ]
        try:
            result = store.append(staff_stream(command.staff_id), new, expected_version=version)
        except ConcurrencyError:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            continue
        settle(projector, result.positions[-1])
        return True
    raise AssertionError("unreachable")  # pragma: no cover


def settle(projector: Projector, position: int, timeout: float | None = None) -> None:
    """Return once the subscriptions projection has applied the event at `position`."""
    projector.wait_for(NAME, position, timeout, SubscriptionsNotSettled)

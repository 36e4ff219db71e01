"""Staff notification subscriptions: subscribe, unsubscribe, list; what the CLI (`calendar-service
staff`) and the admin API call.

A subscription's commands go through the one write path (`service.handle` with
`service.SUBSCRIPTION`): its own stream, `staff:{staff_id}`. Each change returns only once the
subscriptions projection has applied it (`service.handle_settled`; `NotSettled` if it cannot in
time), so the next reminder delivered, in any process, already goes to the new recipient.
"""

from __future__ import annotations

from calendar_service.domain import (
    Audience,
    Channel,
    StaffNotFound,
    SubscribeStaff,
    UnsubscribeStaff,
)
from calendar_service.domain.subscriptions import StaffCommand
from calendar_service.eventstore import EventStore
from calendar_service.eventstore.port import utc_now
from calendar_service.projections import Projector
from calendar_service.projections.subscriptions import NAME, subscription_doc, subscription_docs
from calendar_service.projections.views import Doc
from calendar_service.service import SUBSCRIPTION, Clock, Envelope, handle_settled

__all__ = [
    "StaffNotFound",
    "list_subscriptions",
    "subscribe",
    "unsubscribe",
]


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
    clock: Clock = utc_now,
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
    _execute(store, projector, command, actor, clock)
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
    clock: Clock = utc_now,
) -> bool:
    """Stop reminders to `staff_id`; True if this call did, False if they were not subscribed
    any more. StaffNotFound if they never were."""
    command = UnsubscribeStaff(staff_id=staff_id, reason=reason)
    return _execute(store, projector, command, actor, clock)


def list_subscriptions(projector: Projector, *, include_inactive: bool = False) -> list[Doc]:
    """Every subscription row (active ones only, unless asked), by staff id."""
    projector.catch_up(NAME)
    rows = subscription_docs(projector.views)
    return rows if include_inactive else [row for row in rows if row["active"]]


def _execute(
    store: EventStore, projector: Projector, command: StaffCommand, actor: str, clock: Clock
) -> bool:
    """Whether `command` changed anything: asking for what already holds records nothing."""
    envelope = Envelope(actor=actor)
    outcome = handle_settled(store, projector, NAME, SUBSCRIPTION, command, envelope, clock)
    return bool(outcome.refs)

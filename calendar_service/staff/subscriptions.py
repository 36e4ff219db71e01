"""Staff notification subscriptions: subscribe and list; what the CLI (`calendar-service staff`)
and the admin API call.

A subscription's commands go through the one write path (`service.settle`, which handles them
with `service.SUBSCRIPTION`): its own stream, `staff:{staff_id}`. Each change returns only once
the subscriptions projection has applied it (`NotSettled` if it cannot in time), so the next
reminder delivered, in any process, already goes to the new recipient. An `UnsubscribeStaff`
is settled by its caller directly: `.changed` says whether they were still subscribed.
"""

from __future__ import annotations

from calendar_service.domain import StaffNotFound, SubscribeStaff
from calendar_service.eventstore import EventStore
from calendar_service.eventstore.port import utc_now
from calendar_service.projections import Projector
from calendar_service.projections.subscriptions import NAME, subscription_doc, subscription_docs
from calendar_service.projections.views import Doc
from calendar_service.service import Clock, Envelope, settle

__all__ = [
    "StaffNotFound",
    "list_subscriptions",
    "subscribe",
]


def subscribe(
    store: EventStore,
    projector: Projector,
    command: SubscribeStaff,
    *,
    actor: str,
    clock: Clock = utc_now,
) -> Doc:
    """Subscribe `command.staff_id`, or change their subscription to exactly this; the stored
    row, once the subscriptions projection has it."""
    settle(store, projector, command, Envelope(actor=actor), clock)
    row = subscription_doc(projector.views, command.staff_id)
    assert row is not None, "settled, so the projection has the subscription"
    return row


def list_subscriptions(projector: Projector, *, include_inactive: bool = False) -> list[Doc]:
    """Every subscription row (active ones only, unless asked), by staff id."""
    projector.catch_up(NAME)
    rows = subscription_docs(projector.views)
    return rows if include_inactive else [row for row in rows if row["active"]]

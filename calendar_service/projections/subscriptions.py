"""The subscriptions projection: every staff notification subscription, so a delivery finds its
recipients in one read.

Tables (projection name `subscriptions`)::

    staff          key staff id   who, email, audience, channels, language, active, and who
                                  subscribed or unsubscribed them, when
    problems       key position   staff events that could not apply
"""

from __future__ import annotations

import json
from typing import Any

from calendar_service.domain import (
    STAFF_EVENT_TYPES,
    Audience,
    Channel,
    DomainError,
    StaffSubscribed,
    Subscription,
    evolve_staff,
    staff_event_from_data,
)
from calendar_service.domain.subscriptions import STAFF_STREAM_PREFIX
from calendar_service.eventstore import StoredEvent
from calendar_service.projections._folding import instant_key, record_problem
from calendar_service.projections.base import Batch
from calendar_service.projections.views import Doc, ViewStore

NAME = "subscriptions"
SUBSCRIPTIONS = "staff"


class SubscriptionsProjection:
    """Subscriptions by staff id, as of the last applied event."""

    name = NAME

    def prepare(self, events: list[StoredEvent], batch: Batch) -> None:
        ids = {_staff_id(event) for event in events if _is_staff(event)}
        batch.load(SUBSCRIPTIONS, sorted(ids))

    def apply(self, event: StoredEvent, batch: Batch) -> None:
        if not _is_staff(event):
            return
        staff_id = _staff_id(event)
        found = batch.get(SUBSCRIPTIONS, staff_id)
        try:
            fact = staff_event_from_data(event.type, event.data)
            state = evolve_staff(None if found is None else subscription_of(found), fact)
        except DomainError as error:
            record_problem(batch, event, error)
            return
        doc: Doc = {
            **(found or {"subscribed_at": None, "subscribed_by": None}),
            **_fields(state),
            "updated_at": instant_key(event.recorded_at),
            "updated_by": event.actor,
        }
        if isinstance(fact, StaffSubscribed):
            doc["subscribed_at"] = doc["subscribed_at"] or instant_key(event.recorded_at)
            doc["subscribed_by"] = doc["subscribed_by"] or event.actor
            doc["reason"] = None
        else:
            doc["reason"] = fact.reason
        batch.put(SUBSCRIPTIONS, staff_id, doc)

    def flush(self, batch: Batch) -> None:
        pass


def _is_staff(event: StoredEvent) -> bool:
    return event.stream.startswith(STAFF_STREAM_PREFIX) and event.type in STAFF_EVENT_TYPES


def _staff_id(event: StoredEvent) -> str:
    return event.stream[len(STAFF_STREAM_PREFIX) :]


def _fields(state: Subscription) -> dict[str, Any]:
    return {
        "staff_id": state.staff_id,
        "name": state.name,
        "email": state.email,
        "audience": state.audience.value,
        "channels": sorted(channel.value for channel in state.channels),
        "lang": state.lang,
        "active": state.active,
    }


def subscription_of(doc: Doc) -> Subscription:
    """The domain value a stored row describes."""
    return Subscription(
        staff_id=doc["staff_id"],
        name=doc["name"],
        email=doc["email"],
        audience=Audience(doc["audience"]),
        channels=frozenset(Channel(c) for c in doc["channels"]),
        lang=doc["lang"],
        active=doc["active"],
    )


# --- queries -------------------------------------------------------------------------------


def subscription_docs(views: ViewStore) -> list[Doc]:
    """Every subscription row (active or not), by staff id."""
    return [json.loads(doc) for _, _, _, doc in views.rows(NAME, SUBSCRIPTIONS)]


def active_subscriptions(views: ViewStore) -> list[Subscription]:
    """The subscriptions reminders go to now."""
    return [subscription_of(doc) for doc in subscription_docs(views) if doc["active"]]


def subscription_doc(views: ViewStore, staff_id: str) -> Doc | None:
    found = views.get(NAME, SUBSCRIPTIONS, [staff_id]).get(staff_id)
    return None if found is None else dict(json.loads(found))

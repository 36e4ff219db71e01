"""The subscriptions projection: every staff notification subscription, so a delivery finds its
recipients in one read.

Tables (projection name `subscriptions`)::

    staff          key staff id   who, email, audience, channels, language, how they hear of
                                  changes, active, and who subscribed or unsubscribed them, when
    problems       key position   staff events that could not apply
"""

from __future__ import annotations

from typing import Any

from calendar_service.domain import (
    STAFF_EVENT_TYPES,
    Audience,
    ChangeNotices,
    Channel,
    StaffSubscribed,
    Subscription,
    evolve_staff,
    staff_event_from_data,
)
from calendar_service.domain.subscriptions import (
    DEFAULT_DIGEST_AT,
    STAFF_STREAM_PREFIX,
    StaffEventType,
)
from calendar_service.eventstore import StoredEvent
from calendar_service.projections._folding import instant_key
from calendar_service.projections.stream_rows import StreamRows, stored_row, stored_rows
from calendar_service.projections.views import Doc, ViewStore

NAME = "subscriptions"
SUBSCRIPTIONS = "staff"


class SubscriptionsProjection(StreamRows[StaffEventType]):
    """Subscriptions by staff id, as of the last applied event."""

    def __init__(self) -> None:
        super().__init__(
            NAME,
            STAFF_STREAM_PREFIX,
            STAFF_EVENT_TYPES,
            staff_event_from_data,
            _fold,
            table=SUBSCRIPTIONS,
        )


def _fold(found: Doc | None, fact: StaffEventType, event: StoredEvent) -> Doc:
    state = evolve_staff(None if found is None else subscription_of(found), fact)
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
    return doc


def _fields(state: Subscription) -> dict[str, Any]:
    return {
        "staff_id": state.staff_id,
        "name": state.name,
        "email": state.email,
        "audience": state.audience.value,
        "channels": sorted(channel.value for channel in state.channels),
        "lang": state.lang,
        "changes": state.changes.value,
        "digest_at": state.digest_at,
        "timezone": state.timezone,
        "invite_deadlines": state.invite_deadlines,
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
        changes=ChangeNotices(doc.get("changes", ChangeNotices.NONE)),
        digest_at=doc.get("digest_at", DEFAULT_DIGEST_AT),
        timezone=doc.get("timezone"),
        invite_deadlines=doc.get("invite_deadlines", False),
        active=doc["active"],
    )


# --- queries -------------------------------------------------------------------------------


def subscription_docs(views: ViewStore) -> list[Doc]:
    """Every subscription row (active or not), by staff id."""
    return stored_rows(views, NAME, SUBSCRIPTIONS)


def active_subscriptions(views: ViewStore) -> list[Subscription]:
    """The subscriptions reminders go to now."""
    return [subscription_of(doc) for doc in subscription_docs(views) if doc["active"]]


def subscription_doc(views: ViewStore, staff_id: str) -> Doc | None:
    return stored_row(views, NAME, SUBSCRIPTIONS, staff_id)

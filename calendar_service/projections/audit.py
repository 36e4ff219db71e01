"""The audit projection: every event of every stream as a timeline row, the record staff trust.

Tables (projection name `audit`)::

    timeline  key "{stream}\\x1f{version:010d}" (also its sort)   one row per event: when the
              office knew it (known_at), when it was recorded (recorded_at), who (actor), what
              (type and a short summary of its data), on what sources, and its ids
    streams   key stream                                          events applied per stream

`streams.events` counts applications while `last_version` is the stream's own count, so the two
differ only if an event were ever applied twice: the tests check exactly that.
"""

from __future__ import annotations

import json
from typing import Any

from calendar_service.domain import (
    EVENT_TYPES,
    DomainError,
    EngagementCancelled,
    EngagementRefined,
    EngagementRescheduled,
    EngagementScheduled,
    Event,
    InvitationAccepted,
    InvitationDeclined,
    InvitationDelegated,
    InvitationReceived,
    NoteAdded,
    ReminderPolicyChanged,
    event_from_data,
)
from calendar_service.eventstore import StoredEvent
from calendar_service.projections._folding import instant_key
from calendar_service.projections.base import Batch
from calendar_service.projections.views import Doc, ViewStore

NAME = "audit"
TIMELINE, STREAMS = "timeline", "streams"
SUMMARY_CHARS = 300
_SEPARATOR = "\x1f"
"""Between stream and version in a timeline key: no stream id can contain it."""


def timeline_key(stream: str, version: int) -> str:
    return f"{stream}{_SEPARATOR}{version:010d}"


class AuditProjection:
    """One timeline row per event, in every stream."""

    name = NAME

    def prepare(self, events: list[StoredEvent], batch: Batch) -> None:
        batch.load(STREAMS, sorted({event.stream for event in events}))

    def apply(self, event: StoredEvent, batch: Batch) -> None:
        key = timeline_key(event.stream, event.version)
        batch.put(TIMELINE, key, timeline_doc(event), key)
        counts = batch.get(STREAMS, event.stream)
        batch.put(
            STREAMS,
            event.stream,
            {
                "stream": event.stream,
                "events": (0 if counts is None else counts["events"]) + 1,
                "last_version": event.version,
                "last_position": event.position,
            },
        )

    def flush(self, batch: Batch) -> None:
        pass


def timeline_doc(event: StoredEvent) -> Doc:
    sources = event.data.get("sources")
    return {
        "position": event.position,
        "stream": event.stream,
        "version": event.version,
        "event_id": str(event.event_id),
        "type": event.type,
        "schema_version": event.schema_version,
        "known_at": instant_key(event.known_at),
        "recorded_at": instant_key(event.recorded_at),
        "actor": event.actor,
        "correlation_id": None if event.correlation_id is None else str(event.correlation_id),
        "causation_id": None if event.causation_id is None else str(event.causation_id),
        "summary": summarize(event),
        "sources": sources if isinstance(sources, list) else [],
    }


def summarize(event: StoredEvent) -> str:
    """A one-line description of what the event says, at most SUMMARY_CHARS characters."""
    text = None
    if event.type in EVENT_TYPES:
        try:
            text = _describe(event_from_data(event.type, event.data))
        except DomainError:
            text = None
    if text is None:
        text = _generic(event.type, event.data)
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _describe(event: Event) -> str | None:
    match event:
        case EngagementScheduled(details=details) | InvitationReceived(details=details) if (
            details is not None
        ):
            verb = "invitation received" if isinstance(event, InvitationReceived) else "scheduled"
            return f"{verb}: {details.title.best('en')}, {details.when.describe()}"
        case InvitationReceived(inviter=inviter):
            return f"invitation received from {inviter}"
        case EngagementRescheduled(when=when, reason=reason):
            return f"moved to {when.describe()}" + (f" ({reason})" if reason else "")
        case EngagementRefined(when=when):
            return f"dates refined to {when.describe()}"
        case EngagementCancelled(reason=reason):
            return f"cancelled: {reason}"
        case InvitationAccepted(note=note) | InvitationDeclined(reason=note):
            verb = "accepted" if isinstance(event, InvitationAccepted) else "declined"
            return f"invitation {verb}" + (f": {note}" if note else "")
        case InvitationDelegated(delegate=delegate):
            return f"delegated to {delegate.party_id} ({delegate.role})"
        case NoteAdded(text=text):
            return f"note: {text}"
        case ReminderPolicyChanged(policy=policy):
            return "reminders: " + ("service default" if policy is None else policy.describe())
    return None


def _generic(event_type: str, data: dict[str, Any]) -> str:
    """`Type: key=value, ...` over the data's scalar fields."""
    parts = [
        f"{key}={json.dumps(value, ensure_ascii=False)}"
        for key, value in sorted(data.items())
        if key != "sources" and (value is None or isinstance(value, str | int | float | bool))
    ]
    return f"{event_type}: {', '.join(parts)}" if parts else event_type


# --- queries -------------------------------------------------------------------------------


def timeline(views: ViewStore, stream: str) -> list[Doc]:
    """The stream's events, oldest first, as the audit timeline shows them."""
    found = views.range(NAME, TIMELINE, stream + _SEPARATOR, stream + chr(ord(_SEPARATOR) + 1))
    return [json.loads(doc) for _, _, doc in found]


def engagement_timeline(views: ViewStore, engagement_id: str) -> list[Doc]:
    """The engagement's events and its reminders' outcomes (stream `reminders:{id}`), in log
    order."""
    rows = timeline(views, f"engagement:{engagement_id}")
    rows += timeline(views, f"reminders:{engagement_id}")
    return sorted(rows, key=lambda doc: doc["position"])


def stream_counts(views: ViewStore) -> dict[str, Doc]:
    """stream -> {events applied, last_version, last_position}."""
    return {key: json.loads(doc) for _, key, _, doc in views.rows(NAME, STREAMS)}

"""Domain events: one frozen dataclass per fact, named in the past tense.

Every event carries the engagement id (its stream) and the sources that support it; who
recorded it and when (actor, recorded_at, known_at) live in the store's envelope, not here.
`to_data()` gives the JSON object the store keeps and `from_data()` rebuilds the event,
validating it like any input. `EVENT_TYPES` maps each type name to its class; each class's
SCHEMA_VERSION is what the store records. To change an event's data shape: bump its
SCHEMA_VERSION and register an upcaster for the old version in `eventstore/codec.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from calendar_service.domain._checks import check_code, check_slug, check_text, check_type
from calendar_service.domain._codec import StoredFact
from calendar_service.domain.engagement import values
from calendar_service.domain.engagement.records import (
    Agreement,
    EngagementDetails,
    ExplicitDeadline,
    Recurrence,
)
from calendar_service.domain.engagement.values import MAX_LONG_TEXT_CHARS, EngagementId, Source
from calendar_service.domain.engagement.when import WHEN_TYPES, When
from calendar_service.domain.errors import InvalidValue

MAX_SOURCES_PER_EVENT = 20


def check_long_text(field: str, value: str | None) -> None:
    """None, or a non-blank text of at most MAX_LONG_TEXT_CHARS (newlines and tabs allowed)."""
    if value is not None:
        check_text(field, value, max_chars=MAX_LONG_TEXT_CHARS, newlines=True, tabs=True)


def check_sources(sources: tuple[Source, ...]) -> None:
    if len(sources) > MAX_SOURCES_PER_EVENT:
        raise InvalidValue("sources", len(sources), f"give at most {MAX_SOURCES_PER_EVENT}")
    for source in sources:
        if type(source) is not Source:
            check_type("sources", source, Source, "a Source")


@dataclass(frozen=True, kw_only=True)
class DomainEvent(StoredFact):
    """What every event has: the engagement it belongs to and the sources supporting it."""

    engagement_id: EngagementId
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        if type(self.engagement_id) is not EngagementId:
            check_type("engagement_id", self.engagement_id, EngagementId, "an EngagementId")
        sources = self.sources
        if type(sources) is not tuple:  # tuple() of a tuple is that very tuple
            sources = tuple(sources)
            object.__setattr__(self, "sources", sources)
        if sources:
            check_sources(sources)


@dataclass(frozen=True, kw_only=True)
class InvitationReceived(DomainEvent):
    """The province was invited by `inviter` (a party id). With `details`, the invitation
    created the engagement, in `status`; without, it was attached to an existing one."""

    inviter: str
    channel: str | None = None
    details: EngagementDetails | None = None
    status: values.EventStatus = values.EventStatus.TENTATIVE

    def __post_init__(self) -> None:
        super().__post_init__()
        check_slug("inviter", self.inviter)
        check_long_text("channel", self.channel)
        if self.details is not None:
            check_type("details", self.details, EngagementDetails, "engagement details")


@dataclass(frozen=True, kw_only=True)
class EngagementScheduled(DomainEvent):
    """An engagement was put in the calendar, with the province `participation`."""

    details: EngagementDetails
    status: values.EventStatus = values.EventStatus.TENTATIVE
    participation: values.Participation = values.Participation.ATTENDING

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("details", self.details, EngagementDetails, "engagement details")


@dataclass(frozen=True, kw_only=True)
class RecurringObservanceDefined(DomainEvent):
    """A yearly observance (an anniversary) was defined; `details.when` is its first one."""

    details: EngagementDetails
    recurrence: Recurrence

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("recurrence", self.recurrence, Recurrence, "a Recurrence")


@dataclass(frozen=True, kw_only=True)
class EngagementRefined(DomainEvent):
    """The when became more precise, within what was known before."""

    when: When

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_when(self.when)


@dataclass(frozen=True, kw_only=True)
class EngagementRescheduled(DomainEvent):
    """The engagement was moved. `less_precise` records that a vaguer when was explicitly
    allowed to replace a more precise one."""

    when: When
    reason: str | None = None
    less_precise: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_when(self.when)
        check_long_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class EngagementConfirmed(DomainEvent):
    """The engagement itself is confirmed to take place."""


@dataclass(frozen=True, kw_only=True)
class InvitationReviewStarted(DomainEvent):
    """The invitation is under review: the province's decision is pending."""

    reviewer: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.reviewer is not None:
            check_slug("reviewer", self.reviewer)


@dataclass(frozen=True, kw_only=True)
class InvitationAccepted(DomainEvent):
    note: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_long_text("note", self.note)


@dataclass(frozen=True, kw_only=True)
class InvitationDeclined(DomainEvent):
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_long_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class InvitationDelegated(DomainEvent):
    """Someone else attends for the principal (e.g. the Economic Vice-Governor)."""

    delegate: values.Participant
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("delegate", self.delegate, values.Participant, "a Participant")
        check_long_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class EngagementHeld(DomainEvent):
    """The engagement took place."""


@dataclass(frozen=True, kw_only=True)
class EngagementCancelled(DomainEvent):
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_long_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class LocationChanged(DomainEvent):
    """The place changed, or became known; None means it is unknown again."""

    place: values.Place | None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.place is not None:
            check_type("place", self.place, values.Place, "a Place")


@dataclass(frozen=True, kw_only=True)
class ParticipantAdded(DomainEvent):
    participant: values.Participant

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("participant", self.participant, values.Participant, "a Participant")


@dataclass(frozen=True, kw_only=True)
class ParticipantRemoved(DomainEvent):
    """`party_id` no longer takes part: in `role` only, or in every role when it is None."""

    party_id: str
    role: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_slug("party_id", self.party_id)
        if self.role is not None:
            check_code("role", self.role)


@dataclass(frozen=True, kw_only=True)
class NoteAdded(DomainEvent):
    """A note; only staff read it unless its `visibility` is public (events recorded before
    notes had one read as internal)."""

    text: str
    visibility: values.Visibility = values.Visibility.INTERNAL

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text("text", self.text, max_chars=MAX_LONG_TEXT_CHARS, newlines=True, tabs=True)
        check_type("visibility", self.visibility, values.Visibility, "internal or public")


@dataclass(frozen=True, kw_only=True)
class SourceAttached(DomainEvent):
    """Evidence was attached (in `sources`); `note` says what it shows."""

    note: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.sources:
            raise InvalidValue("sources", [], "attach at least one source")
        check_long_text("note", self.note)


@dataclass(frozen=True, kw_only=True)
class ReminderPolicyChanged(DomainEvent):
    """The reminder policy changed; None means the service's default applies."""

    policy: values.ReminderPolicy | None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.policy is not None:
            check_type("policy", self.policy, values.ReminderPolicy, "a ReminderPolicy")


@dataclass(frozen=True, kw_only=True)
class AgreementSigned(DomainEvent):
    agreement: Agreement

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("agreement", self.agreement, Agreement, "an Agreement")


@dataclass(frozen=True, kw_only=True)
class DeadlineSet(DomainEvent):
    """A deadline was set by hand; it replaces a derived one with the same key."""

    deadline: ExplicitDeadline

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("deadline", self.deadline, ExplicitDeadline, "an ExplicitDeadline")


@dataclass(frozen=True, kw_only=True)
class AudienceChanged(DomainEvent):
    audience: values.Audience

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("audience", self.audience, values.Audience, "public, staff or restricted")


@dataclass(frozen=True, kw_only=True)
class TitleChanged(DomainEvent):
    title: values.LocalizedText

    def __post_init__(self) -> None:
        super().__post_init__()
        check_type("title", self.title, values.LocalizedText, "titles in en, ko and/or zh")


def _check_when(when: object) -> None:
    if not isinstance(when, WHEN_TYPES):
        raise InvalidValue("when", when, "give an exact, all-day or imprecise when")


Event = (
    InvitationReceived
    | EngagementScheduled
    | RecurringObservanceDefined
    | EngagementRefined
    | EngagementRescheduled
    | EngagementConfirmed
    | InvitationReviewStarted
    | InvitationAccepted
    | InvitationDeclined
    | InvitationDelegated
    | EngagementHeld
    | EngagementCancelled
    | LocationChanged
    | ParticipantAdded
    | ParticipantRemoved
    | NoteAdded
    | SourceAttached
    | ReminderPolicyChanged
    | AgreementSigned
    | DeadlineSet
    | AudienceChanged
    | TitleChanged
)
"""Any domain event."""

EVENT_TYPES: Mapping[str, type[Event]] = {cls.__name__: cls for cls in get_args(Event)}
"""Event type name (as stored) -> class."""


def event_from_data(event_type: str, data: Mapping[str, Any]) -> Event:
    """The event of type name `event_type` that `data` describes (at its current schema)."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise InvalidValue("type", event_type, "it is not a known engagement event type")
    return cls.from_data(data)

"""Commands: what a protocol officer asks for, in the imperative. `decide` turns one into events
or refuses it; a command is only an intent and changes nothing by itself.

Each command names its engagement and may carry the sources that support it; those sources
go onto the events it produces. VERB is how refusals phrase it ("cannot confirm engagement
'x': it is cancelled").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from calendar_service.domain.engagement import values
from calendar_service.domain.engagement.records import (
    Agreement,
    EngagementDetails,
    ExplicitDeadline,
    Recurrence,
)
from calendar_service.domain.engagement.when import When


@dataclass(frozen=True, kw_only=True)
class DomainCommand:
    engagement_id: values.EngagementId
    sources: tuple[values.Source, ...] = ()
    VERB: ClassVar[str] = "change"


@dataclass(frozen=True, kw_only=True)
class ReceiveInvitation(DomainCommand):
    """Record an invitation from `inviter` (a party id).

    With `details` it creates the engagement (in `status`, tentative by default). Without,
    it attaches the invitation to an existing engagement, whose status it leaves alone.
    """

    inviter: str
    channel: str | None = None
    details: EngagementDetails | None = None
    status: values.EventStatus | None = None
    VERB: ClassVar[str] = "receive an invitation to"


@dataclass(frozen=True, kw_only=True)
class ScheduleEngagement(DomainCommand):
    """Put a new engagement in the calendar; `participation` is ATTENDING or NOT_APPLICABLE."""

    details: EngagementDetails
    status: values.EventStatus = values.EventStatus.TENTATIVE
    participation: values.Participation = values.Participation.ATTENDING
    VERB: ClassVar[str] = "schedule"


@dataclass(frozen=True, kw_only=True)
class DefineRecurringObservance(DomainCommand):
    """Define a yearly observance such as the anniversary of a sister relationship."""

    title: values.LocalizedText
    recurrence: Recurrence
    place: values.Place | None = None
    participants: tuple[values.Participant, ...] = ()
    audience: values.Audience = values.Audience.STAFF
    aliases: tuple[str, ...] = ()
    VERB: ClassVar[str] = "define the observance"


@dataclass(frozen=True, kw_only=True)
class Refine(DomainCommand):
    """Make the when more precise, within the current one ("June" -> "25-27 June")."""

    when: When
    VERB: ClassVar[str] = "refine the date of"


@dataclass(frozen=True, kw_only=True)
class Reschedule(DomainCommand):
    """Move the engagement. A vaguer when than the current one needs `allow_less_precise`."""

    when: When
    reason: str | None = None
    allow_less_precise: bool = False
    VERB: ClassVar[str] = "reschedule"


@dataclass(frozen=True, kw_only=True)
class Confirm(DomainCommand):
    VERB: ClassVar[str] = "confirm"


@dataclass(frozen=True, kw_only=True)
class ReviewInvitation(DomainCommand):
    """Put a received invitation under review: the decision is now pending."""

    reviewer: str | None = None
    VERB: ClassVar[str] = "start reviewing the invitation to"


@dataclass(frozen=True, kw_only=True)
class Accept(DomainCommand):
    note: str | None = None
    VERB: ClassVar[str] = "accept the invitation to"


@dataclass(frozen=True, kw_only=True)
class Decline(DomainCommand):
    reason: str | None = None
    VERB: ClassVar[str] = "decline the invitation to"


@dataclass(frozen=True, kw_only=True)
class Delegate(DomainCommand):
    """Send `delegate` in the principal's place."""

    delegate: values.Participant
    reason: str | None = None
    VERB: ClassVar[str] = "delegate"


@dataclass(frozen=True, kw_only=True)
class MarkHeld(DomainCommand):
    VERB: ClassVar[str] = "mark as held"


@dataclass(frozen=True, kw_only=True)
class Cancel(DomainCommand):
    reason: str
    VERB: ClassVar[str] = "cancel"


@dataclass(frozen=True, kw_only=True)
class ChangeLocation(DomainCommand):
    place: values.Place | None
    VERB: ClassVar[str] = "change the location of"


@dataclass(frozen=True, kw_only=True)
class AddParticipant(DomainCommand):
    participant: values.Participant
    VERB: ClassVar[str] = "add a participant to"


@dataclass(frozen=True, kw_only=True)
class RemoveParticipant(DomainCommand):
    """Remove `party_id` in `role`, or in every role when `role` is None."""

    party_id: str
    role: str | None = None
    VERB: ClassVar[str] = "remove a participant from"


@dataclass(frozen=True, kw_only=True)
class AddNote(DomainCommand):
    """Add a note: internal (staff only) unless `visibility` is public."""

    text: str
    visibility: values.Visibility = values.Visibility.INTERNAL
    VERB: ClassVar[str] = "add a note to"


@dataclass(frozen=True, kw_only=True)
class AttachSource(DomainCommand):
    """Attach evidence (in `sources`, at least one); `note` says what it shows."""

    note: str | None = None
    VERB: ClassVar[str] = "attach a source to"


@dataclass(frozen=True, kw_only=True)
class SetReminderPolicy(DomainCommand):
    """Set the reminder policy; None returns the engagement to the service default."""

    policy: values.ReminderPolicy | None
    VERB: ClassVar[str] = "set the reminders of"


@dataclass(frozen=True, kw_only=True)
class RecordAgreement(DomainCommand):
    agreement: Agreement
    VERB: ClassVar[str] = "record an agreement for"


@dataclass(frozen=True, kw_only=True)
class SetDeadline(DomainCommand):
    """Set a deadline by hand (e.g. the inviter's RSVP date)."""

    deadline: ExplicitDeadline
    VERB: ClassVar[str] = "set a deadline for"


@dataclass(frozen=True, kw_only=True)
class ChangeAudience(DomainCommand):
    audience: values.Audience
    VERB: ClassVar[str] = "change the audience of"


@dataclass(frozen=True, kw_only=True)
class ChangeTitle(DomainCommand):
    title: values.LocalizedText
    VERB: ClassVar[str] = "change the title of"


Command = (
    ReceiveInvitation
    | ScheduleEngagement
    | DefineRecurringObservance
    | Refine
    | Reschedule
    | Confirm
    | ReviewInvitation
    | Accept
    | Decline
    | Delegate
    | MarkHeld
    | Cancel
    | ChangeLocation
    | AddParticipant
    | RemoveParticipant
    | AddNote
    | AttachSource
    | SetReminderPolicy
    | RecordAgreement
    | SetDeadline
    | ChangeAudience
    | ChangeTitle
)
"""Any command `decide` accepts."""

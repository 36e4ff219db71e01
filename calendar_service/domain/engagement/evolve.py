"""The engagement's state and how events fold into it: `evolve` and `replay`.

`evolve` trusts its events (`decide` made them), so it applies them without second-guessing;
it raises only when the log itself cannot be right (a change to an engagement that was never
created, a second creation). `sequence` counts the changes of time or status (the feed's
SEQUENCE); the store's version and times are not part of the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import reduce
from typing import Any, assert_never

from calendar_service.domain._codec import decode_fields, encode_fields, field_values
from calendar_service.domain.engagement import events
from calendar_service.domain.engagement.events import Event
from calendar_service.domain.engagement.records import (
    Agreement,
    Description,
    EngagementDetails,
    ExplicitDeadline,
    Recurrence,
)
from calendar_service.domain.engagement.values import (
    Audience,
    EngagementId,
    EventStatus,
    Participant,
    Participation,
    ReminderPolicy,
    Source,
    Visibility,
)
from calendar_service.domain.errors import EngagementAlreadyExists, EngagementNotFound

OPEN_INVITATION = frozenset({Participation.INVITED, Participation.DECISION_PENDING})
ACTIVE = frozenset({EventStatus.TENTATIVE, EventStatus.CONFIRMED})


@dataclass(frozen=True, kw_only=True)
class _Identified:
    id: EngagementId


@dataclass(frozen=True, kw_only=True)
class Engagement(Description, _Identified):
    """An engagement as its events describe it: its id, its description (the fields of the
    details it was recorded with, not checked again), then what its events made of it.
    (`_Identified` is the last base so that `id` is the first field, in `to_json` too.)

    `status` is the engagement's own (tentative, confirmed, held, cancelled); `participation`
    is the province's part in it (invited, decision pending, attending, ...). `decision_note`
    holds the note or reason given with the last accept, decline or delegation. `notes` are
    all the notes, `public_notes` those marked public (what a public reader sees: `seen_by`).
    """

    status: EventStatus = EventStatus.TENTATIVE
    participation: Participation = Participation.NOT_APPLICABLE
    inviter: str | None = None
    invitation_channel: str | None = None
    delegate: Participant | None = None
    decision_note: str | None = None
    cancellation_reason: str | None = None
    reminder_policy: ReminderPolicy | None = None
    notes: tuple[str, ...] = ()
    public_notes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    deadlines: tuple[ExplicitDeadline, ...] = ()
    recurrence: Recurrence | None = None
    sequence: int = 0

    @property
    def is_active(self) -> bool:
        """Neither held nor cancelled: it can still be moved, confirmed or cancelled."""
        return self.status in ACTIVE

    @property
    def has_open_invitation(self) -> bool:
        return self.participation in OPEN_INVITATION

    def seen_by(self, audience: Audience) -> Engagement:
        """The engagement as a reader of `audience` may read it (whether they may see it at
        all is `audience.admits(self.audience)`). Staff and restricted readers read all of it;
        a public reader reads its public notes only and none of the office's reasons: the
        note of its decision, the reason of its cancellation, the channel of its invitation.
        Its sources stay: they are published references."""
        if audience is not Audience.PUBLIC:
            return self
        return replace(
            self,
            notes=self.public_notes,
            decision_note=None,
            cancellation_reason=None,
            invitation_channel=None,
        )

    def to_json(self) -> dict[str, Any]:
        """The state as a JSON object (for read models that cache it)."""
        return encode_fields(self)

    @classmethod
    def from_json(cls, raw: object, field: str = "engagement") -> Engagement:
        return cls(**decode_fields(cls, raw, field))


def evolve(state: Engagement | None, event: Event) -> Engagement:
    """The state after `event`. Raises EngagementNotFound for a change to no engagement and
    EngagementAlreadyExists for a second creation."""
    if isinstance(event, events.EngagementScheduled | events.RecurringObservanceDefined) or (
        isinstance(event, events.InvitationReceived) and event.details is not None
    ):
        if state is not None:
            raise EngagementAlreadyExists(str(event.engagement_id), f"apply {event.event_type}")
        return _with_sources(_create(event), event.sources)
    if state is None:
        raise EngagementNotFound(str(event.engagement_id), f"apply {event.event_type}")
    return _with_sources(_change(state, event), event.sources)


def replay(events: Iterable[Event]) -> Engagement | None:
    """The state the events build from nothing; None if there are none."""
    return reduce(evolve, events, None)


def _create(event: Event) -> Engagement:
    match event:
        case events.EngagementScheduled(details=details):
            return _from_details(event.engagement_id, details, event.status, event.participation)
        case events.RecurringObservanceDefined(details=details):
            created = _from_details(
                event.engagement_id, details, EventStatus.CONFIRMED, Participation.NOT_APPLICABLE
            )
            return replace(created, recurrence=event.recurrence)
        case events.InvitationReceived(details=EngagementDetails() as details):
            created = _from_details(
                event.engagement_id, details, event.status, Participation.INVITED
            )
            return replace(created, inviter=event.inviter, invitation_channel=event.channel)
    raise AssertionError(f"{event.event_type} creates no engagement")  # pragma: no cover


def _from_details(
    engagement_id: EngagementId,
    details: EngagementDetails,
    status: EventStatus,
    participation: Participation,
) -> Engagement:
    return Engagement(
        id=engagement_id, **field_values(details), status=status, participation=participation
    )


def _change(state: Engagement, event: Event) -> Engagement:
    match event:
        case events.EngagementRefined(when=when) | events.EngagementRescheduled(when=when):
            return _bumped(state, when=when)
        case events.EngagementConfirmed():
            return _bumped(state, status=EventStatus.CONFIRMED)
        case events.EngagementHeld():
            return _bumped(state, status=EventStatus.HELD)
        case events.EngagementCancelled(reason=reason):
            return _bumped(state, status=EventStatus.CANCELLED, cancellation_reason=reason)
        case events.InvitationReceived(inviter=inviter, channel=channel):
            invited = Participation.INVITED
            return _bumped(
                state, participation=invited, inviter=inviter, invitation_channel=channel
            )
        case events.InvitationReviewStarted():
            return _bumped(state, participation=Participation.DECISION_PENDING)
        case events.InvitationAccepted(note=note):
            return _decided(state, Participation.ATTENDING, None, note)
        case events.InvitationDeclined(reason=reason):
            return _decided(state, Participation.DECLINED, None, reason)
        case events.InvitationDelegated(delegate=delegate, reason=reason):
            return _decided(state, Participation.DELEGATED, delegate, reason)
        case events.LocationChanged(place=place):
            return replace(state, place=place)
        case events.ParticipantAdded(participant=participant):
            return replace(state, participants=(*state.participants, participant))
        case events.ParticipantRemoved(party_id=party_id, role=role):
            kept = [p for p in state.participants if not matches_participant(p, party_id, role)]
            return replace(state, participants=tuple(kept))
        case events.NoteAdded(text=text, visibility=visibility):
            if visibility is Visibility.PUBLIC:
                state = replace(state, public_notes=(*state.public_notes, text))
            return replace(state, notes=(*state.notes, text))
        case events.SourceAttached():
            return state
        case events.ReminderPolicyChanged(policy=policy):
            return replace(state, reminder_policy=policy)
        case events.AgreementSigned(agreement=agreement):
            return replace(state, agreements=(*state.agreements, agreement))
        case events.DeadlineSet(deadline=deadline):
            others = tuple(d for d in state.deadlines if d.key != deadline.key)
            return replace(state, deadlines=(*others, deadline))
        case events.AudienceChanged(audience=audience):
            return replace(state, audience=audience)
        case events.TitleChanged(title=title):
            return replace(state, title=title)
        case events.EngagementScheduled() | events.RecurringObservanceDefined():  # pragma: no cover
            raise AssertionError(f"{event.event_type} creates; evolve routes it to _create")
        case _:
            assert_never(event)


def matches_participant(participant: Participant, party_id: str, role: str | None) -> bool:
    """True if `participant` is `party_id` in `role` (in any role when `role` is None)."""
    return participant.party_id == party_id and (role is None or participant.role == role)


def _bumped(state: Engagement, **changes: Any) -> Engagement:
    return replace(state, sequence=state.sequence + 1, **changes)


def _decided(
    state: Engagement, participation: Participation, delegate: Participant | None, note: str | None
) -> Engagement:
    return _bumped(state, participation=participation, delegate=delegate, decision_note=note)


def _with_sources(state: Engagement, sources: tuple[Source, ...]) -> Engagement:
    new = tuple(source for source in dict.fromkeys(sources) if source not in state.sources)
    return replace(state, sources=(*state.sources, *new)) if new else state

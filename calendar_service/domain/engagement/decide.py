"""`decide`: which events a command produces, given the engagement's state and the time.

A command either yields at least one event or raises a DomainError; it never yields nothing.
Refusals name the command and the state ("cannot confirm engagement 'x': it is cancelled").
Rules worth knowing:

- The engagement's status and the province's participation are checked separately: Davos can
  be confirmed while the province is still deciding.
- A vaguer when never replaces a more precise one: Refine only narrows within the current when;
  Reschedule may move anywhere, but to a vaguer when only with `allow_less_precise`.
- `now` is used only to refuse what cannot have happened yet (held before it started, an
  agreement signed in the future), so backfilled history can be recorded today.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar, assert_never

from calendar_service.domain.engagement import commands, events
from calendar_service.domain.engagement.commands import Command, DomainCommand
from calendar_service.domain.engagement.events import DomainEvent, Event
from calendar_service.domain.engagement.evolve import (
    ACTIVE,
    OPEN_INVITATION,
    Engagement,
    matches_participant,
)
from calendar_service.domain.engagement.records import MAX_PARTICIPANTS, EngagementDetails
from calendar_service.domain.engagement.values import (
    Direction,
    EngagementKind,
    EventStatus,
    Participation,
)
from calendar_service.domain.engagement.when import When
from calendar_service.domain.errors import (
    CommandRefused,
    EngagementAlreadyExists,
    EngagementNotFound,
    InvalidValue,
)

NOT_CANCELLED = frozenset(EventStatus) - {EventStatus.CANCELLED}
ANY_STATUS = frozenset(EventStatus)
_NEW_STATUSES = frozenset({EventStatus.TENTATIVE, EventStatus.CONFIRMED})
_SCHEDULED_PARTICIPATION = frozenset({Participation.ATTENDING, Participation.NOT_APPLICABLE})
E = TypeVar("E", bound=DomainEvent)


def decide(state: Engagement | None, command: Command, now: datetime) -> list[Event]:
    """The events `command` produces on `state` at `now` (an aware time); at least one.

    Raises EngagementNotFound, EngagementAlreadyExists, CommandRefused or InvalidValue, and
    then nothing has changed.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidValue("now", now.isoformat(), "give an aware time (with a UTC offset)")
    match command:
        case commands.ReceiveInvitation():
            return _receive_invitation(state, command)
        case commands.ScheduleEngagement():
            return _schedule(state, command)
        case commands.DefineRecurringObservance():
            return _define_observance(state, command)
        case _:
            return _decide_change(_existing(state, command), command, now)


def _decide_change(state: Engagement, command: Command, now: datetime) -> list[Event]:
    match command:
        case commands.Refine() | commands.Reschedule():
            return _move(state, command)
        case commands.Confirm():
            _require_status(command, state, {EventStatus.TENTATIVE}, EventStatus.CONFIRMED)
            return [_event(events.EngagementConfirmed, command)]
        case (
            commands.ReviewInvitation()
            | commands.Accept()
            | commands.Decline()
            | commands.Delegate()
        ):
            return _participate(state, command)
        case commands.MarkHeld():
            return _mark_held(state, command, now)
        case commands.Cancel():
            _require_status(command, state, ACTIVE, EventStatus.CANCELLED)
            return [_event(events.EngagementCancelled, command, reason=command.reason)]
        case commands.ChangeLocation():
            _require_status(command, state, NOT_CANCELLED)
            _require_change(command, state, state.place == command.place, "that is its location")
            return [_event(events.LocationChanged, command, place=command.place)]
        case commands.AddParticipant() | commands.RemoveParticipant():
            return _participants(state, command)
        case commands.AddNote():
            return [
                _event(events.NoteAdded, command, text=command.text, visibility=command.visibility)
            ]
        case commands.AttachSource():
            return _attach_source(state, command)
        case (
            commands.SetReminderPolicy()
            | commands.RecordAgreement()
            | commands.SetDeadline()
            | commands.ChangeAudience()
        ):
            return _set(state, command, now)
        case commands.ChangeTitle():
            _require_change(command, state, state.title == command.title, "that is its title")
            return [_event(events.TitleChanged, command, title=command.title)]
        case (
            commands.ReceiveInvitation()
            | commands.ScheduleEngagement()
            | commands.DefineRecurringObservance()
        ):
            raise AssertionError("creating commands are decided by decide()")  # pragma: no cover
        case _:
            assert_never(command)


def _receive_invitation(
    state: Engagement | None, command: commands.ReceiveInvitation
) -> list[Event]:
    if state is None:
        if command.details is None:
            raise EngagementNotFound(str(command.engagement_id), command.VERB)
        status = command.status or EventStatus.TENTATIVE
        _check_choice("status", status, _NEW_STATUSES)
        return [_event(events.InvitationReceived, command, **_invitation(command), status=status)]
    if command.details is not None:
        raise EngagementAlreadyExists(str(command.engagement_id), command.VERB)
    if command.status is not None:
        raise InvalidValue(
            "status",
            command.status.value,
            "an invitation to an existing engagement leaves its status alone; confirm it apart",
        )
    _require_status(command, state, ACTIVE)
    if state.participation is not Participation.NOT_APPLICABLE:
        raise _refused(
            command, state, f"an invitation was already received ({_participation(state)})"
        )
    return [_event(events.InvitationReceived, command, **_invitation(command))]


def _invitation(command: commands.ReceiveInvitation) -> dict[str, Any]:
    return {"inviter": command.inviter, "channel": command.channel, "details": command.details}


def _schedule(state: Engagement | None, command: commands.ScheduleEngagement) -> list[Event]:
    _absent(state, command)
    _check_choice("status", command.status, _NEW_STATUSES)
    _check_choice("participation", command.participation, _SCHEDULED_PARTICIPATION)
    return [
        _event(
            events.EngagementScheduled,
            command,
            details=command.details,
            status=command.status,
            participation=command.participation,
        )
    ]


def _define_observance(
    state: Engagement | None, command: commands.DefineRecurringObservance
) -> list[Event]:
    _absent(state, command)
    details = EngagementDetails(
        kind=EngagementKind.ANNIVERSARY,
        direction=Direction.LOCAL,
        title=command.title,
        when=command.recurrence.first(),
        place=command.place,
        participants=command.participants,
        audience=command.audience,
        aliases=command.aliases,
    )
    return [
        _event(
            events.RecurringObservanceDefined,
            command,
            details=details,
            recurrence=command.recurrence,
        )
    ]


def _move(state: Engagement, command: commands.Refine | commands.Reschedule) -> list[Event]:
    new, current = command.when, state.when
    _require_status(
        command, state, NOT_CANCELLED if isinstance(command, commands.Refine) else ACTIVE
    )
    _require_change(command, state, new == current, f"its when is already {current.describe()}")
    if isinstance(command, commands.Refine):
        _check_refinement(command, state, new, current)
        return [_event(events.EngagementRefined, command, when=new)]
    vaguer = new.precision < current.precision
    if vaguer and not command.allow_less_precise:
        raise _refused(
            command,
            state,
            f"{_precise(new)} is less precise than its current {_precise(current)}; "
            "a vaguer when never replaces a more precise one unless allow_less_precise is set",
        )
    return [
        _event(
            events.EngagementRescheduled,
            command,
            when=new,
            reason=command.reason,
            less_precise=vaguer,
        )
    ]


def _check_refinement(
    command: commands.Refine, state: Engagement, new: When, current: When
) -> None:
    if new.precision < current.precision:
        raise _refused(
            command,
            state,
            f"{_precise(new)} is less precise than its current {_precise(current)}; a "
            "refinement must be at least as precise (use reschedule with allow_less_precise)",
        )
    if not current.contains(new):
        raise _refused(
            command,
            state,
            f"{new.describe()} lies outside its current when {current.describe()}; a "
            "refinement must fall within it (use reschedule to move the engagement)",
        )


def _precise(when: When) -> str:
    return f"when {when.describe()} ({when.precision.label})"


def _participate(
    state: Engagement,
    command: commands.ReviewInvitation | commands.Accept | commands.Decline | commands.Delegate,
) -> list[Event]:
    _require_status(command, state, ACTIVE)
    match command:
        case commands.ReviewInvitation():
            _require_participation(command, state, {Participation.INVITED})
            return [_event(events.InvitationReviewStarted, command, reviewer=command.reviewer)]
        case commands.Accept():
            _require_participation(command, state, _DECIDABLE - {Participation.ATTENDING})
            return [_event(events.InvitationAccepted, command, note=command.note)]
        case commands.Decline():
            _require_participation(command, state, _DECIDABLE - {Participation.DECLINED})
            return [_event(events.InvitationDeclined, command, reason=command.reason)]
        case commands.Delegate():
            _require_participation(command, state, _DECIDABLE)
            same = state.delegate == command.delegate
            _require_change(command, state, same, "it is already delegated to them")
            return [
                _event(
                    events.InvitationDelegated,
                    command,
                    delegate=command.delegate,
                    reason=command.reason,
                )
            ]


_DECIDABLE = OPEN_INVITATION | {
    Participation.ATTENDING,
    Participation.DECLINED,
    Participation.DELEGATED,
}


def _mark_held(state: Engagement, command: commands.MarkHeld, now: datetime) -> list[Event]:
    _require_status(command, state, ACTIVE, EventStatus.HELD)
    start = state.when.bounds()[0]
    if start > now:
        raise _refused(
            command,
            state,
            f"it starts {state.when.describe()}, after now ({now.isoformat(timespec='minutes')})",
        )
    return [_event(events.EngagementHeld, command)]


def _participants(
    state: Engagement, command: commands.AddParticipant | commands.RemoveParticipant
) -> list[Event]:
    _require_status(command, state, NOT_CANCELLED)
    if isinstance(command, commands.AddParticipant):
        new = command.participant
        present = any(matches_participant(p, new.party_id, new.role) for p in state.participants)
        _require_change(
            command, state, present, f"{new.party_id!r} already takes part as {new.role!r}"
        )
        if len(state.participants) >= MAX_PARTICIPANTS:
            raise _refused(command, state, f"it already has {MAX_PARTICIPANTS} participants")
        return [_event(events.ParticipantAdded, command, participant=new)]
    role = command.role
    found = any(matches_participant(p, command.party_id, role) for p in state.participants)
    if not found:
        in_role = "" if role is None else f" as {role!r}"
        raise _refused(command, state, f"{command.party_id!r} does not take part{in_role}")
    return [_event(events.ParticipantRemoved, command, party_id=command.party_id, role=role)]


def _attach_source(state: Engagement, command: commands.AttachSource) -> list[Event]:
    if not command.sources:
        raise InvalidValue("sources", [], "attach at least one source")
    known = all(source in state.sources for source in command.sources)
    _require_change(command, state, known, "every one of these sources is already attached")
    return [_event(events.SourceAttached, command, note=command.note)]


def _set(
    state: Engagement,
    command: commands.SetReminderPolicy
    | commands.RecordAgreement
    | commands.SetDeadline
    | commands.ChangeAudience,
    now: datetime,
) -> list[Event]:
    match command:
        case commands.SetReminderPolicy(policy=policy):
            # a held engagement still has follow-ups (report, thank-you letters) to remind of
            _require_status(command, state, NOT_CANCELLED)
            _require_change(command, state, state.reminder_policy == policy, "that is its policy")
            return [_event(events.ReminderPolicyChanged, command, policy=policy)]
        case commands.RecordAgreement(agreement=agreement):
            _require_status(command, state, NOT_CANCELLED)
            _check_agreement(command, state, now)
            return [_event(events.AgreementSigned, command, agreement=agreement)]
        case commands.SetDeadline(deadline=deadline):
            _require_status(command, state, NOT_CANCELLED)
            _require_change(command, state, deadline in state.deadlines, "it is already set")
            return [_event(events.DeadlineSet, command, deadline=deadline)]
        case commands.ChangeAudience(audience=audience):
            _require_change(command, state, state.audience == audience, "that is its audience")
            return [_event(events.AudienceChanged, command, audience=audience)]


def _check_agreement(command: commands.RecordAgreement, state: Engagement, now: datetime) -> None:
    agreement = command.agreement
    if any(a.agreement_id == agreement.agreement_id for a in state.agreements):
        raise _refused(command, state, f"agreement {agreement.agreement_id!r} is already recorded")
    latest = (now + timedelta(days=1)).date()
    if agreement.signed_on is not None and agreement.signed_on > latest:
        raise InvalidValue(
            "agreement.signed_on",
            agreement.signed_on.isoformat(),
            f"it is after today ({now.date().isoformat()}); record an agreement once signed",
        )


def _existing(state: Engagement | None, command: DomainCommand) -> Engagement:
    if state is None:
        raise EngagementNotFound(str(command.engagement_id), command.VERB)
    if state.id != command.engagement_id:
        raise InvalidValue(
            "engagement_id", str(command.engagement_id), f"the state loaded is {state.id}"
        )
    return state


def _absent(state: Engagement | None, command: DomainCommand) -> None:
    if state is not None:
        raise EngagementAlreadyExists(str(command.engagement_id), command.VERB)


def _require_status(
    command: DomainCommand,
    state: Engagement,
    allowed: frozenset[EventStatus] | set[EventStatus],
    target: EventStatus | None = None,
) -> None:
    if state.status in allowed:
        return
    already = "already " if state.status is target else ""
    raise _refused(command, state, f"it is {already}{state.status.value}")


def _require_participation(
    command: DomainCommand,
    state: Engagement,
    allowed: frozenset[Participation] | set[Participation],
) -> None:
    if state.participation not in allowed:
        raise _refused(command, state, _participation(state))


def _participation(state: Engagement) -> str:
    if state.participation is Participation.NOT_APPLICABLE:
        return "no invitation was received (participation: not applicable)"
    return f"the province's participation is {state.participation.value.replace('_', ' ')}"


def _require_change(command: DomainCommand, state: Engagement, same: bool, reason: str) -> None:
    if same:
        raise _refused(command, state, f"nothing would change: {reason}")


def _check_choice(
    field: str, value: EventStatus | Participation, allowed: frozenset[object]
) -> None:
    if value not in allowed:
        choices = ", ".join(sorted(str(choice) for choice in allowed))
        raise InvalidValue(field, str(value), f"use one of {choices}")


def _refused(command: DomainCommand, state: Engagement, reason: str) -> CommandRefused:
    where = f"{state.status.value}, participation {state.participation.value}"
    return CommandRefused(command.VERB, str(state.id), where, reason)


def _event(cls: type[E], command: DomainCommand, **data: Any) -> E:
    """An event of type `cls` for the command's engagement, carrying the command's sources."""
    return cls(engagement_id=command.engagement_id, sources=command.sources, **data)

"""An engagement's history: every event of its stream and its reminders' outcomes, in log
order, each entry saying what changed (from what to what), when the office knew it, when it
was recorded, by whom and on what source.

The one history of the service: `calendar-service history`, `GET /api/engagements/{id}/history`
and the feed's page all show `engagement_history`. It is folded from the streams on every
read, so it shows the write just made. What changed is worded in the reader's language
(titles, dates, places: `wording`); the words for the event types (`EVENT_WORDS`) are still
English only, and the page's golden bytes hold them so until the catalogue changes them.
Functions here import the domain, the event-store port and `wording`, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from calendar_service.domain import (
    EVENT_TYPES,
    REMINDER_EVENT_TYPES,
    DomainError,
    Engagement,
    Event,
    Source,
    When,
    event_from_data,
    evolve,
    reminder_stream,
)
from calendar_service.domain.engagement import events
from calendar_service.eventstore import EventStore, StoredEvent
from calendar_service.read.wording import (
    describe_participation,
    describe_place,
    describe_recurrence,
    describe_status,
    describe_when,
    describe_when_in_zone,
    format_day,
    party_name,
)

ENGAGEMENT_STREAM_PREFIX = "engagement:"
"""The prefix of engagement streams; the same as `service.stream_of` (a test holds them equal:
this module stays below the write path and does not import it)."""


def is_engagement_event(stored: StoredEvent) -> bool:
    """An engagement domain event (other streams and types are not the calendar's)."""
    return stored.stream.startswith(ENGAGEMENT_STREAM_PREFIX) and stored.type in EVENT_TYPES


def to_event(stored: StoredEvent) -> Event:
    return event_from_data(stored.type, stored.data)


@dataclass(frozen=True)
class HistoryRow:
    """One entry of an engagement's timeline: when known and recorded, by whom, what changed,
    on what source. `what` is the event type in words; `change` says from what to what."""

    version: int
    position: int
    known_at: datetime
    recorded_at: datetime
    actor: str
    event_type: str
    what: str
    change: str
    sources: tuple[Source, ...]

    @property
    def summary(self) -> str:
        return f"{self.what}: {self.change}" if self.change else self.what


EVENT_WORDS = {
    "InvitationReceived": "invitation received",
    "EngagementScheduled": "scheduled",
    "RecurringObservanceDefined": "yearly observance defined",
    "EngagementRefined": "date refined",
    "EngagementRescheduled": "rescheduled",
    "EngagementConfirmed": "confirmed",
    "InvitationReviewStarted": "invitation under review",
    "InvitationAccepted": "invitation accepted",
    "InvitationDeclined": "invitation declined",
    "InvitationDelegated": "attendance delegated",
    "EngagementHeld": "held",
    "EngagementCancelled": "cancelled",
    "LocationChanged": "location changed",
    "ParticipantAdded": "participant added",
    "ParticipantRemoved": "participant removed",
    "NoteAdded": "note added",
    "SourceAttached": "source attached",
    "ReminderPolicyChanged": "reminders changed",
    "AgreementSigned": "agreement signed",
    "DeadlineSet": "deadline set by hand",
    "AudienceChanged": "audience changed",
    "TitleChanged": "title changed",
}
"""Each event type in the words of the protocol office."""
OUTCOME_WORDS = {
    "ReminderSent": "reminder sent",
    "ReminderFailed": "reminder failed",
    "ReminderMissed": "reminder missed",
}
"""The reminder outcomes an engagement's history shows (stream `reminders:{id}`)."""


@dataclass(frozen=True)
class History:
    """An engagement's timeline, oldest first, and its state as the last entry left it."""

    engagement_id: str
    state: Engagement | None
    rows: list[HistoryRow]

    def title(self, lang: str = "en") -> str:
        """The engagement's title in `lang` (or its best other), '' if it was never created."""
        return "" if self.state is None else self.state.title.best(lang)


def engagement_history(store: EventStore, engagement_id: str, lang: str = "en") -> History | None:
    """The engagement's history in `lang`, read from the log now; None if the log holds no
    event of it."""
    stored = engagement_events(store, engagement_id)
    if not stored:
        return None
    rows, state = _fold(stored, lang)
    return History(engagement_id, state, rows)


def engagement_events(store: EventStore, engagement_id: str) -> list[StoredEvent]:
    """What an engagement's history shows: its own stream and its reminders' outcomes
    (`reminders:{id}`), in log order."""
    return sorted(
        [
            *store.read_stream(ENGAGEMENT_STREAM_PREFIX + engagement_id),
            *store.read_stream(reminder_stream(engagement_id)),
        ],
        key=lambda stored: stored.position,
    )


def history_rows(log: Iterable[StoredEvent], lang: str = "en") -> list[HistoryRow]:
    """The timeline of one engagement's stream (with its reminders' outcomes, see
    `engagement_events`), oldest first, each entry saying what changed against the state before
    it. Events of other kinds are listed by type, unexplained."""
    return _fold(log, lang)[0]


def _fold(log: Iterable[StoredEvent], lang: str) -> tuple[list[HistoryRow], Engagement | None]:
    rows = []
    state: Engagement | None = None
    for stored in sorted(log, key=lambda s: s.position):
        sources: tuple[Source, ...] = ()
        change = ""
        if stored.type in REMINDER_EVENT_TYPES:
            change = describe_reminder_outcome(stored)
        elif is_engagement_event(stored):
            try:
                event = to_event(stored)
                before, state = state, evolve(state, event)
            except DomainError as error:
                # A change the state cannot take (or a schema this code cannot read): the
                # history still lists it, and says why it did not apply.
                change = f"not applied: {error}"
            else:
                change, sources = describe_change(before, state, event, lang), event.sources
        rows.append(_row(stored, change, sources))
    return rows, state


def _row(stored: StoredEvent, change: str, sources: tuple[Source, ...]) -> HistoryRow:
    return HistoryRow(
        version=stored.version,
        position=stored.position,
        known_at=stored.known_at,
        recorded_at=stored.recorded_at,
        actor=stored.actor,
        event_type=stored.type,
        what=EVENT_WORDS.get(stored.type) or OUTCOME_WORDS.get(stored.type, stored.type),
        change=change,
        sources=sources,
    )


def describe_reminder_outcome(stored: StoredEvent) -> str:
    """'start-P7D reminder by email to kim@…, webhook (2 s late)', '… failed: 550 …'."""
    data = stored.data
    offset = data.get("offset", "?")
    if stored.type == "ReminderSent":
        reached = ", ".join(
            d.get("channel", "?") + (f" to {d['to']}" if d.get("channel") == "email" else "")
            for d in data.get("deliveries", [])
        )
        late = int(data.get("late_ms", 0)) // 1000
        return f"{offset} reminder by {reached}" + (f" ({late} s late)" if late else "")
    if stored.type == "ReminderFailed":
        why = "; ".join(
            f"{f.get('channel')} {f.get('to')}: {f.get('error')}" for f in data.get("failures", [])
        )
        return f"{offset} reminder reached nobody after {data.get('attempts', '?')} attempts: {why}"
    late = int(data.get("late_ms", 0)) // 1000
    return f"{offset} reminder not sent: {late} s late, beyond the grace of {data.get('grace')}"


def describe_change(
    before: Engagement | None, after: Engagement, event: Event, lang: str = "en"
) -> str:
    """What `event` changed, from `before` to `after`, in words."""
    if before is None:
        return _created(after, event, lang)
    match event:
        case events.EngagementRefined(when=when) | events.EngagementRescheduled(when=when):
            moved = _moved(before.when, when, lang)
            reason = getattr(event, "reason", None)
            return f"{moved}; reason: {reason}" if reason else moved
        case events.EngagementConfirmed() | events.EngagementHeld() | events.EngagementCancelled():
            text = f"status {before.status.value} → {after.status.value}"
            reason = (
                after.cancellation_reason if isinstance(event, events.EngagementCancelled) else None
            )
            return f"{text}; reason: {reason}" if reason else text
        case (
            events.InvitationReceived()
            | events.InvitationReviewStarted()
            | events.InvitationAccepted()
            | events.InvitationDeclined()
            | events.InvitationDelegated()
        ):
            return _participation_change(before, after, event, lang)
        case events.LocationChanged(place=place):
            old = describe_place(before.place, lang) or "unknown"
            return f"{old} → {describe_place(place, lang) or 'unknown'}"
        case events.ParticipantAdded(participant=participant):
            return f"{party_name(after, participant.party_id, lang)} as {participant.role}"
        case events.ParticipantRemoved(party_id=party_id, role=role):
            return f"{party_name(before, party_id, lang)} ({role or 'every role'})"
        case events.NoteAdded(text=text):
            return text
        case events.SourceAttached(note=note):
            return note or ""
        case events.ReminderPolicyChanged(policy=policy):
            return policy.describe() if policy is not None else "back to the service default"
        case events.AgreementSigned(agreement=agreement):
            by = ", ".join(party_name(after, party, lang) for party in agreement.signatories)
            on = f" on {format_day(agreement.signed_on, lang)}" if agreement.signed_on else ""
            return f"{agreement.name.best(lang)}, signed{on}" + (f" by {by}" if by else "")
        case events.DeadlineSet(deadline=deadline):
            return f"{deadline.key} due {format_day(deadline.due, lang)}; basis: {deadline.basis}"
        case events.AudienceChanged(audience=audience):
            return f"{before.audience.value} → {audience.value}"
        case events.TitleChanged(title=title):
            return f"{before.title.best(lang)} → {title.best(lang)}"
        case events.EngagementScheduled() | events.RecurringObservanceDefined():  # pragma: no cover
            raise AssertionError("a creating event has no state before it")


def _created(engagement: Engagement, event: Event, lang: str) -> str:
    title = engagement.title.best(lang)
    if isinstance(event, events.RecurringObservanceDefined):
        return f"{title}; {describe_recurrence(event.recurrence, lang)}"
    parts = [title, describe_when_in_zone(engagement.when, lang)]
    place = describe_place(engagement.place, lang)
    if place:
        parts.append(f"at {place}")
    parts.append(f"status {describe_status(engagement, lang)}")
    text = "; ".join(parts)
    if isinstance(event, events.InvitationReceived):
        channel = f" ({event.channel})" if event.channel else ""
        return f"from {party_name(engagement, event.inviter, lang)}{channel}: {text}"
    return text


def _moved(old: When, new: When, lang: str) -> str:
    if old.tz == new.tz:
        return f"{describe_when(old, lang)} → {describe_when_in_zone(new, lang)}"
    return f"{describe_when_in_zone(old, lang)} → {describe_when_in_zone(new, lang)}"


def _participation_change(before: Engagement, after: Engagement, event: Event, lang: str) -> str:
    old = describe_participation(before, lang) or "no invitation"
    text = f"participation: {old} → {describe_participation(after, lang)}"
    if isinstance(event, events.InvitationReceived):
        text = f"from {party_name(after, event.inviter, lang)}; {text}"
    note = after.decision_note if not isinstance(event, events.InvitationReceived) else None
    return f"{text}; {note}" if note else text

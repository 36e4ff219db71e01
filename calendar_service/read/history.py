"""Read-side queries over the event log: the calendar as of a moment, the agenda, a history.

Pure functions over an iterable of `StoredEvent` (what `iter_all(store)` or `read_stream`
yield), so the projections can later feed them from their own tables instead of a replay.
They import the domain, the event-store port and `wording`, nothing else.

The calendar is bitemporal (DESIGN.md §5). `Axis.KNOWN` keeps the events whose `known_at` is
at or before the moment: the calendar as the office knew it then, so the seed's history reads
right on any past day. `Axis.RECORDED` keeps those whose `recorded_at` is: the log as it stood.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from calendar_service.domain import (
    DEFAULT_RULES,
    EVENT_TYPES,
    REMINDER_EVENT_TYPES,
    AgreementSigned,
    AllDayWhen,
    AudienceChanged,
    Deadline,
    DeadlineRules,
    DeadlineSet,
    DomainError,
    Engagement,
    EngagementCancelled,
    EngagementConfirmed,
    EngagementHeld,
    EngagementRefined,
    EngagementRescheduled,
    EngagementScheduled,
    Event,
    InvitationAccepted,
    InvitationDeclined,
    InvitationDelegated,
    InvitationReceived,
    InvitationReviewStarted,
    LocalizedText,
    LocationChanged,
    NoteAdded,
    ParticipantAdded,
    ParticipantRemoved,
    Precision,
    RecurringObservanceDefined,
    ReminderPolicyChanged,
    Source,
    SourceAttached,
    TitleChanged,
    When,
    WorkingDayPredicate,
    derive_deadlines,
    event_from_data,
    evolve,
    reminder_stream,
)
from calendar_service.domain.workdays import korean_working_days
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


class Axis(StrEnum):
    KNOWN = "known_at"
    RECORDED = "recorded_at"


def is_engagement_event(stored: StoredEvent) -> bool:
    """An engagement domain event (other streams and types are not the calendar's)."""
    return stored.stream.startswith(ENGAGEMENT_STREAM_PREFIX) and stored.type in EVENT_TYPES


def calendar_as_of(
    events: Iterable[StoredEvent], as_of: datetime | None = None, axis: Axis = Axis.KNOWN
) -> list[Engagement]:
    """Every engagement as the events up to `as_of` on `axis` describe it (all events when
    `as_of` is None), ordered by first day. Each stream is folded in version order; an
    engagement whose creating event is not in range does not exist yet, and a change to it
    is set aside. An event that cannot be read or applied is skipped."""
    if as_of is not None and as_of.utcoffset() is None:
        raise ValueError(f"as_of {as_of.isoformat()} has no UTC offset; give an aware time")
    streams: dict[str, list[StoredEvent]] = defaultdict(list)
    for stored in events:
        if is_engagement_event(stored) and (as_of is None or _moment(stored, axis) <= as_of):
            streams[stored.stream].append(stored)
    engagements = [
        state
        for stream in streams.values()
        if (state := _fold(sorted(stream, key=lambda s: s.version))) is not None
    ]
    return sorted(engagements, key=lambda e: (e.when.first_day, str(e.id)))


def _moment(stored: StoredEvent, axis: Axis) -> datetime:
    return stored.known_at if axis is Axis.KNOWN else stored.recorded_at


def _fold(stream: list[StoredEvent]) -> Engagement | None:
    state: Engagement | None = None
    for stored in stream:
        try:
            state = evolve(state, to_event(stored))
        except DomainError:
            # Most often EngagementNotFound: a change known before the engagement itself was
            # (a backfill with an earlier known_at), so as of this moment there is nothing to
            # apply it to. Otherwise an event this code cannot read (a newer schema): the
            # calendar still shows the rest, and `history` names the event.
            continue
    return state


def to_event(stored: StoredEvent) -> Event:
    return event_from_data(stored.type, stored.data)


class RowKind(StrEnum):
    ENGAGEMENT = "engagement"
    OBSERVANCE = "observance"
    DEADLINE = "deadline"


@dataclass(frozen=True)
class AgendaRow:
    """One line of the agenda: an engagement, one year's observance, or a deadline item.

    `when` is in the item's own zone (a deadline's is the office's). `ordinal` numbers an
    observance ("31" for 2024 since 1993); `deadline` is set for deadline items.
    """

    kind: RowKind
    engagement: Engagement
    title: LocalizedText
    when: When
    deadline: Deadline | None = None
    ordinal: int | None = None

    @property
    def tentative(self) -> bool:
        """Dates not settled: an imprecise when, or a deadline counted from one."""
        if self.deadline is not None:
            return self.deadline.tentative
        return self.kind is RowKind.ENGAGEMENT and self.when.precision <= Precision.RANGE_TBC


def agenda_rows(
    engagements: Iterable[Engagement],
    start: date,
    end: date,
    *,
    rules: DeadlineRules = DEFAULT_RULES,
    is_working_day: WorkingDayPredicate | None = None,
) -> list[AgendaRow]:
    """The engagements, observances and derived deadlines that fall on `start`..`end`
    (inclusive; dates in each item's own zone), ordered by first day."""
    working = is_working_day if is_working_day is not None else korean_working_days()
    rows: list[AgendaRow] = []
    for engagement in engagements:
        if engagement.recurrence is not None:
            rows.extend(_observances(engagement, start, end))
        elif _overlaps(engagement.when, start, end):
            rows.append(
                AgendaRow(RowKind.ENGAGEMENT, engagement, engagement.title, engagement.when)
            )
        rows.extend(
            AgendaRow(
                RowKind.DEADLINE,
                engagement,
                deadline.title,
                AllDayWhen.on(deadline.due, deadline.tz),
                deadline=deadline,
            )
            for deadline in derive_deadlines(engagement, rules, working)
            if start <= deadline.due <= end
        )
    return sorted(rows, key=_row_order)


def _observances(engagement: Engagement, start: date, end: date) -> list[AgendaRow]:
    recurrence = engagement.recurrence
    assert recurrence is not None
    first_year = max(start.year, recurrence.since_year + 1)
    rows = []
    for year in range(first_year, end.year + 1):
        when = recurrence.occurrence(year)
        if _overlaps(when, start, end):
            ordinal = recurrence.ordinal(year)
            rows.append(
                AgendaRow(RowKind.OBSERVANCE, engagement, engagement.title, when, ordinal=ordinal)
            )
    return rows


def _overlaps(when: When, start: date, end: date) -> bool:
    return when.first_day <= end and start <= when.last_day


_KIND_ORDER = {RowKind.DEADLINE: 0, RowKind.ENGAGEMENT: 1, RowKind.OBSERVANCE: 2}


def _row_order(row: AgendaRow) -> tuple[date, int, int, str]:
    # Within a day: deadlines first (they are due before the day's engagements), then the
    # more precise items before month-long spans that merely start that day.
    return (row.when.first_day, -row.when.precision, _KIND_ORDER[row.kind], row.title.best("en"))


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


def history_rows(events: Iterable[StoredEvent], lang: str = "en") -> list[HistoryRow]:
    """The timeline of one engagement's stream (with its reminders' outcomes, see
    `engagement_events`), oldest first, each entry saying what changed against the state before
    it. Events of other kinds are listed by type, unexplained."""
    rows = []
    state: Engagement | None = None
    for stored in sorted(events, key=lambda s: s.position):
        sources: tuple[Source, ...] = ()
        change = ""
        if stored.type in REMINDER_EVENT_TYPES:
            change = describe_reminder_outcome(stored)
        elif is_engagement_event(stored):
            try:
                event = to_event(stored)
                before, state = state, evolve(state, event)
            except DomainError as error:
                change = f"not applied: {error}"
            else:
                change, sources = describe_change(before, state, event, lang), event.sources
        rows.append(
            HistoryRow(
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
        )
    return rows


def engagement_events(store: EventStore, engagement_id: str) -> list[StoredEvent]:
    """What an engagement's history shows: its own stream and its reminders' outcomes
    (`reminders:{id}`), in log order."""
    events = [
        *store.read_stream(ENGAGEMENT_STREAM_PREFIX + engagement_id),
        *store.read_stream(reminder_stream(engagement_id)),
    ]
    return sorted(events, key=lambda stored: stored.position)


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
        case EngagementRefined(when=when) | EngagementRescheduled(when=when):
            moved = _moved(before.when, when, lang)
            reason = getattr(event, "reason", None)
            return f"{moved}; reason: {reason}" if reason else moved
        case EngagementConfirmed() | EngagementHeld() | EngagementCancelled():
            text = f"status {before.status.value} → {after.status.value}"
            reason = after.cancellation_reason if isinstance(event, EngagementCancelled) else None
            return f"{text}; reason: {reason}" if reason else text
        case (
            InvitationReceived()
            | InvitationReviewStarted()
            | InvitationAccepted()
            | InvitationDeclined()
            | InvitationDelegated()
        ):
            return _participation_change(before, after, event, lang)
        case LocationChanged(place=place):
            old = describe_place(before.place, lang) or "unknown"
            return f"{old} → {describe_place(place, lang) or 'unknown'}"
        case ParticipantAdded(participant=participant):
            return f"{party_name(after, participant.party_id, lang)} as {participant.role}"
        case ParticipantRemoved(party_id=party_id, role=role):
            return f"{party_name(before, party_id, lang)} ({role or 'every role'})"
        case NoteAdded(text=text):
            return text
        case SourceAttached(note=note):
            return note or ""
        case ReminderPolicyChanged(policy=policy):
            return policy.describe() if policy is not None else "back to the service default"
        case AgreementSigned(agreement=agreement):
            by = ", ".join(party_name(after, party, lang) for party in agreement.signatories)
            on = f" on {format_day(agreement.signed_on, lang)}" if agreement.signed_on else ""
            return f"{agreement.name.best(lang)}, signed{on}" + (f" by {by}" if by else "")
        case DeadlineSet(deadline=deadline):
            return f"{deadline.key} due {format_day(deadline.due, lang)}; basis: {deadline.basis}"
        case AudienceChanged(audience=audience):
            return f"{before.audience.value} → {audience.value}"
        case TitleChanged(title=title):
            return f"{before.title.best(lang)} → {title.best(lang)}"
        case EngagementScheduled() | RecurringObservanceDefined():  # pragma: no cover
            raise AssertionError("a creating event has no state before it")


def _created(engagement: Engagement, event: Event, lang: str) -> str:
    title = engagement.title.best(lang)
    if isinstance(event, RecurringObservanceDefined):
        return f"{title}; {describe_recurrence(event.recurrence, lang)}"
    parts = [title, describe_when_in_zone(engagement.when, lang)]
    place = describe_place(engagement.place, lang)
    if place:
        parts.append(f"at {place}")
    parts.append(f"status {describe_status(engagement, lang)}")
    text = "; ".join(parts)
    if isinstance(event, InvitationReceived):
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
    if isinstance(event, InvitationReceived):
        text = f"from {party_name(after, event.inviter, lang)}; {text}"
    note = after.decision_note if not isinstance(event, InvitationReceived) else None
    return f"{text}; {note}" if note else text

"""An engagement's history: every event of its stream and its reminders' outcomes, in log
order, each entry saying what changed (from what to what), when the office knew it, when it
was recorded, by whom and on what source.

The one history of the service: `calendar-service history`, `GET /api/engagements/{id}/history`
and the feed's page all show `engagement_history`. It is folded from the streams on every
read, so it shows the write just made. What changed is worded in the reader's language
(titles, dates, places: `wording`), the event types (`EVENT_WORDS`) and every other word from
the catalogue. An invitation left unanswered until its engagement ended gets one derived row at
the engagement's end, "Lapsed: no decision recorded" (`lapsed_row`): nothing is appended to the
log for it. Functions here import the domain, the event-store port, `words` and `wording`.

Each reader reads the history their audience admits (`audience`, restricted by default: all of
it). Entries from while the engagement was above that audience are left out (so is its
title then). Each entry carries a `visibility`: an internal one (an internal note, a reminder
policy or a reminder's outcome, a change that could not apply) is for staff only; a public
reader reads the public ones without who recorded them or why: no actor, no reason, no
decision note, no invitation channel, no note of an attached source (the sources themselves,
published references, stay).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from calendar_service.domain import (
    EVENT_TYPES,
    REMINDER_EVENT_TYPES,
    Agreement,
    Audience,
    DomainError,
    Engagement,
    Event,
    EventStatus,
    InvalidValue,
    ReminderPolicy,
    Source,
    Visibility,
    When,
    event_from_data,
    evolve,
    reminder_stream,
)
from calendar_service.domain.durations import parse_duration
from calendar_service.domain.engagement import events
from calendar_service.eventstore import EventStore, StoredEvent
from calendar_service.read.wording import (
    RULE_TITLES,
    describe_audience,
    describe_event_status,
    describe_participation,
    describe_place,
    describe_recurrence,
    describe_status,
    describe_when,
    describe_when_in_zone,
    format_day,
    party_name,
)
from calendar_service.words import N_, format_duration, words_for

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
    derived: bool = False
    """True for a row the log holds no event for (a lapsed invitation): read, not recorded."""
    visibility: Visibility = Visibility.PUBLIC
    """Internal: staff only (an internal note, a reminder policy or outcome, a change that
    could not apply); public: a public reader reads it too, without who or why."""
    reminder_id: str | None = None
    """The reminder a reminder outcome is about (what `reminders retry` takes); else None."""

    @property
    def summary(self) -> str:
        return f"{self.what}: {self.change}" if self.change else self.what


EVENT_WORDS = {
    "InvitationReceived": N_("invitation received"),
    "EngagementScheduled": N_("scheduled"),
    "RecurringObservanceDefined": N_("yearly observance defined"),
    "EngagementRefined": N_("date refined"),
    "EngagementRescheduled": N_("rescheduled"),
    "EngagementConfirmed": N_("confirmed"),
    "InvitationReviewStarted": N_("invitation under review"),
    "InvitationAccepted": N_("invitation accepted"),
    "InvitationDeclined": N_("invitation declined"),
    "InvitationDelegated": N_("attendance delegated"),
    "EngagementHeld": N_("held"),
    "EngagementCancelled": N_("cancelled"),
    "LocationChanged": N_("location changed"),
    "ParticipantAdded": N_("participant added"),
    "ParticipantRemoved": N_("participant removed"),
    "NoteAdded": N_("note added"),
    "SourceAttached": N_("source attached"),
    "ReminderPolicyChanged": N_("reminders changed"),
    "AgreementSigned": N_("agreement signed"),
    "DeadlineSet": N_("deadline set by hand"),
    "AudienceChanged": N_("audience changed"),
    "TitleChanged": N_("title changed"),
}
"""Each event type in the words of the protocol office."""
OUTCOME_WORDS = {
    "ReminderSent": N_("reminder sent"),
    "ReminderFailed": N_("reminder failed"),
    "ReminderMissed": N_("reminder missed"),
    "ReminderRetried": N_("reminder retried"),
}
"""The reminder outcomes an engagement's history shows (stream `reminders:{id}`)."""
NOTICE_WORDS = {
    "ReminderSent": N_("change notice sent"),
    "ReminderFailed": N_("change notice failed"),
    "ReminderMissed": N_("change notice missed"),
    "ReminderRetried": N_("change notice retried"),
}
"""The same outcomes, of a change notice (offset `change`)."""
NOTICE_OFFSET = "change"
MAX_NAMED, NAMED_OF_MANY = 8, 5
"""An outcome reaching more than MAX_NAMED recipients names the first NAMED_OF_MANY, then
counts the rest (a notice to a thousand readers is one line, not a page)."""


LAPSED = "InvitationLapsed"
"""The `event_type` of the derived row of a lapsed invitation (no event has this type)."""


@dataclass(frozen=True)
class History:
    """An engagement's timeline, oldest first, and its state as the last entry left it."""

    engagement_id: str
    state: Engagement | None
    rows: list[HistoryRow]

    def title(self, lang: str = "en") -> str:
        """The engagement's title in `lang` (or its best other), '' if it was never created."""
        return "" if self.state is None else self.state.title.best(lang)


def engagement_history(
    store: EventStore,
    engagement_id: str,
    lang: str = "en",
    now: datetime | None = None,
    audience: Audience = Audience.RESTRICTED,
) -> History | None:
    """The engagement's history in `lang` as a reader of `audience` may read it, read from the
    log now; None if the log holds no event of it. Given `now`, an invitation that lapsed
    before it ends the timeline with a derived "Lapsed: no decision recorded" row at the
    engagement's end. (Whether the reader may see the engagement at all is the caller's
    question: `audience.admits(history.state.audience)`.)"""
    stored = engagement_events(store, engagement_id)
    if not stored:
        return None
    rows, state = _fold(stored, lang, audience)
    if now is not None and state is not None and invitation_lapsed(state, now):
        rows.append(lapsed_row(state, rows[-1] if rows else None, lang))
    return History(engagement_id, None if state is None else state.seen_by(audience), rows)


def invitation_lapsed(state: Engagement, now: datetime) -> bool:
    """The invitation is still open but its engagement has ended (and was not cancelled):
    the chance to decide has passed with no decision recorded."""
    return (
        state.has_open_invitation
        and state.status is not EventStatus.CANCELLED
        and state.when.bounds()[1] <= now
    )


def lapsed_row(state: Engagement, last: HistoryRow | None, lang: str = "en") -> HistoryRow:
    """The derived row of a lapsed invitation, dated at the engagement's end."""
    t = words_for(lang)
    end = state.when.bounds()[1]
    return HistoryRow(
        version=0 if last is None else last.version,
        position=0 if last is None else last.position,
        known_at=end,
        recorded_at=end,
        actor="",
        event_type=LAPSED,
        what=t.gettext("Lapsed"),
        change=t.gettext("no decision recorded"),
        sources=(),
        derived=True,
    )


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


def history_rows(
    log: Iterable[StoredEvent], lang: str = "en", audience: Audience = Audience.RESTRICTED
) -> list[HistoryRow]:
    """The timeline of one engagement's stream (with its reminders' outcomes, see
    `engagement_events`), oldest first, each entry saying what changed against the state before
    it, as a reader of `audience` may read it. Events of other kinds are listed by type,
    unexplained (and internal)."""
    return _fold(log, lang, audience)[0]


def _fold(
    log: Iterable[StoredEvent], lang: str, audience: Audience = Audience.RESTRICTED
) -> tuple[list[HistoryRow], Engagement | None]:
    rows = []
    state: Engagement | None = None
    for stored in sorted(log, key=lambda s: s.position):
        sources: tuple[Source, ...] = ()
        change, visibility, shown = (
            "",
            Visibility.INTERNAL,
            state is None or _admits(audience, state),
        )
        if stored.type in REMINDER_EVENT_TYPES:
            change = describe_reminder_outcome(stored, lang)
        elif is_engagement_event(stored):
            try:
                event = to_event(stored)
                before, state = state, evolve(state, event)
            except DomainError as error:
                # A change the state cannot take (or a schema this code cannot read): the
                # history still lists it, and says why it did not apply.
                change = words_for(lang).gettext("not applied: %(error)s", error=str(error))
            else:
                # An entry from while the engagement was above the reader's audience (on
                # either side of it) would tell what it was then: its title, its place.
                shown = (before is None or _admits(audience, before)) and _admits(audience, state)
                visibility = entry_visibility(event)
                if audience is Audience.PUBLIC:
                    event = _without_why(event)
                    before = None if before is None else before.seen_by(audience)
                change = describe_change(before, state.seen_by(audience), event, lang)
                sources = event.sources
        if shown and (audience is not Audience.PUBLIC or visibility is Visibility.PUBLIC):
            rows.append(_row(stored, change, sources, lang, visibility, audience))
    return rows, state


def _admits(audience: Audience, state: Engagement) -> bool:
    return audience.admits(state.audience)


def entry_visibility(event: Event) -> Visibility:
    """Internal for a note not marked public and for a reminder policy (the office's own
    arrangements); public for every other change of the engagement."""
    match event:
        case events.NoteAdded(visibility=visibility):
            return visibility
        case events.ReminderPolicyChanged():
            return Visibility.INTERNAL
    return Visibility.PUBLIC


def _without_why(event: Event) -> Event:
    """The event as a public reader reads it: what changed, not why (no reason, no channel,
    no note of an attached source). The reasons of decisions and of a cancellation are in the
    state, which `Engagement.seen_by` clears."""
    match event:
        case events.EngagementRescheduled(reason=str()):
            return replace(event, reason=None)
        case events.InvitationReceived(channel=str()):
            return replace(event, channel=None)
        case events.SourceAttached(note=str()):
            return replace(event, note=None)
    return event


def _row(
    stored: StoredEvent,
    change: str,
    sources: tuple[Source, ...],
    lang: str,
    visibility: Visibility,
    audience: Audience,
) -> HistoryRow:
    words = EVENT_WORDS.get(stored.type) or OUTCOME_WORDS.get(stored.type)
    if stored.type in OUTCOME_WORDS and stored.data.get("offset") == NOTICE_OFFSET:
        words = NOTICE_WORDS[stored.type]
    return HistoryRow(
        version=stored.version,
        position=stored.position,
        known_at=stored.known_at,
        recorded_at=stored.recorded_at,
        actor="" if audience is Audience.PUBLIC else stored.actor,
        event_type=stored.type,
        what=words_for(lang).gettext(words) if words else stored.type,
        change=change,
        sources=sources,
        visibility=visibility,
        reminder_id=(str(stored.data.get("reminder_id")) if stored.type in OUTCOME_WORDS else None),
    )


def _offset_words(label: object, lang: str) -> str:
    """A reminder's offset label ('start-P7D') as a person says it ('7 days before')."""
    text = str(label)
    if text == NOTICE_OFFSET:
        return words_for(lang).gettext("Change notice")
    anchor, _, iso = text.partition("-")
    try:
        span = parse_duration("offset", iso)
    except InvalidValue:
        return text
    t = words_for(lang)
    if anchor == "start":
        return t.gettext("%(duration)s before", duration=format_duration(span, lang))
    return text


def describe_reminder_outcome(stored: StoredEvent, lang: str = "en") -> str:
    """'7 days before: by email to kim@…, webhook (2 s late)', '… reached nobody: 550 …'."""
    t = words_for(lang)
    data = stored.data
    offset = _offset_words(data.get("offset", "?"), lang)
    late = int(data.get("late_ms", 0)) // 1000
    if stored.type == "ReminderSent":
        deliveries = data.get("deliveries", [])
        shown = deliveries if len(deliveries) <= MAX_NAMED else deliveries[:NAMED_OF_MANY]
        reached = t.gettext(", ").join(
            _delivery_words(str(d.get("channel")), str(d.get("to", "?")), lang) for d in shown
        )
        if len(shown) < len(deliveries):
            more = len(deliveries) - len(shown)
            reached = t.ngettext("%(names)s (+%(n)d)", "%(names)s (+%(n)d)", more, names=reached)
        text = t.gettext("%(offset)s: sent by %(channels)s", offset=offset, channels=reached)
        if late:
            text = t.ngettext(
                "%(text)s (%(n)d second late)", "%(text)s (%(n)d seconds late)", late, text=text
            )
        return text
    if stored.type == "ReminderRetried":
        return t.gettext(
            "%(offset)s: to be tried again by %(channels)s",
            offset=offset,
            channels=t.gettext(", ").join(
                _channel_words(str(c), lang) for c in data.get("channels", [])
            ),
        )
    if stored.type == "ReminderFailed":
        why = "; ".join(
            f"{f.get('channel')} {f.get('to')}: {f.get('error')}" for f in data.get("failures", [])
        )
        if data.get("channel"):
            return t.gettext(
                "%(offset)s: not sent by %(channel)s after %(attempts)s attempts: %(errors)s",
                offset=offset,
                channel=_channel_words(str(data["channel"]), lang),
                attempts=data.get("attempts", "?"),
                errors=why,
            )
        return t.gettext(
            "%(offset)s: reached nobody after %(attempts)s attempts: %(errors)s",
            offset=offset,
            attempts=data.get("attempts", "?"),
            errors=why,
        )
    return t.ngettext(
        "%(offset)s: not sent, %(n)d second late, beyond the grace of %(grace)s",
        "%(offset)s: not sent, %(n)d seconds late, beyond the grace of %(grace)s",
        late,
        offset=offset,
        grace=_grace(data.get("grace"), lang),
    )


def _channel_words(channel: str, lang: str) -> str:
    t = words_for(lang)
    if channel == "email":
        return t.gettext("email")
    if channel == "invite":
        return t.gettext("calendar invitation")
    if channel == "webhook":
        return t.gettext("the team webhook")
    return t.gettext("the service log")


def _delivery_words(channel: str, to: str, lang: str) -> str:
    """Who was told, and how: 'email to kim@…', 'invitation to kim@…', 'the team webhook'."""
    t = words_for(lang)
    if channel == "email":
        return t.gettext("email to %(address)s", address=to)
    if channel == "invite":
        return t.gettext("invitation to %(address)s", address=to)
    return _channel_words(channel, lang)


def _grace(value: object, lang: str) -> str:
    try:
        return format_duration(parse_duration("grace", value), lang)
    except InvalidValue:
        return str(value)


def describe_change(
    before: Engagement | None, after: Engagement, event: Event, lang: str = "en"
) -> str:
    """What `event` changed, from `before` to `after`, in words."""
    if before is None:
        return _created(after, event, lang)
    t = words_for(lang)
    match event:
        case events.EngagementRefined(when=when) | events.EngagementRescheduled(when=when):
            moved = _moved(before.when, when, lang)
            reason = getattr(event, "reason", None)
            return _with_reason(moved, reason, lang)
        case events.EngagementConfirmed() | events.EngagementHeld() | events.EngagementCancelled():
            text = t.gettext(
                "status %(before)s → %(after)s",
                before=describe_event_status(before.status, lang),
                after=describe_event_status(after.status, lang),
            )
            reason = (
                after.cancellation_reason if isinstance(event, events.EngagementCancelled) else None
            )
            return _with_reason(text, reason, lang)
        case (
            events.InvitationReceived()
            | events.InvitationReviewStarted()
            | events.InvitationAccepted()
            | events.InvitationDeclined()
            | events.InvitationDelegated()
        ):
            return _participation_change(before, after, event, lang)
        case events.LocationChanged(place=place):
            unknown = t.gettext("unknown place")
            old = describe_place(before.place, lang) or unknown
            return _arrow(old, describe_place(place, lang) or unknown, lang)
        case events.ParticipantAdded(participant=participant):
            name = party_name(after, participant.party_id, lang)
            return t.gettext("%(name)s as %(role)s", name=name, role=participant.role)
        case events.ParticipantRemoved(party_id=party_id, role=role):
            return t.gettext(
                "%(name)s (%(role)s)",
                name=party_name(before, party_id, lang),
                role=role or t.gettext("every role"),
            )
        case events.NoteAdded(text=text):
            return text
        case events.SourceAttached(note=note):
            return note or ""
        case events.ReminderPolicyChanged(policy=policy):
            return describe_policy(policy, lang)
        case events.AgreementSigned(agreement=agreement):
            return _signed(after, agreement, lang)
        case events.DeadlineSet(deadline=deadline):
            template = RULE_TITLES.get(deadline.key)
            what = (
                deadline.key
                if template is None
                else t.gettext(template, title=after.title.best(lang))
            )
            return t.gettext(
                "%(deadline)s due %(day)s; basis: %(basis)s",
                deadline=what,
                day=format_day(deadline.due, lang),
                basis=deadline.basis,
            )
        case events.AudienceChanged(audience=audience):
            return _arrow(
                describe_audience(before.audience, lang), describe_audience(audience, lang), lang
            )
        case events.TitleChanged(title=title):
            return _arrow(before.title.best(lang), title.best(lang), lang)
        case events.EngagementScheduled() | events.RecurringObservanceDefined():  # pragma: no cover
            raise AssertionError("a creating event has no state before it")


def describe_policy(policy: ReminderPolicy | None, lang: str = "en") -> str:
    """'7 days, 1 day before (email, webhook)'; the service default when None."""
    t = words_for(lang)
    if policy is None:
        return t.gettext("back to the service default")
    offsets = t.gettext(", ").join(format_duration(offset, lang) for offset in policy.offsets)
    channels = t.gettext(", ").join(
        t.gettext("email") if channel == "email" else t.gettext("the team webhook")
        for channel in sorted(policy.channels)
    )
    return t.gettext(
        "%(offsets)s before (%(channels)s)",
        offsets=offsets,
        channels=channels or t.gettext("feed alarms only"),
    )


def _signed(after: Engagement, agreement: Agreement, lang: str) -> str:
    t = words_for(lang)
    name = agreement.name.best(lang)
    by = t.gettext(", ").join(party_name(after, party, lang) for party in agreement.signatories)
    if agreement.signed_on is not None:
        text = t.gettext(
            "%(agreement)s, signed on %(day)s",
            agreement=name,
            day=format_day(agreement.signed_on, lang),
        )
    else:
        text = t.gettext("%(agreement)s, signed", agreement=name)
    return t.gettext("%(signed)s by %(names)s", signed=text, names=by) if by else text


def _with_reason(text: str, reason: str | None, lang: str) -> str:
    if not reason:
        return text
    return words_for(lang).gettext("%(change)s; reason: %(reason)s", change=text, reason=reason)


def _arrow(old: str, new: str, lang: str) -> str:
    return words_for(lang).gettext("%(before)s → %(after)s", before=old, after=new)


def _created(engagement: Engagement, event: Event, lang: str) -> str:
    t = words_for(lang)
    title = engagement.title.best(lang)
    if isinstance(event, events.RecurringObservanceDefined):
        return t.gettext(
            "%(title)s; %(recurrence)s",
            title=title,
            recurrence=describe_recurrence(event.recurrence, lang),
        )
    parts = [title, describe_when_in_zone(engagement.when, lang)]
    place = describe_place(engagement.place, lang)
    if place:
        parts.append(t.gettext("at %(place)s", place=place))
    parts.append(t.gettext("status %(status)s", status=describe_status(engagement, lang)))
    text = t.gettext("; ").join(parts)
    if isinstance(event, events.InvitationReceived):
        inviter = party_name(engagement, event.inviter, lang)
        if event.channel:
            inviter = t.gettext("%(name)s (%(channel)s)", name=inviter, channel=event.channel)
        return t.gettext("from %(inviter)s: %(change)s", inviter=inviter, change=text)
    return text


def _moved(old: When, new: When, lang: str) -> str:
    if old.tz == new.tz:
        return _arrow(describe_when(old, lang), describe_when_in_zone(new, lang), lang)
    return _arrow(describe_when_in_zone(old, lang), describe_when_in_zone(new, lang), lang)


def _participation_change(before: Engagement, after: Engagement, event: Event, lang: str) -> str:
    t = words_for(lang)
    old = describe_participation(before, lang) or t.gettext("no invitation")
    text = t.gettext(
        "participation: %(change)s",
        change=_arrow(old, describe_participation(after, lang), lang),
    )
    if isinstance(event, events.InvitationReceived):
        inviter = party_name(after, event.inviter, lang)
        text = t.gettext("from %(inviter)s: %(change)s", inviter=inviter, change=text)
    note = after.decision_note if not isinstance(event, events.InvitationReceived) else None
    return t.gettext("%(change)s; %(note)s", change=text, note=note) if note else text

"""Staff notification subscriptions: who gets the reminders of which engagements, and how.

A subscription says who (`staff_id`, a slug, and a display `name`), up to which audience of
engagement they are to be reminded of (a `staff` subscriber hears of public and staff
engagements, never of restricted ones), by which channels (email to `email`, the team's chat
webhook, calendar invitations to `email`) and in which language. It lives in its own stream,
`staff:{staff_id}` (`staff_stream`).

It also says how they hear of changes (`changes`, `ChangeNotices`): each change at once, a
daily digest at `digest_at` on their clock (`timezone`, the office's when None), or not at all;
and, for the `invite` channel, whether deadline items come as invitations too
(`invite_deadlines`). Subscriptions recorded before change notices existed read as `none`:
those people signed up for reminders only.

Facts: `StaffSubscribed` (also what a changed subscription records: the latest one holds) and
`StaffUnsubscribed`; intents: `SubscribeStaff`, `UnsubscribeStaff`. `decide_staff(state,
command)` returns the events (asking for what already holds decides nothing) and
`evolve_staff(state, event)` folds one into `Subscription`. `STAFF_EVENT_TYPES` is the registry
readers decode with (`staff_event_from_data`). Who changed a subscription, and when, is in the
store's envelope, as for every event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import ClassVar

from calendar_service.domain._aggregate import Ended, Fact, check_lang, decoder, event_types
from calendar_service.domain._checks import check_slug, check_text, check_type, check_zone
from calendar_service.domain._codec import field_values
from calendar_service.domain.engagement.values import Audience, Channel
from calendar_service.domain.errors import InvalidValue, NotFound

STAFF_STREAM_PREFIX = "staff:"
MAX_NAME_CHARS = 120
MAX_EMAIL_CHARS = 254
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
DEFAULT_DIGEST_AT = "18:00"
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"\\]{1,64}@" + _LABEL + r"(?:\." + _LABEL + ")*")


def staff_stream(staff_id: str) -> str:
    """The event stream that holds one staff member's subscription history."""
    return f"{STAFF_STREAM_PREFIX}{staff_id}"


class ChangeNotices(StrEnum):
    """How a subscriber hears of changes to the engagements they may see."""

    IMMEDIATE = "immediate"
    """One notice per change (edits inside the coalescing window make one)."""
    DIGEST = "digest"
    """One message a day, at their `digest_at`, listing that day's changes."""
    NONE = "none"


class StaffNotFound(NotFound):
    MESSAGE = (
        "cannot {command}: staff_id {id!r} has no subscription; "
        "list them with `calendar-service staff list`"
    )


def check_email(field: str, value: object) -> str:
    """A plain address such as 'kim.minji@gg.go.kr': no display name, no spaces."""
    text = check_type(field, value, str, "an email address such as 'kim.minji@gg.go.kr'")
    if len(text) > MAX_EMAIL_CHARS or _EMAIL.fullmatch(text) is None:
        raise InvalidValue(field, value, "give a plain address such as 'kim.minji@gg.go.kr'")
    return text


def _check_channels(channels: frozenset[Channel], email: str | None) -> None:
    if not channels:
        raise InvalidValue("channels", [], "give at least one of email, webhook, invite")
    for channel in channels:
        check_type("channels", channel, Channel, "email, webhook or invite")
    for channel in (Channel.EMAIL, Channel.INVITE):
        if channel in channels and email is None:
            raise InvalidValue(
                "email", None, f"the {channel.value} channel needs an address: give --email"
            )


def check_clock(field: str, value: object) -> str:
    """A local time of day as HH:MM, e.g. '18:00'."""
    text = check_type(field, value, str, "a time of day such as '18:00'")
    if _CLOCK.fullmatch(text) is None:
        raise InvalidValue(field, value, "give a time of day as HH:MM, e.g. '18:00'")
    return text


def _check_preferences(changes: object, digest_at: object, timezone: object) -> None:
    check_type("changes", changes, ChangeNotices, "immediate, digest or none")
    check_clock("digest_at", digest_at)
    if timezone is not None:
        check_zone("timezone", timezone)


@dataclass(frozen=True, kw_only=True)
class StaffEvent(Fact):
    """What every staff event has: the staff member it is about."""

    staff_id: str

    def __post_init__(self) -> None:
        check_slug("staff_id", self.staff_id, max_chars=64)


@dataclass(frozen=True, kw_only=True)
class StaffSubscribed(StaffEvent):
    """`name` is to be reminded of engagements up to `audience`, by `channels`, in `lang`.
    A later StaffSubscribed of the same staff member replaces the earlier one."""

    name: str
    email: str | None = None
    audience: Audience = Audience.STAFF
    channels: frozenset[Channel] = frozenset({Channel.EMAIL})
    lang: str = "en"
    changes: ChangeNotices = ChangeNotices.NONE
    """NONE for subscriptions recorded before change notices existed (reminders only)."""
    digest_at: str = DEFAULT_DIGEST_AT
    timezone: str | None = None
    invite_deadlines: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text("name", self.name, max_chars=MAX_NAME_CHARS)
        if self.email is not None:
            check_email("email", self.email)
        check_type("audience", self.audience, Audience, "public, staff or restricted")
        object.__setattr__(self, "channels", frozenset(self.channels))
        _check_channels(self.channels, self.email)
        check_lang(self.lang)
        _check_preferences(self.changes, self.digest_at, self.timezone)
        check_type("invite_deadlines", self.invite_deadlines, bool, "true or false")


@dataclass(frozen=True, kw_only=True)
class StaffUnsubscribed(Ended, StaffEvent):
    """The staff member gets no more reminders (the subscription's history stays)."""


StaffEventType = StaffSubscribed | StaffUnsubscribed
STAFF_EVENT_TYPES: Mapping[str, type[StaffEventType]] = event_types(StaffEventType)
"""Staff event type name (as stored) -> class."""
staff_event_from_data = decoder(STAFF_EVENT_TYPES, "staff event")
"""The staff event of a stored type name and data."""


@dataclass(frozen=True, kw_only=True)
class SubscribeStaff:
    """Subscribe `staff_id`, or change their subscription to exactly this."""

    staff_id: str
    name: str
    email: str | None = None
    audience: Audience = Audience.STAFF
    channels: frozenset[Channel] = frozenset({Channel.EMAIL})
    lang: str = "en"
    changes: ChangeNotices = ChangeNotices.IMMEDIATE
    digest_at: str = DEFAULT_DIGEST_AT
    timezone: str | None = None
    invite_deadlines: bool = False
    VERB: ClassVar[str] = "subscribe"


@dataclass(frozen=True, kw_only=True)
class UnsubscribeStaff:
    staff_id: str
    reason: str | None = None
    VERB: ClassVar[str] = "unsubscribe"


StaffCommand = SubscribeStaff | UnsubscribeStaff


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """A staff member's subscription as its events describe it."""

    staff_id: str
    name: str
    email: str | None
    audience: Audience
    channels: frozenset[Channel]
    lang: str
    changes: ChangeNotices = ChangeNotices.NONE
    digest_at: str = DEFAULT_DIGEST_AT
    timezone: str | None = None
    invite_deadlines: bool = False
    active: bool = True

    def admits(self, audience: Audience) -> bool:
        """Whether this subscriber is to hear of an engagement meant for `audience`."""
        return self.active and self.audience.admits(audience)

    @property
    def invited(self) -> bool:
        """Takes invitations (the `invite` channel)."""
        return self.active and Channel.INVITE in self.channels


def decide_staff(state: Subscription | None, command: StaffCommand) -> list[StaffEventType]:
    """The events `command` produces against `state` (None: never subscribed)."""
    if isinstance(command, SubscribeStaff):
        event = StaffSubscribed(**field_values(command))
        if state is not None and state == Subscription(**field_values(event)):
            return []
        return [event]
    if state is None:
        raise StaffNotFound(command.staff_id, command.VERB)
    if not state.active:
        return []
    return [StaffUnsubscribed(**field_values(command))]


def evolve_staff(state: Subscription | None, event: StaffEventType) -> Subscription:
    """The subscription after `event`; StaffNotFound for an unsubscription of nobody."""
    if isinstance(event, StaffSubscribed):
        return Subscription(**field_values(event))
    if state is None:
        raise StaffNotFound(event.staff_id, UnsubscribeStaff.VERB)
    return replace(state, active=False)

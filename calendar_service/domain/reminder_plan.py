"""Reminder planning, pure: when an engagement's reminders fall, whom each reaches and how,
and whether one is still worth sending.

- `plan(state, ...)`: every instant a reminder is planned for. Before the start, the offsets of
  the engagement's reminder policy, or the service's defaults (`DEFAULT_OFFSETS`: a week and a
  day before, what a protocol office would choose; `CALENDAR_REMINDER_OFFSETS` changes them for
  every engagement without a policy of its own), while the engagement is tentative or confirmed,
  the province has not declined and its date is known to the day. And the morning (09:00) of
  each of its deadline items, in the deadline's own zone (the office's, where the work is done).
  The reminder schedule projection (`projections.reminders_due`) folds these into one row per
  engagement, offset and schedule version.
- `targets(...)`: whom a reminder reaches, by which channel: staff subscriptions whose audience
  admits the engagement, through the channels the engagement's policy names (all of them when
  it has no policy of its own). Email goes to each subscriber in their language; the webhook
  (one team channel) gets one message per language. A channel that is not configured, or a
  reminder nobody subscribed to, goes to the service log instead, so no reminder goes nowhere.
- `timing(due, now, grace)`: on time, late but within the grace (still sent), missed (not
  sent; recorded), or early (not yet due).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    DEFAULT_RULES,
    Audience,
    ChangeNotices,
    Channel,
    Deadline,
    DeadlineRules,
    Engagement,
    EventStatus,
    Participation,
    ReminderKey,
    ReminderPolicy,
    Subscription,
    WorkingDayPredicate,
    derive_deadlines,
    format_duration,
)
from calendar_service.domain.engagement.values import REMINDER_CHANNELS
from calendar_service.domain.engagement.when import Precision

DEFAULT_OFFSETS = (timedelta(days=7), timedelta(days=1))
DEADLINE_MORNING = time(9)
EARLY_TOLERANCE = timedelta(seconds=2)
"""A job that fires this much before its due instant still counts as on time (clock skew)."""
_ACTIVE = frozenset({EventStatus.TENTATIVE, EventStatus.CONFIRMED})

__all__ = [
    "DEADLINE_MORNING",
    "DEFAULT_OFFSETS",
    "Planned",
    "ReminderKey",
    "Target",
    "Timing",
    "channels_for",
    "notice_targets",
    "plan",
    "reminder_id",
    "targets",
    "timing",
]


@dataclass(frozen=True)
class Planned:
    label: str
    """'start-P7D' for an offset before the start, 'deadline-{rule}' for a deadline's morning."""
    due: datetime
    rule: str | None = None


def reminder_id(engagement_id: str, label: str, version: int) -> str:
    """The key of one reminder: engagement, offset and schedule version (see `ReminderKey`)."""
    return f"{engagement_id}|{label}|v{version}"


def plan(
    state: Engagement,
    *,
    offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS,
    rules: DeadlineRules = DEFAULT_RULES,
    is_working_day: WorkingDayPredicate,
    deadlines: list[Deadline] | None = None,
) -> list[Planned]:
    """Every instant a reminder is planned for, whether or not it is already past. `offsets`
    apply when the engagement has no reminder policy of its own; `deadlines`, if given, are
    `derive_deadlines(state, rules, is_working_day)` already derived."""
    planned = []
    policy = state.reminder_policy
    chosen = offsets if policy is None else policy.offsets
    if (
        state.status in _ACTIVE
        and state.participation is not Participation.DECLINED
        and state.when.precision >= Precision.ALL_DAY
    ):
        start = state.when.bounds()[0]
        planned += [Planned(f"start-{format_duration(o)}", start - o) for o in chosen]
    if deadlines is None:
        deadlines = derive_deadlines(state, rules, is_working_day)
    for deadline in deadlines:
        morning = datetime.combine(deadline.due, DEADLINE_MORNING, ZoneInfo(deadline.tz))
        planned.append(Planned(f"deadline-{deadline.rule}", morning, deadline.rule))
    return planned


class Timing(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    """Past its instant, but by less than the grace: still sent."""
    MISSED = "missed"
    """Past its instant by more than the grace: recorded as missed, not sent."""


def timing(
    due: datetime, now: datetime, grace: timedelta, *, tolerance: timedelta = EARLY_TOLERANCE
) -> Timing:
    late = now - due
    if late < -tolerance:
        return Timing.EARLY
    if late <= timedelta(0):
        return Timing.ON_TIME
    return Timing.LATE if late <= grace else Timing.MISSED


@dataclass(frozen=True)
class Target:
    """One message to send: by `channel` ('email', 'webhook' or 'log') to `to` (an address,
    or 'webhook' / 'log'), in `lang`, reaching the staff `names`. `audience` is what its
    readers may see (the links a message carries open pages for it): the subscriber's for an
    email, the narrowest of its subscribers' for a team webhook, None for the log."""

    channel: str
    to: str
    lang: str
    names: tuple[str, ...] = ()
    audience: Audience | None = None
    item: str = ""
    """For an invitation: which calendar item it is about ('' the engagement, 'deadline-{rule}'
    one of its deadline items)."""
    timezone: str | None = None
    """The subscriber's own clock, where it differs from the office's."""

    @property
    def key(self) -> str:
        """Stable across retries: what a delivery's progress is recorded under."""
        base = f"{self.channel}|{self.to}|{self.lang}"
        return f"{base}|{self.item}" if self.item else base


def channels_for(policy: ReminderPolicy | None) -> frozenset[Channel]:
    """The channels an engagement's reminders use: its policy's, or email and webhook."""
    return REMINDER_CHANNELS if policy is None else policy.channels


def targets(
    subscriptions: Iterable[Subscription],
    audience: Audience,
    wanted: frozenset[Channel],
    available: frozenset[str],
) -> list[Target]:
    """Whom a reminder of an engagement meant for `audience` reaches, through the `wanted`
    channels, given the channels this deployment has `available` ('email', 'webhook')."""
    emails: dict[str, Target] = {}
    hooks: dict[str, list[str]] = {}
    hook_audiences: dict[str, Audience] = {}
    logged: list[str] = []
    for sub in sorted(subscriptions, key=lambda s: s.staff_id):
        if not sub.admits(audience):
            continue
        for channel in sorted(sub.channels & wanted & REMINDER_CHANNELS):
            if channel.value not in available:
                logged.append(f"{sub.name} ({channel.value})")
            elif channel is Channel.EMAIL and sub.email is not None:
                emails.setdefault(
                    sub.email, Target("email", sub.email, sub.lang, (sub.name,), sub.audience)
                )
            elif channel is Channel.WEBHOOK:
                hooks.setdefault(sub.lang, []).append(sub.name)
                narrowest = hook_audiences.setdefault(sub.lang, sub.audience)
                if sub.audience.rank < narrowest.rank:
                    hook_audiences[sub.lang] = sub.audience
    found = sorted(emails.values(), key=lambda t: t.key)
    found += [
        Target("webhook", "webhook", lang, tuple(names), hook_audiences[lang])
        for lang, names in sorted(hooks.items())
    ]
    if logged or not found:
        found.append(Target("log", "log", "en", tuple(logged)))
    return found


def notice_targets(
    subscriptions: Iterable[Subscription],
    before: Audience | None,
    after: Audience,
    available: frozenset[str],
    *,
    invitation: bool = True,
    deadline_items: tuple[str, ...] = (),
) -> list[Target]:
    """Whom a change notice of an engagement reaches, its audience having been `before` (None:
    new) and being `after`. By email and webhook: subscribers who take changes at once and may
    see it now (as for reminders). By invitation (`invite`, sent by email): subscribers who may
    see it now, or could before (they get a cancellation); `invitation` False when the change
    touches only deadline items, `deadline_items` ('deadline-{rule}') the items whose dates
    changed, sent to subscribers who take deadlines as invitations too."""
    immediate = [
        sub
        for sub in subscriptions
        if sub.changes is ChangeNotices.IMMEDIATE and sub.channels & REMINDER_CHANNELS
    ]
    found = [t for t in targets(immediate, after, REMINDER_CHANNELS, available) if t.names]
    if "email" in available:
        for sub in sorted(subscriptions, key=lambda s: s.staff_id):
            if not sub.invited or sub.email is None:
                continue
            if not (sub.admits(after) or (before is not None and sub.admits(before))):
                continue
            items: tuple[str, ...] = ("",) if invitation else ()
            if sub.invite_deadlines:
                items += deadline_items
            found += [
                Target("invite", sub.email, sub.lang, (sub.name,), sub.audience, item, sub.timezone)
                for item in items
            ]
    if not found:
        found.append(Target("log", "log", "en"))
    return found

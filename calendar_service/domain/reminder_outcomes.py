"""What became of a reminder: sent, failed or missed, recorded once per reminder.

A reminder is one (engagement, offset, schedule version): its key, the **reminder id**, reads
`{engagement_id}|{label}|v{version}` ("summer-davos-2024-dalian|start-P7D|v2"); `ReminderKey`
parses it. Its outcome is a fact of its own, kept in the stream `reminders:{engagement_id}`
(`reminder_stream`) beside the engagement's stream, so the engagement's version (what an
officer's If-Match names) moves only when the engagement does, while its timeline shows both.

- `ReminderSent`: reached its recipients (`deliveries`); `failures` lists any who could not be
  (only in events recorded before outcomes were kept per channel).
- `ReminderFailed`: reached nobody by its `channel` (every channel when `channel` is empty, as
  events recorded before outcomes were kept per channel read) after `attempts` tries, each
  channel retried until the grace period was spent; `failures` says why, per recipient.
- `ReminderMissed`: its time passed while the service was down for longer than the grace
  period (`late_ms` > `grace`), so it was not sent late.

Each carries `reminder_id` in its data, which is what the reminder schedule projection marks
its row by. `REMINDER_EVENT_TYPES` is the registry readers decode with.

Exactly once, as the domain says it: `RecordOutcome` is the intent (one delivery's outcomes:
`ReminderSent` for the channels that reached someone and a `ReminderFailed` per channel that
did not, appended together), `decide_outcome(state, command)` refuses (decides nothing for) a
reminder whose outcome is already in the stream, and `evolve_outcomes` folds the stream into
`ReminderOutcomes` (reminder id -> outcome type).

A failure stays retryable by an operator: `RetryReminder` (allowed only for a reminder with a
recorded `ReminderFailed`) records `ReminderRetried`, naming the channels that failed, after
which the reminder is pending again for those channels and takes one more outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ClassVar

from calendar_service.domain._aggregate import Fact, decoder, event_types
from calendar_service.domain._checks import check_text, check_type
from calendar_service.domain.engagement.values import EngagementId
from calendar_service.domain.errors import InvalidValue

REMINDER_STREAM_PREFIX = "reminders:"
DELIVERY_CHANNELS = ("email", "webhook", "log", "invite")
"""Where a reminder or a change notice can go: the two channels, the service log when neither
is set up, and (for a change notice) a calendar invitation, sent by email."""
MAX_ERROR_CHARS = 500
MAX_ADDRESS_CHARS = 300
_KEY = re.compile(
    r"(?P<engagement>[a-z0-9]+(?:-[a-z0-9]+)*)\|(?P<label>[A-Za-z0-9][A-Za-z0-9-]{0,79})"
    r"\|v(?P<version>[1-9][0-9]{0,8})"
)


def reminder_stream(engagement_id: str) -> str:
    """The stream that holds the outcomes of one engagement's reminders."""
    return f"{REMINDER_STREAM_PREFIX}{engagement_id}"


@dataclass(frozen=True)
class ReminderKey:
    """The parts of a reminder id."""

    engagement_id: str
    label: str
    version: int

    @classmethod
    def parse(cls, reminder_id: object) -> ReminderKey:
        text = check_type("reminder_id", reminder_id, str, "a reminder id")
        found = _KEY.fullmatch(text)
        if found is None:
            raise InvalidValue(
                "reminder_id",
                reminder_id,
                "give {engagement}|{offset}|v{version}, e.g. 'summer-davos-2024|start-P7D|v1'",
            )
        return cls(found["engagement"], found["label"], int(found["version"]))

    def __str__(self) -> str:
        return f"{self.engagement_id}|{self.label}|v{self.version}"


def _check_channel(value: object) -> str:
    if value not in DELIVERY_CHANNELS:
        raise InvalidValue("channel", value, "use email, webhook, log or invite")
    return str(value)


def _check_aware(field: str, value: object) -> datetime:
    moment = check_type(field, value, datetime, "an aware date-time")
    if moment.utcoffset() is None:
        raise InvalidValue(field, value, "give the UTC offset")
    return moment


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """Whom a delivery was for: by `channel`, at `to` (an address, 'webhook' or 'log')."""

    channel: str
    to: str

    def __post_init__(self) -> None:
        _check_channel(self.channel)
        check_text("to", self.to, max_chars=MAX_ADDRESS_CHARS)


@dataclass(frozen=True, kw_only=True)
class DeliveryRecord(Recipient):
    """One recipient reached, `at` that moment, in `lang`."""

    at: datetime
    lang: str = "en"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_aware("at", self.at)


@dataclass(frozen=True, kw_only=True)
class DeliveryFailure(Recipient):
    """One recipient not reached, and why; `permanent` if retrying could not help."""

    error: str
    permanent: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text("error", self.error, max_chars=MAX_ERROR_CHARS, newlines=True, tabs=True)


@dataclass(frozen=True, kw_only=True)
class ReminderOutcome(Fact):
    """What every outcome names: the reminder, its engagement, its offset and due instant."""

    engagement_id: EngagementId
    reminder_id: str
    offset: str
    due_at: datetime

    def __post_init__(self) -> None:
        check_type("engagement_id", self.engagement_id, EngagementId, "an EngagementId")
        key = ReminderKey.parse(self.reminder_id)
        if key.engagement_id != str(self.engagement_id) or key.label != self.offset:
            raise InvalidValue(
                "reminder_id", self.reminder_id, "it names another engagement or offset"
            )
        _check_aware("due_at", self.due_at)


@dataclass(frozen=True, kw_only=True)
class ReminderSent(ReminderOutcome):
    """The reminder reached `deliveries`; `late_ms` after its due instant (0 if on time)."""

    deliveries: tuple[DeliveryRecord, ...]
    failures: tuple[DeliveryFailure, ...] = ()
    late_ms: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "deliveries", tuple(self.deliveries))
        object.__setattr__(self, "failures", tuple(self.failures))
        if not self.deliveries:
            raise InvalidValue("deliveries", [], "a sent reminder reached someone")
        _check_late(self.late_ms)


@dataclass(frozen=True, kw_only=True)
class ReminderFailed(ReminderOutcome):
    """Nobody could be reached by `channel` ('' = by any channel) after `attempts` tries."""

    failures: tuple[DeliveryFailure, ...]
    attempts: int = 1
    channel: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.channel != "":
            _check_channel(self.channel)
        object.__setattr__(self, "failures", tuple(self.failures))
        if not self.failures:
            raise InvalidValue("failures", [], "say who could not be reached, and why")
        check_type("attempts", self.attempts, int, "a number of attempts")
        if self.attempts < 1:
            raise InvalidValue("attempts", self.attempts, "give 1 or more")


@dataclass(frozen=True, kw_only=True)
class ReminderMissed(ReminderOutcome):
    """Its time passed `late_ms` ago, beyond the `grace` in force: not sent late."""

    late_ms: int
    grace: timedelta

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_late(self.late_ms)
        check_type("grace", self.grace, timedelta, "a duration such as PT15M")


def _check_late(value: object) -> None:
    late = check_type("late_ms", value, int, "milliseconds")
    if late < 0:
        raise InvalidValue("late_ms", value, "give 0 or more")


@dataclass(frozen=True, kw_only=True)
class ReminderRetried(ReminderOutcome):
    """An operator asked for a failed reminder to be tried again, by `channels`, `attempt`
    being its number (1 for the first retry), with a new grace period from its recording."""

    channels: tuple[str, ...]
    attempt: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "channels", tuple(self.channels))
        if not self.channels:
            raise InvalidValue("channels", [], "name the channels to try again")
        for channel in self.channels:
            _check_channel(channel)
        check_type("attempt", self.attempt, int, "a number of retries")


ReminderOutcomeType = ReminderSent | ReminderFailed | ReminderMissed | ReminderRetried
REMINDER_EVENT_TYPES: Mapping[str, type[ReminderOutcomeType]] = event_types(ReminderOutcomeType)
"""Reminder outcome type name (as stored) -> class."""
reminder_event_from_data = decoder(REMINDER_EVENT_TYPES, "reminder outcome")
"""The reminder outcome of a stored type name and data."""


@dataclass(frozen=True, kw_only=True)
class RecordOutcome:
    """Record what became of one reminder (the outcome names the reminder and its stream);
    `also`: the other outcomes of the same delivery (a `ReminderFailed` per failed channel)."""

    outcome: ReminderOutcomeType
    also: tuple[ReminderOutcomeType, ...] = ()
    VERB: ClassVar[str] = "record the reminder's outcome"


@dataclass(frozen=True, kw_only=True)
class RetryReminder:
    """Try a failed reminder again (an operator's `calendar-service reminders retry ID`)."""

    engagement_id: EngagementId
    reminder_id: str
    VERB: ClassVar[str] = "retry the reminder"


OutcomeCommand = RecordOutcome | RetryReminder


@dataclass(frozen=True)
class ReminderOutcomes:
    """What became of an engagement's reminders so far: reminder id -> outcome type name, and
    the last outcomes of each reminder's delivery (what a retry looks at)."""

    engagement_id: str
    recorded: Mapping[str, str]
    last: Mapping[str, tuple[ReminderOutcomeType, ...]] = field(default_factory=dict)
    retries: Mapping[str, int] = field(default_factory=dict)


def decide_outcome(
    state: ReminderOutcomes | None, command: OutcomeCommand
) -> list[ReminderOutcomeType]:
    """The outcomes, unless one is recorded for the reminder already: the first outcome is the
    reminder's only one (a second delivery, a retry after a crash, decides nothing) until an
    operator retries it. A retry of a reminder without a recorded failure is refused."""
    if isinstance(command, RetryReminder):
        return _decide_retry(state, command)
    outcome = command.outcome
    if state is not None and outcome.reminder_id in state.recorded:
        return []
    return [outcome, *command.also]


def _decide_retry(
    state: ReminderOutcomes | None, command: RetryReminder
) -> list[ReminderOutcomeType]:
    rid = command.reminder_id
    last = () if state is None else state.last.get(rid, ())
    failed = [event for event in last if isinstance(event, ReminderFailed)]
    if not failed:
        raise InvalidValue(
            "reminder_id", rid, "only a reminder whose failure is recorded can be retried"
        )
    channels = sorted(
        {f.channel for event in failed for f in event.failures}
        if any(event.channel == "" for event in failed)
        else {event.channel for event in failed}
    )
    first = failed[0]
    assert state is not None
    return [
        ReminderRetried(
            engagement_id=first.engagement_id,
            reminder_id=rid,
            offset=first.offset,
            due_at=first.due_at,
            channels=tuple(channels),
            attempt=state.retries.get(rid, 0) + 1,
        )
    ]


def evolve_outcomes(state: ReminderOutcomes | None, event: ReminderOutcomeType) -> ReminderOutcomes:
    """The outcomes after `event`; the first recorded for a reminder stays its outcome (the
    others of its delivery join it) until a `ReminderRetried` opens it again."""
    rid = event.reminder_id
    if state is None:
        state = ReminderOutcomes(str(event.engagement_id), {})
    if isinstance(event, ReminderRetried):
        recorded = {k: v for k, v in state.recorded.items() if k != rid}
        return replace(
            state,
            recorded=recorded,
            last={**state.last, rid: ()},
            retries={**state.retries, rid: event.attempt},
        )
    if rid in state.recorded:  # the others of the same delivery: nothing else is decided
        return replace(state, last={**state.last, rid: (*state.last.get(rid, ()), event)})
    return replace(
        state,
        recorded={**state.recorded, rid: event.event_type},
        last={**state.last, rid: (event,)},
    )

"""Reminder planning, pure: when reminders fall, whom they reach, whether one is still sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calendar_service.domain import (
    AllDayWhen,
    Audience,
    Channel,
    ExactWhen,
    ReminderKey,
    ReminderPolicy,
    Subscription,
    evolve,
)
from calendar_service.domain import decide as decide_engagement
from calendar_service.domain.engagement.values import REMINDER_CHANNELS
from calendar_service.domain.errors import InvalidValue
from calendar_service.domain.reminder_plan import (
    DEFAULT_OFFSETS,
    Target,
    Timing,
    channels_for,
    plan,
    reminder_id,
    targets,
    timing,
)
from tests.unit.domain.builders import NOW, scheduled, weekdays_only

SHANGHAI = ZoneInfo("Asia/Shanghai")
KICKOFF = ExactWhen(
    datetime(2024, 6, 25, 9, 0, tzinfo=SHANGHAI),
    datetime(2024, 6, 25, 12, 0, tzinfo=SHANGHAI),
    "Asia/Shanghai",
)


def _state(when: ExactWhen | AllDayWhen = KICKOFF):
    state = None
    for event in decide_engagement(None, scheduled(when), NOW):
        state = evolve(state, event)
    assert state is not None
    return state


def test_the_office_default_is_a_week_and_a_day_before_and_each_deadline_morning() -> None:
    planned = plan(_state(), is_working_day=weekdays_only)
    by_label = {p.label: p.due for p in planned}

    assert (timedelta(days=7), timedelta(days=1)) == DEFAULT_OFFSETS
    assert by_label["start-P7D"] == KICKOFF.start - timedelta(days=7)
    assert by_label["start-P1D"] == KICKOFF.start - timedelta(days=1)
    departure = by_label["deadline-departure"]
    assert departure.astimezone(ZoneInfo("Asia/Seoul")).time().hour == 9


def test_offsets_come_from_the_policy_else_from_the_global_setting() -> None:
    planned = plan(_state(), offsets=(timedelta(days=3),), is_working_day=weekdays_only)
    assert [p.label for p in planned if p.label.startswith("start-")] == ["start-P3D"]

    state = _state()
    from dataclasses import replace

    with_policy = replace(state, reminder_policy=ReminderPolicy.parse(["PT2H"], ["email"]))
    planned = plan(with_policy, offsets=(timedelta(days=3),), is_working_day=weekdays_only)
    assert [p.label for p in planned if p.label.startswith("start-")] == ["start-PT2H"]


@pytest.mark.parametrize(
    ("late", "expected"),
    [
        (timedelta(seconds=-30), Timing.EARLY),
        (timedelta(seconds=-1), Timing.ON_TIME),
        (timedelta(0), Timing.ON_TIME),
        (timedelta(minutes=14), Timing.LATE),
        (timedelta(minutes=15), Timing.LATE),
        (timedelta(minutes=15, seconds=1), Timing.MISSED),
    ],
)
def test_a_reminder_late_by_less_than_the_grace_is_still_sent(
    late: timedelta, expected: Timing
) -> None:
    due = datetime(2024, 6, 18, 1, 0, tzinfo=UTC)
    assert timing(due, due + late, timedelta(minutes=15)) is expected


def _sub(staff_id: str, *channels: Channel, audience: Audience = Audience.STAFF, lang: str = "en",
         active: bool = True) -> Subscription:  # fmt: skip
    return Subscription(
        staff_id=staff_id,
        name=staff_id.title(),
        email=f"{staff_id}@example.org",
        audience=audience,
        channels=frozenset(channels),
        lang=lang,
        active=active,
    )


def test_email_goes_to_each_subscriber_in_their_language_and_the_webhook_once_per_language() -> (
    None
):
    """Each carries the audience its readers may see, for the links it holds: a subscriber's
    own, and for a team channel the narrowest of its subscribers'."""
    subs = [
        _sub("kim", Channel.EMAIL, lang="ko", audience=Audience.RESTRICTED),
        _sub("park", Channel.EMAIL, Channel.WEBHOOK, lang="ko", audience=Audience.RESTRICTED),
        _sub("lee", Channel.WEBHOOK, lang="ko"),
        _sub("wang", Channel.WEBHOOK, lang="zh", audience=Audience.RESTRICTED),
    ]
    found = targets(subs, Audience.STAFF, REMINDER_CHANNELS, frozenset({"email", "webhook"}))

    assert found == [
        Target("email", "kim@example.org", "ko", ("Kim",), Audience.RESTRICTED),
        Target("email", "park@example.org", "ko", ("Park",), Audience.RESTRICTED),
        Target("webhook", "webhook", "ko", ("Lee", "Park"), Audience.STAFF),
        Target("webhook", "webhook", "zh", ("Wang",), Audience.RESTRICTED),
    ]


def test_nobody_hears_of_an_engagement_above_their_audience_or_after_unsubscribing() -> None:
    subs = [
        _sub("public", Channel.EMAIL, audience=Audience.PUBLIC),
        _sub("gone", Channel.EMAIL, audience=Audience.RESTRICTED, active=False),
        _sub("chief", Channel.EMAIL, audience=Audience.RESTRICTED),
    ]
    found = targets(subs, Audience.RESTRICTED, REMINDER_CHANNELS, frozenset({"email"}))
    assert [t.to for t in found] == ["chief@example.org"]


def test_a_channel_not_set_up_or_nobody_subscribed_goes_to_the_log() -> None:
    subs = [_sub("kim", Channel.EMAIL, Channel.WEBHOOK)]
    found = targets(subs, Audience.STAFF, REMINDER_CHANNELS, frozenset({"email"}))
    assert found == [
        Target("email", "kim@example.org", "en", ("Kim",), Audience.STAFF),
        Target("log", "log", "en", ("Kim (webhook)",)),
    ]
    assert targets([], Audience.STAFF, REMINDER_CHANNELS, frozenset()) == [
        Target("log", "log", "en", ())
    ]


def test_the_policy_names_the_channels_and_no_policy_means_all_of_them() -> None:
    assert channels_for(None) == REMINDER_CHANNELS
    policy = ReminderPolicy.parse(["P1D"], ["webhook"])
    assert channels_for(policy) == frozenset({Channel.WEBHOOK})
    subs = [_sub("kim", Channel.EMAIL, Channel.WEBHOOK)]
    found = targets(subs, Audience.STAFF, channels_for(policy), frozenset({"email", "webhook"}))
    assert [t.channel for t in found] == ["webhook"]


def test_a_reminder_id_names_engagement_offset_and_schedule_version() -> None:
    rid = reminder_id("summer-davos-2024", "start-P7D", 3)
    key = ReminderKey.parse(rid)
    assert (key.engagement_id, key.label, key.version, str(key)) == (
        "summer-davos-2024",
        "start-P7D",
        3,
        rid,
    )
    for bad in ["x|start-P7D", "x|start-P7D|v0", "X|start|v1", "x|a b|v1", 3]:
        with pytest.raises(InvalidValue):
            ReminderKey.parse(bad)


def test_all_day_engagements_are_reminded_before_their_first_day() -> None:
    state = _state(AllDayWhen(date(2024, 6, 25), date(2024, 6, 27), "Asia/Shanghai"))
    planned = {p.label: p.due for p in plan(state, is_working_day=weekdays_only)}
    assert planned["start-P1D"] == datetime(2024, 6, 24, 0, 0, tzinfo=SHANGHAI)
